import type { Subject } from 'rxjs';
import { SessionError } from '../errors';
import type { SessionEvent } from '../events';
import { ANONYMOUS, type LogoutEvent, type LogoutReason, type Session } from '../session';
import type { AbortScope } from './abort-scope';
import type { Bindings } from './bindings';
import type { Lifecycle } from './lifecycle';
import type { StateCell } from './state-cell';

/** The store's streams the fence emits on (besides `session$`, which the state cell owns). */
export interface FenceStreams<TUser> {
  readonly logouts: Subject<LogoutEvent<TUser>>;
  readonly events: Subject<SessionEvent>;
}

/**
 * How a store's state changes: in the order that makes logout a fence. The state the
 * request path reads changes first, then every binding's defaults, then the lifecycle
 * hears of it (a refresh of the ended epoch is abandoned), then the old epoch's requests
 * are aborted, and only then do subscribers hear of it (with the `logout$` event, if any,
 * right after the session it belongs to).
 */
export class SessionFence<TUser> {
  readonly #cell: StateCell<TUser>;
  readonly #bindings: Bindings;
  readonly #life: Lifecycle<TUser>;
  readonly #streams: FenceStreams<TUser>;

  constructor(cell: StateCell<TUser>, bindings: Bindings, life: Lifecycle<TUser>, streams: FenceStreams<TUser>) {
    this.#cell = cell;
    this.#bindings = bindings;
    this.#life = life;
    this.#streams = streams;
  }

  /**
   * Makes `session` current in `scope` (a new one: a new epoch). `endReason`: why the
   * previous epoch ends, if it does; `logout`: the `logout$` event, if any; `extended`: as
   * in `SessionChange`.
   */
  commit(
    session: Session<TUser>,
    scope: AbortScope | null,
    endReason: LogoutReason | undefined,
    logout: LogoutEvent<TUser> | undefined,
    event: SessionEvent,
    extended?: boolean,
  ): void {
    const cell = this.#cell;
    const { logouts, events } = this.#streams;
    cell.hold(() => {
      const previous = cell.state;
      // Queued before the old epoch's abort listeners run: a listener that calls back
      // into the store queues its own emission after this one.
      cell.set({ session, scope }, () => {
        if (logout !== undefined) logouts.next(logout);
        events.next(event);
      });
      this.#bindings.sync();
      const why = previous.scope !== null && previous.scope !== scope && endReason !== undefined ? ended(endReason) : undefined;
      // A refresh of the ended epoch is abandoned before its requests are aborted.
      this.#life.tell({ next: cell.state, ended: why, extended });
      if (why !== undefined) previous.scope?.end(why);
    });
  }

  /** `dispose()`: ends the epoch as a logout would, unbinds every binding, and completes every stream. */
  close(): void {
    const cell = this.#cell;
    const { logouts, events } = this.#streams;
    cell.hold(() => {
      const previous = cell.state;
      cell.state = { session: ANONYMOUS, scope: null };
      this.#bindings.detachAll();
      const why = ended('disposed');
      // Ends the lifecycle as a logout would: the probes, the timer, the refresh.
      this.#life.tell({ next: cell.state, ended: why });
      previous.scope?.end(why);
      const { refreshing } = this.#life.refresher;
      cell.push(() => {
        // `false` first if a refresh was running (one whose own `false` is still queued, say,
        // as a listener of its outcome disposed): `refreshing$` ends as after a logout.
        refreshing.next(false);
        refreshing.complete();
        cell.end();
        logouts.complete();
        events.complete();
      });
    });
  }
}

/** The `SESSION_ENDED` error of an epoch that ended for `reason`, made when first asked for. */
function ended(reason: LogoutReason): () => SessionError {
  let error: SessionError | undefined;
  return () => (error ??= new SessionError('SESSION_ENDED', `The session ended (${reason}): request cancelled`, { reason }));
}
