import { BehaviorSubject } from 'rxjs';
import { isSessionError, SessionError } from '../errors';
import { when } from '../events';
import { needsSession, sessionFromRefresh, type AuthenticatedSession } from '../session';
import type { StoreSettings } from '../store-options';
import { secondsHint } from './expiry-timer';
import { Latch } from './latch';
import type { LifecycleHost } from './lifecycle';
import type { ProbeGate } from './probe-gate';
import { RefreshFlight, type FlightPlan } from './refresh-flight';
import type { SessionChange } from './state-cell';
import type { ProbeTicket, RefreshGuard, StoreState } from './store-link';

/**
 * The single shared refresh of one store, and whether requests must wait for it: every
 * caller (`store.refresh()`, the expiry timer, each bound request's 401) shares one flight
 * of the app's `refresh`, in the epoch it started in.
 */
export class RefreshCoordinator<TUser> {
  /** Whether a flight runs, as `refreshing$` tells it. */
  readonly refreshing = new BehaviorSubject(false);
  readonly #host: LifecycleHost<TUser>;
  /** Queues an emission behind those under way. */
  readonly #emit: (fn: () => void) => void;
  readonly #settings: StoreSettings<TUser>;
  readonly #gate: ProbeGate<TUser>;
  #state!: StoreState<TUser>;
  /** The running flight; what follows is about it. */
  #flight: RefreshFlight | undefined;
  /**
   * The state it started in: it runs in its epoch, and ends with it; a newer token than
   * its one put in place by the app makes it moot.
   */
  #from!: StoreState<TUser>;
  /** What its callers get. */
  #session!: Promise<AuthenticatedSession<TUser>>;
  /** What held requests wait on: released when a flight settles or fails an attempt, or the session changes. */
  readonly #held = new Latch();
  /** What every attempt runs in, when `persistSession()` or `syncTabs()` set one (see ./refresh-guards). */
  guard: RefreshGuard | undefined;

  constructor(
    host: LifecycleHost<TUser>,
    emit: (fn: () => void) => void,
    settings: StoreSettings<TUser>,
    gate: ProbeGate<TUser>,
  ) {
    this.#host = host;
    this.#emit = emit;
    this.#settings = settings;
    this.#gate = gate;
  }

  /**
   * The session changed. A flight of an epoch that ended is abandoned (its result is
   * discarded: it never brings a session back); one whose token the app replaced is moot.
   */
  changed({ next, ended }: SessionChange<TUser>): void {
    this.#state = next;
    const flight = this.#flight;
    // (A flight always runs in the current epoch: one that ends takes it along.)
    if (flight && ended) {
      this.#flight = undefined;
      flight.cancel(ended());
      this.#emitRefreshing();
    } else if (flight && this.#from.scope === next.scope && next.session.token !== this.#from.session.token) {
      // `update()` put a newer token in place (another tab refreshed, say): this refresh
      // is moot, and with a rotating refresh token it would even fail. Its callers get
      // the current session.
      this.#flight = undefined;
      flight.cancel(new SessionError('REFRESH_FAILED', 'The refresh was superseded by a newer token'), true);
      this.#emitRefreshing();
    }
    // Requests held for the refresh are judged again: an `update()` may have made the token
    // good (a later `expiresAt`), or the session may have ended.
    this.#held.open();
  }

