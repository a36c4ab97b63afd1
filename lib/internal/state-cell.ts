import { Observable, Subject, distinctUntilChanged, map } from 'rxjs';
import type { SessionError } from '../errors';
import type { Session } from '../session';
import type { StoreState } from './store-link';

/**
 * One change of a store's state, as the lifecycle's parts are told of it: what is current
 * now, and what became of what was.
 */
export interface SessionChange<TUser = unknown> {
  /** The state made current. */
  readonly next: StoreState<TUser>;
  /**
   * Set when the change ended the epoch of a session (a logout, a new login over it,
   * `dispose()`): the error the work of that epoch is abandoned with.
   */
  readonly ended?: (() => SessionError) | undefined;
  /**
   * `false` for a refresh that returned no later expiry: refreshing early again would not
   * help. (Every other change may have moved the expiry on.)
   */
  readonly extended?: boolean | undefined;
}

/** What `pick` reads of each session, emitted only when it changes (`token$`, `isAuthenticated$`). */
export const select = <TUser, T>(session$: Observable<Session<TUser>>, pick: (session: Session<TUser>) => T): Observable<T> =>
  session$.pipe(map(pick), distinctUntilChanged());

/**
 * A store's one source of truth: its current state, and the queue of emissions that tell
 * subscribers of it, in order.
 *
 * The state changes at once; subscribers hear of it when the queue reaches its emission.
 * Emissions run one at a time, in the order they were asked for: a subscriber that calls
 * `logout()` from inside a `session$` callback would otherwise re-enter `Subject.next()`,
 * and the subscribers after it would hear "logged out" before "logged in". `session$`
 * hands a new subscriber the current state at once, then only the emissions queued after
 * it: not those already queued, which tell of states older than the one it got.
 */
export class StateCell<TUser> {
  /** The current session and its epoch's scope. */
  state: StoreState<TUser>;
  /** Set when the store is disposed: a new subscriber then gets only the completion. */
  closed = false;
  /** The current session, then every change after it; completes on `dispose()`. */
  readonly session$: Observable<Session<TUser>>;
  readonly #sessions = new Subject<Session<TUser>>();
  readonly #queue: (() => void)[] = [];
  #draining = false;

  constructor(state: StoreState<TUser>) {
    this.state = state;
    this.session$ = new Observable((subscriber) => {
      if (this.closed) {
        subscriber.complete();
        return;
      }
      // Listens from here on in the queue: at once when nothing is queued, so that a change
      // made by its first callback reaches it.
      this.push(() => this.#sessions.subscribe(subscriber));
      subscriber.next(this.state.session);
    });
  }

  /** Makes `next` current, and queues its emission, followed by `also` (the events that go with it). */
  set(next: StoreState<TUser>, also: () => void): void {
    this.state = next;
    this.push(() => {
      this.#sessions.next(next.session);
      also();
    });
  }

  /** Completes `session$`; called from the queue, after the emissions before it. */
  end(): void {
    this.#sessions.complete();
  }

  /** Runs `emit` now, or after the emission under way if there is one. */
  push(emit: () => void): void {
    this.#queue.push(emit);
    if (!this.#draining) this.#drain();
  }

  /**
   * Runs `change` with emissions held, then emits what it queued. A state change and its
   * side effects (abort listeners that may call back into the store) then queue their
   * emissions in the order the changes happened.
   */
  hold(change: () => void): void {
    const outer = !this.#draining;
    this.#draining = true;
    try {
      change();
    } finally {
      if (outer) this.#drain();
    }
  }

  #drain(): void {
    this.#draining = true;
    try {
      let next;
      while ((next = this.#queue.shift())) next();
    } finally {
      this.#draining = false;
    }
  }
}
