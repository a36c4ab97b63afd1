import { BehaviorSubject } from 'rxjs';
import { SessionError } from '../errors';
import { when, type SessionEvent } from '../events';
import { sessionFromRefresh, type AuthenticatedSession, type LogoutReason, type Session } from '../session';
import type { StoreSettings } from '../store-options';
import type { AbortScope } from './abort-scope';
import { RefreshFlight, SUPERSEDED } from './refresh-flight';
import { Latch } from './latch';
import type { ProbeOutcome, ProbeTicket, StoreState } from './store-link';

/** What the lifecycle needs from its store. */
export interface LifecycleHost<TUser> {
  state(): StoreState;
  /** Makes a refreshed session current, within its epoch. */
  apply(session: AuthenticatedSession<TUser>): void;
  /** Ends the session: `logout(reason)`. */
  end(reason: LogoutReason): void;
  /** Queues an emission behind those under way. */
  emit(fn: () => void): void;
  event(event: SessionEvent): void;
}

/** The token and expiry the timer is planned for, and when they arrived. */
interface Planned {
  readonly token: string;
  readonly expiresAt: number;
  readonly at: number;
  /** A refresh returned it without extending the expiry: refreshing early again would not help. */
  readonly stale: boolean;
}

/** One shared refresh, and the epoch it belongs to. */
interface Flight<TUser> {
  readonly run: RefreshFlight;
  readonly scope: AbortScope;
  /** The token it was started to replace: a newer one put in place by the app supersedes it. */
  readonly token: string;
  readonly session: Promise<AuthenticatedSession<TUser>>;
  /**
   * The app put a newer token in place meanwhile: the result, whatever it is, is moot, and
   * the callers get the current session. (Set even when the refresh call had already
   * settled and its result was on its way.)
   */
  superseded: boolean;
}

/** A token no response has confirmed yet: how many of its requests are out, and what the others wait for. */
interface Probe extends ProbeTicket {
  readonly token: string;
  /** The session epoch it tests the token in. */
  readonly scope: AbortScope | null;
  out: number;
  /** What the requests beyond `probeLimit` wait on: the next answer. */
  readonly wave: Latch;
  /** Ends every wait on this token `PROBE_PATIENCE` after the first one began (one deadline, whatever the waves). */
  timer: unknown;
  /** The probes took too long to answer: the token is no longer tested. */
  gaveUp: boolean;
}

/**
 * How long requests wait for a probe's answer, in ms. A slow first request (a report, a
 * long poll) must not hold every other request back: after this, they all go.
 */
export const PROBE_PATIENCE = 1_000;

// A timer never waits longer than this before looking at the clock again: after a machine
// sleeps, or a background tab is throttled, one long `setTimeout` fires far too late.
const MAX_WAIT = 30_000;

const noop = (): void => undefined;

/**
 * The token's lifecycle for one store: expiry and proactive-refresh timers, the single
 * shared refresh, and whether requests must wait for it.
 */
export class Lifecycle<TUser> {
  readonly refreshing = new BehaviorSubject(false);
  readonly #host: LifecycleHost<TUser>;
  readonly #settings: StoreSettings<TUser>;
  #timer: unknown;
  #timing = false;
  /** Counts the timers set: one that fires after another replaced it (a clock that cannot cancel) does nothing. */
  #timers = 0;
  #flight: Flight<TUser> | undefined;
  /** A token a bound request got a 401 for: requests wait for the refresh instead of failing the same way. */
  #rejected: string | undefined;
  #planned: Planned | undefined;
  /** The session a refresh just applied, when it did not extend the expiry (not one an `update()` from a listener makes of it). */
  #notExtended: Session<TUser> | undefined;
  /** The token a response (or the refresh that issued it) has confirmed. */
  #trusted: string | undefined;
  #probe: Probe | undefined;
  /** What held requests wait on: released when a flight settles or fails an attempt, or the session changes. */
  readonly #held = new Latch();

  constructor(host: LifecycleHost<TUser>, settings: StoreSettings<TUser>) {
    this.#host = host;
    this.#settings = settings;
  }