  /** Queues `refreshing$`'s value as it is when emitted: a flight may have started since. */
  #emitRefreshing(): void {
    this.#emit(() => this.refreshing.next(!!this.#flight));
  }

  /**
   * The expiry timer is due: a proactive refresh, unless one runs. Nobody awaits it: a
   * failure ends the session.
   */
  due(): void {
    this.#start();
  }

  /**
   * The shared flight's session, started if none runs, or why there is none. For
   * `store.refresh()` (`now`), a flight waiting out a backoff tries again at once: the app
   * asked for it (a bound request's 401 does not).
   */
  refresh(now?: boolean): Promise<AuthenticatedSession<TUser>> {
    if (this.#state.session.status !== 'authenticated') return Promise.reject(needsSession('refresh()'));
    if (!this.#settings.refresh)
      return Promise.reject(new SessionError('REFRESH_UNAVAILABLE', '`refresh()` needs the `refresh` option'));
    const flight = this.#start();
    if (now) flight.retryNow();
    return this.#session;
  }

  /** Whether `signal` is the running attempt's: the request carrying it is the refresh's own. */
  #own(signal: unknown): boolean {
    return signal != null && signal === this.#flight?.signal;
  }

  /**
   * A bound request got a 401 with the current token: it cannot work, refresh it. The
   * refresh's own request (carrying its signal) is not recovered: its 401 is the refresh's
   * failure, at once, rather than a wait on itself until `refreshTimeout`.
   */
  recover(signal: unknown): Promise<AuthenticatedSession<TUser>> {
    if (this.#own(signal)) return Promise.reject(new SessionError('REFRESH_FAILED', 'The refresh request itself was refused'));
    const { session } = this.#state;
    if (session.status === 'authenticated' && this.#settings.refresh) this.#gate.rejected = session.token;
    return this.refresh();
  }

  /**
   * Whether a request that would carry the token must wait, and for what: `undefined` to
   * send it now. It waits while a refresh attempt runs, or while the token is known not
   * to work (expired, or answered with a 401), starting the refresh if none runs. A
   * request carrying a running attempt's signal is the refresh's own, and never waits.
   */
  hold(signal: unknown): Promise<void> | ProbeTicket | undefined {
    const { session } = this.#state;
    if (session.status !== 'authenticated' || this.#own(signal)) return undefined;
    const { token, expiresAt } = session;
    const dead = this.#gate.rejected === token || (expiresAt !== undefined && this.#settings.clock.now() >= expiresAt);
    const flight = this.#flight;
    // Waiting out a network backoff with a token that may work: it goes, or tests it.
    if (!dead && !flight?.signal) return this.#gate.hold(token);
    if (!this.#settings.refresh) {
      // A timer that fired late (a sleeping machine): the token is dead, so is the session.
      this.#host.end('expired');
      return undefined;
    }
    this.#start();
    return this.#held.wait();
  }

  /**
   * The running flight, or a new one for the current session, which the callers made sure
   * is signed in (so it has a scope), with a `refresh`.
   */
  #start(): RefreshFlight {
    const running = this.#flight;
    if (running) return running;
    const from = this.#state;
    const { scope } = from;
    const { refresh, clock, timeout } = this.#settings;
    if (!scope || !refresh) throw new Error('unreachable');
    const startedAt = clock.now();
    const failed: FlightPlan['failed'] = (error, retryIn, { status, network }) => {
      this.#host.event({ type: 'refresh-error', ...when(clock.now()), error, retryIn, status, network });
      // Final: the session ends now, as the event says, before anything else can happen.
      if (retryIn === undefined) this.#end(flight);
      // Waiting out a backoff now: requests held for the attempt are judged again, as new
      // ones are (a token that may still work goes; a dead one waits for the next attempt).
      else this.#held.open();
    };
    const flight = new RefreshFlight({
      clock,
      timeout,
      call: (signal, attempt, arm) => {
        const run = (): unknown => {
          // Abandoned while a guard waited (another tab's session came): no call.
          if (signal.aborted) throw signal.reason;
          // The current session (a refresh token updated meanwhile is used), which is this
          // epoch's: a flight of an ended epoch was cancelled before it could get here.
          const { session } = this.#state;
          if (session.status !== 'authenticated') throw new SessionError('NOT_AUTHENTICATED', 'The session ended');
          arm();
          return refresh(session, { signal, config: { skipAuth: true, signal }, attempt });
        };
        const guard = this.guard;
        return guard ? guard(run, { signal, timeout, clock, arm }) : run();
      },
      retryUntil: () => {
        const { token, expiresAt } = this.#state.session;
        return expiresAt !== undefined && this.#gate.rejected !== token ? expiresAt : startedAt + timeout;
      },
      failed,
    });
    const settled = (ok: boolean, value: unknown): AuthenticatedSession<TUser> => {
      const { session, scope: now } = this.#state;
      const alive = now === scope && session.status === 'authenticated';
      if (flight.moot && alive) return session;
      if (!ok) {
        this.#end(flight);
        throw value;
      }
      if (this.#flight !== flight || !alive) {
        // Abandoned meanwhile (`changed()` already rejected the flight): discard.
        throw now?.endedWith ?? scope.endedWith ?? new SessionError('SESSION_ENDED', 'The session ended');
      }
      let next: AuthenticatedSession<TUser>;
      try {
        next = sessionFromRefresh(session, value, 'refresh', clock.now());
        if (next.expiresAt !== undefined && next.expiresAt <= clock.now()) {
          throw new SessionError('REFRESH_FAILED', `The refresh call returned an expired token${secondsHint(next.expiresAt)}`);
        }
      } catch (err) {
        const error = isSessionError(err, 'REFRESH_FAILED')
          ? err
          : new SessionError('REFRESH_FAILED', `The refresh call returned no usable credentials: ${(err as Error).message}`);
        failed(error, undefined, { status: undefined, network: false });
        throw error;
      }
      this.#flight = undefined;
      // Issued by the server just now: no need to test it.
      this.#gate.trust(next.token);
      const was = session.expiresAt;
      this.#host.refreshed(next, !(next.expiresAt !== undefined && was !== undefined && next.expiresAt <= was));
      this.#emitRefreshing();
      return next;
    };
    const session = (this.#session = flight.result.then(
      (result) => settled(true, result),
      (error: unknown) => settled(false, error),
    ));
    // However it ends, the requests held for it are judged again. (This also handles its
    // rejection for whoever does not await it: the expiry timer, a held request.)
    const wake = (): void => this.#held.open();
    void session.then(wake, wake);
    this.#flight = flight;
    this.#from = from;
    // Started before anyone hears of it: a `refreshing$` subscriber that logs out then
    // cancels a flight that has begun, rather than one that would begin afterwards.
    flight.start();
    this.#emitRefreshing();
    return flight;
  }

  /**
   * The refresh failed for good: the session ends. (A cancelled flight was already taken
   * off by `changed()`: its session ended first.)
   */
  #end(flight: RefreshFlight): void {
    if (this.#flight !== flight) return;
    this.#flight = undefined;
    if (this.#state.scope === this.#from.scope) this.#host.end('refresh-failed');
    this.#emitRefreshing();
  }
}
