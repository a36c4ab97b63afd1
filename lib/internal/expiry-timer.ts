import { timer, type Timer } from '../clock';
import { SessionError } from '../errors';
import type { Session } from '../session';
import type { StoreSettings } from '../store-options';
import type { SessionChange } from './state-cell';

/** The token and expiry the timer is planned for, and when it is due. */
interface Planned {
  readonly token: string;
  readonly expiresAt: number;
  readonly due: number;
}

// A timer never waits longer than this before looking at the clock again: after a machine
// sleeps, or a background tab is throttled, one long `setTimeout` fires far too late.
const MAX_WAIT = 30_000;

/**
 * What an error about an expired token adds when its `expiresAt` looks like seconds: a
 * JWT's `exp` is in seconds, and passed on as it is, it looks like a time in 1970.
 */
export function secondsHint(expiresAt: number): string {
  return expiresAt < 1e11
    ? `; \`expiresAt\` ${expiresAt} looks like seconds, not milliseconds since the epoch: multiply it by 1000`
    : '';
}

/**
 * The one timer of a session whose expiry is known: due `refreshMargin` before it with a
 * `refresh` (a proactive refresh), else at it (the session ends).
 */
export class ExpiryTimer<TUser> {
  readonly #settings: StoreSettings<TUser>;
  readonly #timer: Timer;
  /** What is done when due: a refresh (unless one runs), or the end of the session. */
  readonly #due: () => void;
  #planned: Planned | undefined;

  constructor(settings: StoreSettings<TUser>, due: () => void) {
    this.#settings = settings;
    this.#timer = timer(settings.clock);
    this.#due = due;
  }

  /** Throws `EXPIRED` for a token that has expired when no refresh can renew it. */
  assertUsable(session: Session<TUser>, api: string): void {
    const { expiresAt } = session;
    const now = this.#settings.clock.now();
    if (this.#settings.refresh === undefined && expiresAt !== undefined && expiresAt <= now) {
      throw new SessionError(
        'EXPIRED',
        `\`${api}\` got a token that expired ${Math.round(now - expiresAt)} ms ago, with no \`refresh\` option to renew it${secondsHint(expiresAt)}`,
      );
    }
  }

  /** Plans the timer for the session `change` made current. */
  changed({ next: { session }, extended }: SessionChange<TUser>): void {
    this.#timer.clear();
    const { expiresAt } = session;
    if (session.status !== 'authenticated' || expiresAt === undefined) {
      this.#planned = undefined;
      return;
    }
    let planned = this.#planned;
    // The same token and expiry keep when they are due: an `update()` of the user does not
    // put the proactive refresh off.
    const stale = extended === false;
    if (planned?.token !== session.token || planned.expiresAt !== expiresAt || stale) {
      const { refresh, margin, clock } = this.#settings;
      const now = clock.now();
      const life = expiresAt - now;
      planned = this.#planned = {
        token: session.token,
        expiresAt,
        // `refreshMargin` before expiry, with a refresh, but never before half the token's life:
        // one that lives just longer than the margin would otherwise be refreshed right after
        // it arrives, again and again. At expiry without a refresh, or after one that did not
        // extend it (refreshing early again would not help).
        due: refresh === undefined || stale ? expiresAt : now + Math.max(life - margin, life / 2),
      };
    }
    this.#wait(planned, true);
  }

  /** Without a `refresh`: ends now a session the clock says has expired (its timer fired late: a machine that slept). */
  overdue(): void {
    const planned = this.#planned;
    if (this.#settings.refresh === undefined && planned !== undefined && planned.due <= this.#settings.clock.now()) this.#due();
  }

  #wait(planned: Planned, planning = false): void {
    const wait = planned.due - this.#settings.clock.now();
    if (wait > 0) {
      // Fired late or early, the clock decides: due now, or wait again.
      this.#timer.set(() => this.#wait(planned), Math.min(wait, MAX_WAIT));
    } else if (planning && this.#settings.refresh !== undefined) {
      // Due already (a token restored after it expired): refresh right after the call
      // that planned it, so that a refresh using something set up after the store (the
      // bound instance it posts through, say) finds it in place. Requests meanwhile wait.
      // A resolved promise rather than `queueMicrotask`, which jest's fake timers hold back.
      void Promise.resolve().then(() => {
        if (this.#planned === planned) this.#due();
      });
    } else {
      this.#due();
    }
  }
}