  get canRefresh(): boolean {
    return this.#settings.refresh !== undefined;
  }

  now(): number {
    return this.#settings.clock.now();
  }

  /** Throws `EXPIRED` for a token that has expired when no refresh can renew it. */
  assertUsable(session: Session<TUser>, api: string): void {
    const expiresAt = session.expiresAt;
    if (this.#settings.refresh === undefined && expiresAt !== undefined && expiresAt <= this.now()) {
      throw new SessionError(
        'EXPIRED',
        `\`${api}\` got a token that expired ${Math.round(this.now() - expiresAt)} ms ago, and the store has no \`refresh\` to renew it`,
      );
    }
  }

  /**
   * The session changed. A flight of an epoch that ended is abandoned (its result is
   * discarded: it never brings a session back), and the timer is planned again.
   */
  changed(ended: AbortScope | null, reason: (() => SessionError) | undefined): void {
    const { session, scope } = this.#host.state();
    if (ended !== scope) {
      // A new session (or none) learns its token afresh: that it worked, or was refused, in
      // the last one may no longer hold (a logout revokes it on most servers).
      this.#trusted = undefined;
      this.#rejected = undefined;
    }
    const flight = this.#flight;
    if (flight !== undefined) {
      if (flight.scope === ended && reason !== undefined) {
        this.#flight = undefined;
        flight.run.cancel(reason());
        this.#emitRefreshing();
      } else if (flight.scope === scope && session.token !== flight.token) {
        // `update()` put a newer token in place (another tab refreshed, say): this refresh
        // is moot, and with a rotating refresh token it would even fail. Its callers get
        // the current session.
        this.#flight = undefined;
        flight.superseded = true;
        flight.run.supersede();
        this.#emitRefreshing();
      }
    }
    const probe = this.#probe;
    // A test of another token, or of this one in an ended session (a login with the same token), is over.
    if (probe !== undefined && (probe.token !== session.token || probe.scope !== scope)) this.#closeProbe(probe);
    this.#plan();
    // Requests held for the refresh are judged again: an `update()` may have made the token
    // good (a later `expiresAt`), or the session may have ended.
    this.#held.open();
  }

