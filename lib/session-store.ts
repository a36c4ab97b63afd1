import { Subject, type Observable, distinctUntilChanged } from 'rxjs';
import { describe, disposed } from './errors';
import { when, type SessionEvent } from './events';
import { AbortScope } from './internal/abort-scope';
import { Bindings } from './internal/bindings';
import { Lifecycle } from './internal/lifecycle';
import { SessionFence } from './internal/session-fence';
import { select, StateCell } from './internal/state-cell';
import { STORE_BRAND, storeLinks } from './internal/store-link';
import {
  ANONYMOUS,
  needsSession,
  sessionFromLogin,
  sessionFromUpdate,
  type AuthenticatedSession,
  type Credentials,
  type LogoutEvent,
  type LogoutReason,
  type Session,
} from './session';
import { parseStoreOptions, restoredOption, type LoginOptions, type SessionStoreOptions } from './store-options';
import type { Clock } from './clock';

/**
 * The app's one source of truth about who is signed in.
 *
 * It wraps a private `BehaviorSubject<Session>`: UI code subscribes to the streams,
 * bound axios instances (see `bindAxios`) follow it without being told, and
 * `logout()` is a fence: when it returns, every in-flight request of the ended
 * session on every bound instance has been cancelled, and none with the old token
 * can leave.
 *
 * Each `login()` starts a new session *epoch*; `update()` changes the session within
 * its epoch (token rotation, profile changes) and cancels nothing.
 *
 * @example
 * ```ts
 * const store = new SessionStore<User>();
 * const api = axios.create({ baseURL: 'https://api.example.com' });
 * bindAxios(store, api);
 *
 * store.isAuthenticated$.subscribe((signedIn) => render(signedIn));
 * store.login({ token, user });   // every request of `api` now carries `Bearer <token>`
 * store.logout();                 // cancels what is in flight; nothing old leaves again
 * ```
 */
export class SessionStore<TUser = unknown> {
  readonly #cell: StateCell<TUser>;
  /** Where the store reads the time its events are stamped with. */
  readonly #clock: Clock;
  /** The token's lifecycle: the probe gate, the expiry timer and the refresh coordinator. */
  readonly #life: Lifecycle<TUser>;
  /** How the state changes (see `SessionFence`): every change goes through it. */
  readonly #fence: SessionFence<TUser>;

  // The streams are `declare`d: the constructor makes them, in this order, with no field
  // definitions before it.

  /**
   * The current session and every change after it. A subscriber gets the current
   * session at once. It never errors, and completes on `dispose()`.
   */
  declare readonly session$: Observable<Session<TUser>>;
  /** The current token (`null` when signed out), emitted only when it changes. */
  declare readonly token$: Observable<string | null>;
  /** Whether someone is signed in, emitted only when it changes. */
  declare readonly isAuthenticated$: Observable<boolean>;
  /** One event per real logout: why, and the session that ended. Does not replay. */
  declare readonly logout$: Observable<LogoutEvent<TUser>>;
  /**
   * Whether a refresh is running, emitted only when it changes (`false` at once on
   * subscription when none is).
   */
  declare readonly refreshing$: Observable<boolean>;
  /**
   * What happens to the session, for logging and analytics: `login`, `update`, `refresh`,
   * `refresh-error`, `logout` and (from `persistSession()`) `storage-error`, each with a
   * timestamp. Does not replay; never carries a token's value.
   */
  declare readonly events$: Observable<SessionEvent>;

