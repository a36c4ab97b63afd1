import { BehaviorSubject, Observable, Subject, config, distinctUntilChanged, map, skip } from 'rxjs';
import { describe, SessionError } from './errors';
import { when, type SessionEvent } from './events';
import { AbortScope } from './internal/abort-scope';
import { EmitQueue } from './internal/emit-queue';
import { Lifecycle } from './internal/lifecycle';
import { STORE_BRAND, storeLinks, type Binding, type StoreState } from './internal/store-link';
import {
  ANONYMOUS,
  sessionFromLogin,
  sessionFromUpdate,
  type AuthenticatedSession,
  type Credentials,
  type LogoutEvent,
  type LogoutReason,
  type Session,
} from './session';
import { parseStoreOptions, type SessionStoreOptions } from './store-options';

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
  readonly #subject: BehaviorSubject<Session<TUser>>;
  readonly #logouts = new Subject<LogoutEvent<TUser>>();
  readonly #emits = new EmitQueue();
  readonly #bindings = new Set<Binding>();
  readonly #events = new Subject<SessionEvent>();
  readonly #lifecycle: Lifecycle<TUser>;
  #state: StoreState;
  #disposed = false;
  /** Sessions made current whose emission is still queued (a change made from inside a callback). */
  #unheard = 0;

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
    const settings = parseStoreOptions<TUser>(options);
    this.#lifecycle = new Lifecycle<TUser>(
      {
        state: () => this.#state,
        apply: (session) => this.#commit(session, this.#state.scope, undefined, undefined, this.#event('refresh', session)),
        end: (reason) => this.logout(reason),
        emit: (fn) => this.#emits.push(fn),
        event: (event) => this.#emits.push(() => this.#events.next(event)),
      },
      settings,
    );
    const initial =
      options.initial === undefined ? ANONYMOUS : sessionFromLogin<TUser>(options.initial, 'new SessionStore({ initial })');
    this.#lifecycle.assertUsable(initial, 'new SessionStore({ initial })');
    this.#state = { session: initial, scope: initial === ANONYMOUS ? null : new AbortScope() };
    this.#subject = new BehaviorSubject<Session<TUser>>(initial);
    // Once disposed, a new subscriber gets only the completion, also from inside a callback
    // (before the queued completion has reached the subject). One that comes while changes
    // are still queued (from inside a callback, right after a logout) gets the current
    // session, as `store.session` says, not the older one the subject still holds; then
    // only what changes after it.
    this.session$ = new Observable<Session<TUser>>((subscriber) => {
      if (this.#disposed) {
        subscriber.complete();
        return undefined;
      }
      const unheard = this.#unheard;
      if (unheard === 0) return this.#subject.subscribe(subscriber);
      subscriber.next(this.#state.session as Session<TUser>);
      // Not the subject's replay of its older value, nor the queued ones.
      return this.#subject.pipe(skip(unheard + 1)).subscribe(subscriber);
    });
    this.token$ = this.session$.pipe(
      map((s) => s.token),
      distinctUntilChanged(),
    );
    this.isAuthenticated$ = this.session$.pipe(
      map((s) => s.token !== null),
      distinctUntilChanged(),
    );
    this.logout$ = this.#logouts.asObservable();
    this.refreshing$ = this.#lifecycle.refreshing.pipe(distinctUntilChanged());
    this.events$ = this.#events.asObservable();
    Object.defineProperty(this, STORE_BRAND, { value: true, writable: true });
    storeLinks.set(this, {
      state: () => this.#state,
      attach: (binding) => this.#attach(binding),
      hold: (signal) => this.#lifecycle.hold(signal),
      answered: (ticket, outcome) => {
        this.#lifecycle.answered(ticket, outcome);
      },
      recover: (signal) => this.#lifecycle.recover(signal),
      canRefresh: () => this.#lifecycle.canRefresh,
    });
    this.#lifecycle.changed(null, undefined);
  }

  /** A synchronous snapshot of the current session. */
  get session(): Session<TUser> {
    return this.#state.session as Session<TUser>;
  }

  /** How many requests of the current session, on all bound instances, have not settled yet. */
  get inFlight(): number {
    return this.#state.scope?.size ?? 0;
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
    this.#lifecycle.assertUsable(session, 'login()');
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
    const { session, scope } = this.#state;
    if (session.status !== 'authenticated' || scope === null) {
      throw new SessionError('NOT_AUTHENTICATED', '`update()` needs a session; call `login()` first');
    }
    const next = sessionFromUpdate(session as AuthenticatedSession<TUser>, changes, 'update()');
    this.#lifecycle.assertUsable(next, 'update()');
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
    const ended = this.#state.session;
    if (ended.status !== 'authenticated') return;
    this.#commit(
      ANONYMOUS,
      null,
      reason,
      { reason, session: ended as AuthenticatedSession<TUser> },
      {
        type: 'logout',
        ...when(this.#lifecycle.now()),
        reason,
      },
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
    if (this.#disposed) {
      return Promise.reject(new SessionError('DISPOSED', '`refresh()` was called on a disposed SessionStore; create a new one'));
    }
    return this.#lifecycle.refresh();
  }

  /**
   * Tears the store down: aborts what is in flight, unbinds every bound instance
   * (removing the header from its defaults), and completes every stream. Every later
   * call except `dispose()` throws `SessionError('DISPOSED')`.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    storeLinks.delete(this);
    (this as unknown as Record<symbol, boolean>)[STORE_BRAND] = false;
    this.#emits.hold(() => {
      const scope = this.#state.scope;
      this.#state = { session: ANONYMOUS, scope: null };
      for (const binding of [...this.#bindings]) reporting(() => binding.detach());
      this.#bindings.clear();
      const reason = ended('disposed');
      this.#lifecycle.dispose(reason);
      scope?.end(() => reason);
      this.#emits.push(() => {
        this.#subject.complete();
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
  ): void {
    this.#emits.hold(() => {
      const previous = this.#state.scope;
      this.#state = { session, scope };
      for (const binding of this.#bindings) reporting(() => binding.sync());
      // Queued before the old epoch's abort listeners run: a listener that calls back
      // into the store queues its own emission after this one.
      this.#unheard++;
      this.#emits.push(() => {
        this.#unheard--;
        this.#subject.next(session);
        if (logout !== undefined) this.#logouts.next(logout);
        this.#events.next(event);
      });
      let reason: SessionError | undefined;
      const why =
        previous !== null && previous !== scope && endReason !== undefined
          ? (): SessionError => (reason ??= ended(endReason))
          : undefined;
      // A refresh of the ended epoch is abandoned before its requests are aborted.
      this.#lifecycle.changed(previous, why);
      if (why !== undefined) previous?.end(why);
    });
  }

  #event(type: 'login' | 'update' | 'refresh', session: AuthenticatedSession<TUser>): SessionEvent {
    return { type, ...when(this.#lifecycle.now()), expiresAt: session.expiresAt };
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
    if (this.#disposed) {
      throw new SessionError('DISPOSED', `\`${api}\` was called on a disposed SessionStore; create a new one`);
    }
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

function ended(reason: LogoutReason): SessionError {
  return new SessionError('SESSION_ENDED', `The session ended (${reason}); its requests were cancelled`, { reason });
}
