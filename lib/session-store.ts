import { Subject, config, type Observable, distinctUntilChanged, map } from 'rxjs';
import { describe, SessionError } from './errors';
import { when, type SessionEvent } from './events';
import { AbortScope } from './internal/abort-scope';
import { ExpiryTimer } from './internal/expiry-timer';
import { ProbeGate } from './internal/probe-gate';
import { RefreshCoordinator } from './internal/refresh-coordinator';
import { StateCell, type SessionChange } from './internal/state-cell';
import { STORE_BRAND, storeLinks, type Binding } from './internal/store-link';
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
import { parseStoreOptions, type SessionStoreOptions, type StoreSettings } from './store-options';

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
  readonly #logouts = new Subject<LogoutEvent<TUser>>();
  readonly #bindings = new Set<Binding>();
  readonly #events = new Subject<SessionEvent>();
  readonly #settings: StoreSettings<TUser>;
  // The token's lifecycle, in three parts told of every change, in this order.
  readonly #gate: ProbeGate<TUser>;
  readonly #expiry: ExpiryTimer<TUser>;
  readonly #refresher: RefreshCoordinator<TUser>;

  /**
   * The current session and every change after it. A subscriber gets the current
   * session at once. It never errors, and completes on `dispose()`.
   */
  readonly session$: Observable<Session<TUser>>;
  /** The current token (`null` when signed out), emitted only when it changes. */
  readonly token$: Observable<string | null>;
  /** Whether someone is signed in, emitted only when it changes. */
  readonly isAuthenticated$: Observable<boolean>;
  /** One event per real logout: why, and the session that ended. Does not replay. */
  readonly logout$: Observable<LogoutEvent<TUser>>;
  /**
   * Whether a refresh is running, emitted only when it changes (`false` at once on
   * subscription when none is).
   */
  readonly refreshing$: Observable<boolean>;
  /**
   * What happens to the session, for logging and analytics: `login`, `update`, `refresh`,
   * `refresh-error` and `logout`, each with a timestamp. Does not replay; never carries a
   * token's value.
   */
  readonly events$: Observable<SessionEvent>;

  /**
   * Creates a store, signed out unless `initial` gives a session.
   *
   * @throws {TypeError} for an unknown or bad option, naming it. {@link SessionError} for a
   * bad `initial`, as `login()` would (`INVALID_TOKEN`, `INVALID_CREDENTIALS`, `EXPIRED`).
   */
  constructor(options: SessionStoreOptions<TUser> = {}) {
    const settings = (this.#settings = parseStoreOptions<TUser>(options));
    const gate = (this.#gate = new ProbeGate<TUser>(settings));
    const refresher = (this.#refresher = new RefreshCoordinator<TUser>(
      {
        apply: (session, extended) =>
          this.#commit(session, this.#cell.state.scope, undefined, undefined, this.#event('refresh', session), extended),
        end: (reason) => this.logout(reason),
        emit: (fn) => this.#cell.push(fn),
        event: (event) => this.#cell.push(() => this.#events.next(event)),
      },
      settings,
      gate,
    ));
    this.#expiry = new ExpiryTimer<TUser>(
      settings,
      settings.refresh === undefined ? () => this.logout('expired') : () => refresher.due(),
    );
    const initial =
      options.initial === undefined ? ANONYMOUS : sessionFromLogin<TUser>(options.initial, 'new SessionStore({ initial })');
    this.#expiry.assertUsable(initial, 'new SessionStore({ initial })');
    const cell = (this.#cell = new StateCell<TUser>({
      session: initial,
      scope: initial === ANONYMOUS ? null : new AbortScope(),
    }));
    this.session$ = cell.session$;
    this.token$ = this.session$.pipe(
      map((s) => s.token),
      distinctUntilChanged(),
    );
    this.isAuthenticated$ = this.session$.pipe(
      map((s) => s.token !== null),
      distinctUntilChanged(),
    );
    this.logout$ = this.#logouts.asObservable();
    this.refreshing$ = refresher.refreshing.pipe(distinctUntilChanged());
    this.events$ = this.#events.asObservable();
    Object.defineProperty(this, STORE_BRAND, { value: true, writable: true });
    storeLinks.set(this, {
      state: () => cell.state,
      attach: (binding) => this.#attach(binding),
      hold: (signal) => refresher.hold(signal),
      answered: (ticket, outcome) => gate.answered(ticket, outcome),
      recover: (signal) => refresher.recover(signal),
      canRefresh: () => settings.refresh !== undefined,
    });
    this.#tell({ next: cell.state });
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
   * A login while already signed in ends the previous epoch first: that session's
   * in-flight requests are cancelled (with reason `'replaced'`), without a `logout$`
   * event.
   *
   * @throws {SessionError} `INVALID_TOKEN` for an empty, non-string or unsafe token
   * (whitespace only, control characters, CR/LF, non-ASCII); `INVALID_CREDENTIALS` for
   * another malformed field; `EXPIRED` for a token that has expired on a store without
   * `refresh`; `DISPOSED`. Nothing changes when it throws.
   */
  login(tokenOrCredentials: string | Credentials<TUser>): AuthenticatedSession<TUser> {
    this.#assertAlive('login()');
    const session = sessionFromLogin<TUser>(tokenOrCredentials, 'login()');
    this.#expiry.assertUsable(session, 'login()');
    this.#commit(session, new AbortScope(), 'replaced', undefined, this.#event('login', session));
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
    this.#expiry.assertUsable(next, 'update()');
    if (next !== session) this.#commit(next, scope, undefined, undefined, this.#event('update', next));
    return next;
  }

  /**
   * Signs out: aborts every in-flight request of the epoch on every bound instance, then
   * emits the anonymous session and once on `logout$` (subscribers find those requests'
   * signals already aborted). Requests cancelled this way reject with axios'
   * `CanceledError`, whose `config.signal.reason` is a `SessionError('SESSION_ENDED')`
   * carrying `reason`.
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
    const ended = this.#cell.state.session;
    if (ended.status !== 'authenticated') return;
    this.#commit(
      ANONYMOUS,
      null,
      reason,
      { reason, session: ended },
      { type: 'logout', ...when(this.#settings.clock.now()), reason },
    );
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
   * `refresh` option, `DISPOSED`.
   *
   * @example
   * ```ts
   * const store = new SessionStore({
   *   refresh: async (session, { config }) => {
   *     const res = await auth.post('/token', { refresh_token: session.refreshToken }, config);
   *     return { token: res.data.access_token, refreshToken: res.data.refresh_token };
   *   },
   * });
   * await store.refresh();
   * ```
   */
  refresh(): Promise<AuthenticatedSession<TUser>> {
    return this.#cell.closed ? Promise.reject(disposed('refresh()')) : this.#refresher.refresh(true);
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
    cell.hold(() => {
      const previous = cell.state;
      cell.state = { session: ANONYMOUS, scope: null };
      for (const binding of [...this.#bindings]) reporting(() => binding.detach());
      this.#bindings.clear();
      const reason = ended('disposed');
      const why = (): SessionError => reason;
      // Ends the lifecycle as a logout would: the probes, the timer, the refresh.
      this.#tell({ next: cell.state, ended: why });
      previous.scope?.end(why);
      const { refreshing } = this.#refresher;
      cell.push(() => {
        // `false` first if a refresh was running (one whose own `false` is still queued, say,
        // as a listener of its outcome disposed): `refreshing$` ends as after a logout.
        refreshing.next(false);
        refreshing.complete();
        cell.end();
        this.#logouts.complete();
        this.#events.complete();
      });
    });
  }

  /**
   * Makes `session` current. The order is what makes logout a fence: the state the
   * request interceptors read changes first, then every binding's defaults, then the
   * old epoch's requests are aborted, and only then do subscribers hear of it (with the
   * `logout$` event, if any, right after the session it belongs to).
   */
  #commit(
    session: Session<TUser>,
    scope: AbortScope | null,
    endReason: LogoutReason | undefined,
    logout: LogoutEvent<TUser> | undefined,
    event: SessionEvent,
    extended?: boolean,
  ): void {
    const cell = this.#cell;
    cell.hold(() => {
      const previous = cell.state;
      // Queued before the old epoch's abort listeners run: a listener that calls back
      // into the store queues its own emission after this one.
      cell.set({ session, scope }, () => {
        if (logout !== undefined) this.#logouts.next(logout);
        this.#events.next(event);
      });
      for (const binding of this.#bindings) reporting(() => binding.sync());
      let reason: SessionError | undefined;
      const why =
        previous.scope !== null && previous.scope !== scope && endReason !== undefined
          ? (): SessionError => (reason ??= ended(endReason))
          : undefined;
      // A refresh of the ended epoch is abandoned before its requests are aborted.
      this.#tell({ next: cell.state, ended: why, extended });
      if (why !== undefined) previous.scope?.end(why);
    });
  }

  /**
   * Tells the lifecycle's parts of `change`, in order. A part may make a change itself (the
   * expiry timer ends a session found expired; an abort listener of the refresh the
   * coordinator abandons logs in): every part hears of that one at once, and those after it
   * then hear of this one with what is current now, not a state already replaced.
   */
  #tell(change: SessionChange<TUser>): void {
    for (const part of [this.#gate, this.#expiry, this.#refresher]) {
      const now = this.#cell.state;
      part.changed(now === change.next ? change : { next: now, ended: change.ended });
    }
  }

  #event(type: 'login' | 'update' | 'refresh', session: AuthenticatedSession<TUser>): SessionEvent {
    return { type, ...when(this.#settings.clock.now()), expiresAt: session.expiresAt };
  }

  #attach(binding: Binding): () => void {
    this.#assertAlive('bindAxios()');
    this.#bindings.add(binding);
    binding.sync();
    return () => {
      this.#bindings.delete(binding);
    };
  }

  #assertAlive(api: string): void {
    if (this.#cell.closed) throw disposed(api);
  }
}

/**
 * Runs a binding's step (bringing its defaults in line, or unbinding it). One whose
 * defaults cannot be written (an app that froze `defaults.headers.common`) must not stop
 * a logout or `dispose()` halfway: the fence reads the store's state, not the defaults.
 * The error is reported as RxJS reports a subscriber's: to `config.onUnhandledError` if
 * set, else rethrown asynchronously.
 */
function reporting(step: () => void): void {
  try {
    step();
  } catch (err) {
    setTimeout(() => {
      const report = config.onUnhandledError;
      if (report === null) throw err;
      report(err);
    });
  }
}

function disposed(api: string): SessionError {
  return new SessionError('DISPOSED', `\`${api}\` was called on a disposed SessionStore; create a new one`);
}

function ended(reason: LogoutReason): SessionError {
  return new SessionError('SESSION_ENDED', `The session ended (${reason}); its requests were cancelled`, { reason });
}