  /**
   * Creates a store, signed out unless `initial` gives a session.
   *
   * @throws {TypeError} for an unknown or bad option, naming it. {@link SessionError} for a
   * bad `initial`, as `login()` would (`INVALID_TOKEN`, `INVALID_CREDENTIALS`, `EXPIRED`).
   */
  constructor(options: SessionStoreOptions<TUser> = {}) {
    const settings = parseStoreOptions<TUser>(options);
    const clock = (this.#clock = settings.clock);
    const logouts = new Subject<LogoutEvent<TUser>>();
    const events = new Subject<SessionEvent>();
    const bindings = new Bindings();
    const life = (this.#life = new Lifecycle<TUser>(settings, {
      refreshed: (session, extended) =>
        this.#fence.commit(session, this.#cell.state.scope, undefined, undefined, this.#event('refresh', session), extended),
      end: (reason) => this.logout(reason),
      event: (event) => this.#cell.push(() => events.next(event)),
    }));
    const initial =
      options.initial === undefined ? ANONYMOUS : sessionFromLogin<TUser>(options.initial, 'new SessionStore({ initial })');
    life.assertUsable(initial, 'new SessionStore({ initial })');
    const scope = initial === ANONYMOUS ? null : new AbortScope();
    const cell = (this.#cell = new StateCell<TUser>({ session: initial, scope }));
    this.#fence = new SessionFence<TUser>(cell, bindings, life, { logouts, events });
    this.session$ = cell.session$;
    this.token$ = select(cell.session$, (s) => s.token);
    this.isAuthenticated$ = select(cell.session$, (s) => s.token !== null);
    this.logout$ = logouts.asObservable();
    this.refreshing$ = life.refresher.refreshing.pipe(distinctUntilChanged());
    this.events$ = events.asObservable();
    Object.defineProperty(this, STORE_BRAND, { value: true, writable: true });
    storeLinks.set(this, {
      state: () => cell.state,
      attach: (binding) => {
        this.#assertAlive('bindAxios()');
        return bindings.add(binding);
      },
      ...life.requests,
      canRefresh: () => settings.refresh !== undefined,
      event: (event) => {
        const stamped: SessionEvent = { ...event, ...when(clock.now()) };
        if (!cell.closed) cell.push(() => events.next(stamped));
      },
    });
    life.start(cell);
  }

  /** A synchronous snapshot of the current session. */
  get session(): Session<TUser> {
    return this.#cell.state.session;
  }

  /** How many requests of the current session, on all bound instances, have not settled yet. */
  get inFlight(): number {
    return this.#cell.state.scope?.size ?? 0;
  }

  /**
   * Signs in: starts a new session epoch and returns the new session.
   *
   * The token is trusted at once: it was just issued, so no request waits for a probe.
   * A token the app read back from storage may have been revoked meanwhile: pass
   * `{ restored: true }`, and it is tested first, as `persistSession()` and `initial` do
   * (with a `refresh` option, at most `probeLimit` requests carry it until one is answered).
   *
   * A login while already signed in ends the previous epoch first: that session's
   * in-flight requests are cancelled (with reason `'replaced'`), without a `logout$`
   * event.
   *
   * @throws {SessionError} `INVALID_TOKEN` for an empty, non-string or unsafe token
   * (whitespace only, control characters, CR/LF, non-ASCII); `INVALID_CREDENTIALS` for
   * another malformed field; `EXPIRED` for a token that has expired on a store without
   * `refresh`; `DISPOSED`. A `TypeError` for bad `options`, naming the option. Nothing
   * changes when it throws.
   */
  login(tokenOrCredentials: string | Credentials<TUser>, options?: LoginOptions): AuthenticatedSession<TUser> {
    this.#assertAlive('login()');
    const restored = restoredOption(options);
    const session = sessionFromLogin<TUser>(tokenOrCredentials, 'login()');
    this.#life.assertUsable(session, 'login()');
    if (!restored) this.#life.gate.vouch(session.token);
    this.#fence.commit(session, new AbortScope(), 'replaced', undefined, this.#event('login', session, restored));
    return session;
  }

