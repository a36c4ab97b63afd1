import type { SessionEvent } from '../events';
import type { AuthenticatedSession, LogoutReason, Session } from '../session';
import type { StoreSettings } from '../store-options';
import { ExpiryTimer } from './expiry-timer';
import { ProbeGate } from './probe-gate';
import { RefreshCoordinator } from './refresh-coordinator';
import type { SessionChange, StateCell } from './state-cell';
import type { StoreLink } from './store-link';

export { PROBE_PATIENCE } from './probe-gate';

/** What the lifecycle needs of its store. */
export interface LifecycleHost<TUser> {
  /** Makes a refreshed session current, within its epoch; `extended`: whether its expiry is later. */
  refreshed(session: AuthenticatedSession<TUser>, extended: boolean): void;
  /** Ends the session: `logout(reason)`. */
  end(reason: LogoutReason): void;
  /** Queues an event of `events$`. */
  event(event: SessionEvent): void;
}

/**
 * The token's lifecycle, in three parts that the store tells of every change of its state
 * (a {@link SessionChange}), in this order:
 *
 * - the probe gate (./probe-gate): what the store knows of its token, and the few
 *   requests that test one no response has confirmed yet;
 * - the expiry timer (./expiry-timer): the proactive refresh, or the end of the session;
 * - the refresh coordinator (./refresh-coordinator): the one shared refresh, and whether
 *   a request must wait for it.
 */
export class Lifecycle<TUser> {
  readonly gate: ProbeGate<TUser>;
  readonly expiry: ExpiryTimer<TUser>;
  readonly refresher: RefreshCoordinator<TUser>;
  /** What a request asks of the lifecycle, through its store's `StoreLink`. */
  readonly requests: Pick<StoreLink<TUser>, 'hold' | 'answered' | 'recover' | 'attempts' | 'expire'>;
  #cell: StateCell<TUser> | undefined;

  constructor(settings: StoreSettings<TUser>, host: LifecycleHost<TUser>) {
    const gate = (this.gate = new ProbeGate<TUser>(settings));
    const refresher = (this.refresher = new RefreshCoordinator<TUser>(host, (fn) => this.#cell?.push(fn), settings, gate));
    this.requests = {
      hold: (signal) => refresher.hold(signal),
      answered: (ticket, outcome) => gate.answered(ticket, outcome),
      recover: (signal) => refresher.recover(signal),
      attempts: refresher,
      expire: () => this.expiry.overdue(),
    };
    this.expiry = new ExpiryTimer<TUser>(
      settings,
      settings.refresh === undefined ? () => host.end('expired') : () => refresher.due(),
    );
  }

  /** Throws as `login()` would for a session the store cannot take (expired, with no refresh). */
  assertUsable(session: Session<TUser>, api: string): void {
    this.expiry.assertUsable(session, api);
  }

  /** Starts following the store's state cell, and tells the parts of its first state. */
  start(cell: StateCell<TUser>): void {
    this.#cell = cell;
    this.tell({ next: cell.state });
  }

  /**
   * Tells the parts of `change`, in order. A part may make a change itself (the expiry
   * timer ends a session found expired; an abort listener of the refresh the coordinator
   * abandons logs in): every part hears of that one at once, and those after it then hear
   * of this one with what is current now, not a state already replaced.
   */
  tell(change: SessionChange<TUser>): void {
    const cell = this.#cell as StateCell<TUser>;
    for (const part of [this.gate, this.expiry, this.refresher]) {
      const now = cell.state;
      part.changed(now === change.next ? change : { next: now, ended: change.ended });
    }
  }
}