  /** Queues `refreshing$`'s value as it is when emitted: a flight may have started since. */
  #emitRefreshing(): void {
    this.#host.emit(() => this.refreshing.next(this.#flight !== undefined));
  }

  /**
   * `store.refresh()`: the shared flight, started if none runs. A flight waiting out a
   * backoff tries again at once: the app asked for it (a bound request's 401 does not).
   */
  refresh(): Promise<AuthenticatedSession<TUser>> {
    const flight = this.#shared();
    if (flight instanceof Promise) return flight;
    flight.run.retryNow();
    return flight.session;
  }

  /** The shared flight, started if none runs, or why there is none. */
  #shared(): Flight<TUser> | Promise<never> {
    const { session } = this.#host.state();
    if (session.status !== 'authenticated') {
      return Promise.reject(new SessionError('NOT_AUTHENTICATED', '`refresh()` needs a session; call `login()` first'));
    }
    if (this.#settings.refresh === undefined) {
      return Promise.reject(
        new SessionError('REFRESH_UNAVAILABLE', '`refresh()` needs the `refresh` option of `new SessionStore()`'),
      );
    }
    return this.#start();
  }

  /**
   * A bound request got a 401 with the current token: it cannot work, refresh it. The
   * refresh's own request (carrying its signal) is not recovered: its 401 is the refresh's
   * failure, at once, rather than a wait on itself until `refreshTimeout`.
   */
  recover(signal: unknown): Promise<AuthenticatedSession<TUser>> {
    const flight = this.#flight;
    if (flight !== undefined && signal != null && signal === flight.run.signal) {
      return Promise.reject(new SessionError('REFRESH_FAILED', 'The refresh request itself was refused'));
    }
    const { session } = this.#host.state();
    if (session.status === 'authenticated' && this.#settings.refresh !== undefined) this.#rejected = session.token;
    const shared = this.#shared();
    return shared instanceof Promise ? shared : shared.session;
  }

  /**
   * Whether a request that would carry the token must wait, and for what: `undefined` to
   * send it now. It waits while a refresh attempt runs, or while the token is known not
   * to work (expired, or answered with a 401), starting the refresh if none runs. A
   * request carrying a running attempt's signal is the refresh's own, and never waits.
   */
  hold(signal: unknown): Promise<void> | ProbeTicket | undefined {
    const { session } = this.#host.state();
    if (session.status !== 'authenticated') return undefined;
    const flight = this.#flight;
    const dead = this.#rejected === session.token || (session.expiresAt !== undefined && this.now() >= session.expiresAt);
    if (flight !== undefined) {
      if (signal != null && signal === flight.run.signal) return undefined;
      // Waiting out a network backoff with a token that may work: it goes, or tests it.
      return dead || flight.run.attempting ? this.#held.wait() : this.#probeHold(session.token);
    }
    if (!dead) return this.#probeHold(session.token);
    if (this.#settings.refresh === undefined) {
      // A timer that fired late (a sleeping machine): the token is dead, so is the session.
      this.#host.end('expired');
      return undefined;
    }
    this.#start();
    return this.#held.wait();
  }

  /**
   * A token no response has confirmed yet goes out on at most `probeLimit` requests at
   * once; the others wait for the first answer (see `answered`). Only with a `refresh`:
   * without one, a refused token cannot be renewed, so holding requests back would gain nothing.
   */
  #probeHold(token: string): Promise<void> | ProbeTicket | undefined {
    if (token === this.#trusted || this.#settings.refresh === undefined || this.#settings.probeLimit === Infinity) {
      return undefined;
    }
    let probe = this.#probe;
    if (probe?.token !== token) {
      if (probe !== undefined) this.#closeProbe(probe);
      probe = { token, scope: this.#host.state().scope, out: 0, wave: new Latch(), timer: undefined, gaveUp: false };
      this.#probe = probe;
    }
    if (probe.gaveUp) return undefined;
    if (probe.out < this.#settings.probeLimit) {
      probe.out++;
      return probe;
    }
    if (probe.timer === undefined) {
      // Probes that fail without an answer release the waiting requests a few at a time:
      // the deadline stays that of the first wait, not one more second per wave.
      const waiting = probe;
      const handle = this.#settings.clock.setTimeout(() => {
        if (waiting.timer !== handle) return; // a clock that could not cancel it
        waiting.timer = undefined;
        waiting.gaveUp = true;
        waiting.wave.open();
      }, PROBE_PATIENCE);
      waiting.timer = handle;
    }
    return probe.wave.wait();
  }

  /**
   * A probe came back. Taken (`'ok'`): the token is trusted, and every waiting request
   * goes. Refused: the token is known not to work; the waiting requests are judged again
   * and wait for the refresh. No answer: the ones waiting are judged again, and up to
   * `probeLimit` of them go as probes.
   */
  answered(ticket: ProbeTicket, outcome: ProbeOutcome): void {
    const { token, scope } = ticket as Probe;
    const probe = this.#probe;
    // Only about the current token in the session it was sent in: a late answer for an old
    // token must not take the trust a refreshed token has, nor mark it dead; one from before
    // a logout says nothing of the same token logged in again (the logout may have revoked it).
    const state = this.#host.state();
    const current = state.session.token === token && state.scope === scope;
    if (outcome === 'ok' && current) this.#trusted = token;
    else if (outcome === 'refused' && current) this.#rejected = token;
    // Counted only by its own test: not by a later one of the same token (a new login with it).
    if (probe !== ticket) return;
    probe.out = Math.max(0, probe.out - 1);
    if (outcome === 'none') probe.wave.open();
    else this.#closeProbe(probe);
  }

  /** Stops testing `probe`'s token; every request waiting on it is judged again. */
  #closeProbe(probe: Probe): void {
    if (this.#probe === probe) this.#probe = undefined;
    if (probe.timer !== undefined) this.#settings.clock.clearTimeout(probe.timer);
    probe.timer = undefined;
    probe.wave.open();
  }

  dispose(reason: SessionError): void {
    const probe = this.#probe;
    if (probe !== undefined) this.#closeProbe(probe);
    this.#clearTimer();
    this.#planned = undefined;
    const flight = this.#flight;
    this.#flight = undefined;
    flight?.run.cancel(reason);
    this.#held.open();
    // `false` first if a refresh was running: `refreshing$` ends as it would after a logout.
    // Decided when queued emissions reach it: a flight that ended just before `dispose()` (a
    // listener of its outcome disposed) has its own `false` queued behind this.
    this.#host.emit(() => {
      if (this.refreshing.value) this.refreshing.next(false);
      this.refreshing.complete();
    });
  }

  #start(): Flight<TUser> {
    const running = this.#flight;
    if (running !== undefined) return running;
    const { scope, session: current } = this.#host.state();
    const refresh = this.#settings.refresh;
    if (scope === null || current.token === null || refresh === undefined) {
      throw new Error('unreachable: no session to refresh');
    }
    const { clock, timeout } = this.#settings;
    const startedAt = clock.now();
    const run = new RefreshFlight({
      clock,
      timeout,
      call: (signal, attempt) => {
        // The current session (a refresh token updated meanwhile is used), which is this
        // epoch's: a flight of an ended epoch was cancelled before it could get here.
        const { session } = this.#host.state();
        if (session.status !== 'authenticated') throw new SessionError('NOT_AUTHENTICATED', 'The session ended');
        return refresh(session as AuthenticatedSession<TUser>, { signal, config: { skipAuth: true, signal }, attempt });
      },
      retryUntil: () => {
        const { session } = this.#host.state();
        const alive = session.expiresAt !== undefined && this.#rejected !== session.token;
        return alive ? session.expiresAt : startedAt + timeout;
      },
      failed: (error, retryIn, { status, network }) => {
        this.#host.event({ type: 'refresh-error', ...when(clock.now()), error, retryIn, status, network });
        // Final: the session ends now, as the event says, before anything else can happen.
        if (retryIn === undefined) this.#end(flight);
        // Waiting out a backoff now: requests held for the attempt are judged again, as new
        // ones are (a token that may still work goes; a dead one waits for the next attempt).
        else this.#held.open();
      },
    });
    const session = run.result.then(
      (result) => this.#succeeded(flight, result),
      (error: unknown) => this.#failed(flight, error),
    );
    // However it ends, the requests held for it are judged again.
    const wake = (): void => this.#held.open();
    void session.then(wake, wake);
    const flight: Flight<TUser> = { run, scope, token: current.token, session, superseded: false };
    this.#flight = flight;
    // Started before anyone hears of it: a `refreshing$` subscriber that logs out then
    // cancels a flight that has begun, rather than one that would begin afterwards.
    run.start();
    this.#emitRefreshing();
    return flight;
  }

  #succeeded(flight: Flight<TUser>, result: unknown): AuthenticatedSession<TUser> {
    const { session, scope } = this.#host.state();
    if ((result === SUPERSEDED || flight.superseded) && scope === flight.scope && session.status === 'authenticated') {
      return session as AuthenticatedSession<TUser>;
    }
    if (this.#flight !== flight || scope !== flight.scope || session.status !== 'authenticated') {
      // Abandoned meanwhile (`changed()` already rejected the flight): discard.
      throw scope?.endedWith ?? flight.scope.endedWith ?? new SessionError('SESSION_ENDED', 'The session ended');
    }
    let next: AuthenticatedSession<TUser>;
    try {
      next = sessionFromRefresh(session as AuthenticatedSession<TUser>, result, 'refresh', this.now());
      if (next.expiresAt !== undefined && next.expiresAt <= this.now()) {
        throw new SessionError('REFRESH_FAILED', 'The refresh call returned a token that has already expired');
      }
    } catch (err) {
      const error =
        err instanceof SessionError && err.code === 'REFRESH_FAILED'
          ? err
          : new SessionError('REFRESH_FAILED', `The refresh call returned no usable credentials: ${(err as Error).message}`);
      this.#host.event({
        type: 'refresh-error',
        ...when(this.now()),
        error,
        retryIn: undefined,
        status: undefined,
        network: false,
      });
      return this.#failed(flight, error);
    }
    this.#flight = undefined;
    this.#rejected = undefined;
    // Issued by the server just now: no need to test it.
    this.#trusted = next.token;
    const notExtended = next.expiresAt !== undefined && session.expiresAt !== undefined && next.expiresAt <= session.expiresAt;
    this.#notExtended = notExtended ? next : undefined;
    this.#host.apply(next);
    this.#notExtended = undefined;
    this.#emitRefreshing();
    return next;
  }

  #failed(flight: Flight<TUser>, error: unknown): AuthenticatedSession<TUser> {
    const { session, scope } = this.#host.state();
    if (flight.superseded && scope === flight.scope && session.status === 'authenticated') {
      return session as AuthenticatedSession<TUser>;
    }
    this.#end(flight);
    throw error;
  }

  /**
   * The refresh failed for good: the session ends. (A cancelled flight was already taken
   * off by `changed()`: its session ended first.)
   */
  #end(flight: Flight<TUser>): void {
    if (this.#flight !== flight) return;
    this.#flight = undefined;
    if (this.#host.state().scope === flight.scope) this.#host.end('refresh-failed');
    this.#emitRefreshing();
  }

  /** Sets the one timer for the current session: its proactive refresh, or its expiry. */
  #plan(): void {
    this.#clearTimer();
    const { session } = this.#host.state();
    const expiresAt = session.expiresAt;
    if (session.status !== 'authenticated' || expiresAt === undefined) {
      this.#planned = undefined;
      return;
    }
    const now = this.now();
    const planned = this.#planned;
    const stale = this.#notExtended === session;
    if (planned === undefined || planned.token !== session.token || planned.expiresAt !== expiresAt || stale) {
      this.#planned = { token: session.token, expiresAt, at: now, stale };
    }
    this.#wait(true);
  }

  /** When the timer is due: `refreshMargin` before expiry, but not before half the token's life, with a refresh; else at expiry. */
  #due(): number {
    const { expiresAt, at, stale } = this.#planned as Planned;
    if (this.#settings.refresh === undefined || stale) return expiresAt;
    // Never before half its life: a token that lives just longer than the margin would
    // otherwise be refreshed right after it arrives, again and again.
    const life = expiresAt - at;
    return at + Math.max(life - this.#settings.margin, life / 2);
  }

  #wait(planning = false): void {
    const wait = this.#due() - this.now();
    if (wait <= 0) {
      if (planning && this.#settings.refresh !== undefined) {
        // Due already (a token restored after it expired): refresh right after the call
        // that planned it, so that a refresh using something set up after the store (the
        // bound instance it posts through, say) finds it in place. Requests meanwhile wait.
        // A resolved promise rather than `queueMicrotask`, which jest's fake timers hold back.
        const planned = this.#planned;
        void Promise.resolve().then(() => {
          if (this.#planned === planned) this.#fire();
        });
      } else {
        this.#fire();
      }
      return;
    }
    this.#timing = true;
    const id = ++this.#timers;
    this.#timer = this.#settings.clock.setTimeout(
      () => {
        if (id !== this.#timers || !this.#timing) return; // replaced, on a clock that could not cancel it
        this.#timing = false;
        this.#timer = undefined;
        // Fired late or early, the clock decides: due now, or wait again.
        if (this.#planned !== undefined) this.#wait();
      },
      Math.min(wait, MAX_WAIT),
    );
  }

  #fire(): void {
    if (this.#settings.refresh === undefined) {
      this.#planned = undefined;
      this.#host.end('expired');
    } else if (this.#flight === undefined) {
      this.#start().session.catch(noop); // failures end the session; nobody awaits a proactive refresh
    }
  }

  #clearTimer(): void {
    if (!this.#timing) return;
    this.#timing = false;
    this.#settings.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