  /**
   * Changes the session within its epoch: a rotated token, a new expiry, a profile
   * change. Cancels nothing. Emits only if something changed.
   *
   * @throws {SessionError} `NOT_AUTHENTICATED` when signed out; `INVALID_TOKEN`,
   * `INVALID_CREDENTIALS`, `EXPIRED` (as `login()`), `DISPOSED`. Nothing changes when it
   * throws.
   */
  update(changes: Partial<Credentials<TUser>>): AuthenticatedSession<TUser> {
    this.#assertAlive('update()');
    const { session, scope } = this.#cell.state;
    if (session.status !== 'authenticated') throw needsSession('update()');
    const next = sessionFromUpdate(session, changes, 'update()');
    this.#life.assertUsable(next, 'update()');
    if (next !== session) this.#fence.commit(next, scope, undefined, undefined, this.#event('update', next));
    return next;
  }

  /**
   * Signs out: aborts every in-flight request of the epoch on every bound instance, then
   * emits the anonymous session and once on `logout$` (subscribers find those requests'
   * signals already aborted). Requests cancelled this way reject as their client rejects
   * a cancelled request: axios with a `CanceledError` (its `config.signal.reason` is the
   * `SessionError`), `createFetch()` with the `SessionError('SESSION_ENDED')` itself
   * (as an aborted `fetch` rejects with its signal's reason), Angular's `HttpClient` with
   * an `HttpErrorResponse` (`status: 0`) whose `error` is it. Each carries `reason`, and
   * `getSessionEnd(err)` finds it in all three.
   *
   * Idempotent: when already signed out it does nothing.
   *
   * @throws {TypeError} when `reason` is not a non-empty string. {@link SessionError} `DISPOSED`.
   */
  logout(reason: LogoutReason = 'user'): void {
    this.#assertAlive('logout()');
    if (typeof reason !== 'string' || reason.length === 0) {
      throw new TypeError(`\`logout(reason)\` needs a non-empty string reason; got ${describe(reason)}`);
    }
    const session = this.#cell.state.session; // the one that ends
    if (session.status !== 'authenticated') return;
    this.#fence.commit(ANONYMOUS, null, reason, { reason, session }, { type: 'logout', ...when(this.#clock.now()), reason });
  }

  /**
   * Refreshes the session now with the `refresh` option, and resolves with the refreshed
   * session (same epoch: nothing is cancelled).
   *
   * Single flight: concurrent calls (the app's, the proactive timer's, every bound
   * instance's 401 recovery) share one call of `refresh`. A refresh waiting out a network
   * backoff tries again at once when this is called. When it fails for good the
   * session ends with `logout('refresh-failed')` and this rejects with
   * `SessionError('REFRESH_FAILED')`; when the session ends meanwhile (logout, a new
   * login, dispose), the refresh is abandoned, its result discarded, and this rejects
   * with `SessionError('SESSION_ENDED')`.
   *
   * Rejects with `NOT_AUTHENTICATED` when signed out, `REFRESH_UNAVAILABLE` without a
   * `refresh` option, `DISPOSED`. See {@link RefreshFunction} for an example of the option.
   */
  refresh(): Promise<AuthenticatedSession<TUser>> {
    return this.#cell.closed ? Promise.reject(disposed('refresh()')) : this.#life.refresher.refresh(true);
  }

  /**
   * Tears the store down: aborts what is in flight, unbinds every bound instance
   * (removing the header from its defaults), and completes every stream. Every later
   * call except `dispose()` throws `SessionError('DISPOSED')`.
   */
  dispose(): void {
    const cell = this.#cell;
    if (cell.closed) return;
    cell.closed = true;
    storeLinks.delete(this);
    (this as unknown as Record<symbol, boolean>)[STORE_BRAND] = false;
    this.#fence.close();
  }

  /** The event of a new session (`restored`: a login of a restored token). */
  #event(type: 'login' | 'update' | 'refresh', session: AuthenticatedSession<TUser>, restored?: boolean): SessionEvent {
    const event = { type, ...when(this.#clock.now()), expiresAt: session.expiresAt };
    return restored === true ? { ...event, type: 'login', restored: true } : event;
  }

  #assertAlive(api: string): void {
    if (this.#cell.closed) throw disposed(api);
  }
}
