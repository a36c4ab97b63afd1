import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import { errorName, isSessionError } from '../errors';
import type { StoreLink, StoreState } from '../internal/store-link';
import { guardRefresh } from '../internal/refresh-guards';
import { jwtTime } from '../jwt';
import { linkOf } from '../request/store-of';
import { sessionFromRefresh, type Credentials, type Session } from '../session';
import type { SessionStore } from '../session-store';
import { parsePersistOptions, type PersistSessionOptions } from './persist-options';
import { loginId, loginStored } from './login-id';
import { deserialize, serialize, type PersistedField } from './stored-session';
import { isThenable, writer as storageWriter, type Operation, type StorageProblem } from './writer';

/** What `persistSession()` returns. */
export interface PersistedSession<TUser = unknown> {
  /**
   * Resolves with the store's session once the stored one has been read and applied (at
   * once with a synchronous storage). Never rejects: a storage that fails is reported on
   * `events$` as a `storage-error`, and the store goes on in memory.
   */
  readonly ready: Promise<Session<TUser>>;
  /**
   * `true` while the stored session is being read: a UI shows neither the login screen nor
   * the app yet. Emits the current value to every subscriber at once, then `false` once.
   */
  readonly restoring$: Observable<boolean>;
  /** A snapshot of `restoring$`. */
  readonly restoring: boolean;
  /** Stops reading and writing the storage (the stored value stays). */
  stop(): void;
}

/**
 * Makes a store's session survive a reload: restores the stored session now, and writes
 * every change after it (login, update, refresh; a logout removes the key).
 *
 * - With a synchronous storage (`localStorage`) the session is restored before this
 *   returns: a `session$` subscriber sees the signed-in session first.
 * - With an async one, wait for `ready` (or `restoring$` to be `false`) before showing a
 *   login screen.
 * - A restored token is validated as `login()` validates it, and is tested before every
 *   request carries it (`login(…, { restored: true })`). One that has expired is refreshed
 *   at once when the store has `refresh`, and dropped otherwise.
 * - A store already signed in keeps its session, and it is written.
 * - Bad storage never breaks the app: unreadable storage, invalid JSON, a wrong shape or a
 *   field `login()` refuses is reported as a `storage-error` on `events$` (the bad key is
 *   removed), and a write that fails (a full quota) too; the session goes on in memory.
 *
 * @throws {TypeError} for bad options, naming the option. {@link SessionError} `DISPOSED`.
 *
 * @example
 * ```ts
 * const store = new SessionStore({ refresh });
 * const persisted = persistSession(store, { storage: localStorage });
 * await persisted.ready; // at once with localStorage
 * ```
 */
export function persistSession<TUser>(store: SessionStore<TUser>, options?: PersistSessionOptions): PersistedSession<TUser> {
  const link = linkOf(store, 'persistSession()', 'persistSession(store, options)') as StoreLink<TUser>;
  const { storage, key, fields, unavailable } = parsePersistOptions(options);
  const restoring = new BehaviorSubject(true);
  const report = (operation: Operation, problem: StorageProblem, err?: unknown): void =>
    link.event({ type: 'storage-error', operation, problem, errorName: errorName(err) });
  const writer = storageWriter(storage, key, report);
  let stopped = false;
  let following: Subscription | undefined;
  const before = link.state();

  const finish = (raw: unknown): Session<TUser> => {
    if (!stopped) {
      // A session put in place meanwhile (a login while an async storage was read) wins, and
      // so does another tab's logout heard meanwhile (`syncTabs()`): what was read has ended.
      if (link.state() === before && before.session.status !== 'authenticated' && !before.heardLogout) restore(raw);
      else writer.known(raw);
      following = store.session$.subscribe(() => writer.write(serialize(link.state(), fields)));
    }
    // Not completed: a late subscriber still gets `false` at once (`toSignal`, `combineLatest`).
    restoring.next(false);
    return store.session;
  };

  const restore = (raw: unknown): void => {
    // What is stored as it is: a field no longer kept (a refresh token, after `fields` was
    // narrowed) is written out by the first write, which follows.
    writer.known(raw ?? null);
    if (raw == null) return;
    const credentials = deserialize<TUser>(raw, fields);
    let problem: StorageProblem | undefined;
    if (typeof credentials === 'string') {
      problem = credentials;
    } else {
      try {
        loginStored(store, link, credentials, { restored: true });
        return;
      } catch (err) {
        // Expired, on a store that cannot refresh: nothing to restore, and nothing wrong.
        problem = isSessionError(err, 'EXPIRED') ? undefined : 'invalid-session';
      }
    }
    if (problem !== undefined) report('read', problem);
    writer.write(null);
  };

  /** Reads the stored value: `ok` with it, or `fail` with why it could not be read. */
  const read = <T>(ok: (raw: unknown) => T, fail: (err: unknown) => T): T | Promise<T> => {
    let raw: unknown;
    try {
      raw = storage.getItem(key);
    } catch (err) {
      return fail(err);
    }
    return isThenable(raw) ? Promise.resolve(raw).then(ok, fail) : ok(raw);
  };
  const unreadable = (err: unknown): Session<TUser> => {
    report('read', 'unreadable', err);
    return finish(null);
  };
  const ready = Promise.resolve(unavailable === undefined ? read(finish, unreadable) : unreadable(unavailable));

  // Before each refresh attempt (a retry too: the answer to the last one may have been lost
  // after the server rotated the refresh token), a newer session of the same login another
  // tab stored is taken instead of presenting a refresh token that tab may have used already.
  const unshare =
    unavailable === undefined
      ? guardRefresh(link, (run, { clock }) =>
          read((raw) => newer(link.state(), raw, fields, clock.now(), writer.outdated) ?? run(), run),
        )
      : undefined;

  return {
    ready,
    // `false` is emitted once, after `true`.
    restoring$: restoring.asObservable(),
    get restoring() {
      return restoring.value;
    },
    stop() {
      stopped = true;
      writer.stopped = true;
      following?.unsubscribe();
      unshare?.();
    },
  };
}

/**
 * The credentials stored in `raw` when they make a usable session newer than the state's
 * (another token of the same login, living longer), as a refresh would return them;
 * otherwise `undefined`. Another login stored there (another tab's, perhaps another user's)
 * is no refresh of this one: this tab hears of it from `syncTabs()`, or not at all.
 */
function newer<TUser>(
  { session, scope }: StoreState<TUser>,
  raw: unknown,
  fields: readonly PersistedField[],
  now: number,
  outdated: unknown,
): unknown {
  // What the storage kept when this tab's last write failed is older than its session.
  if (raw === outdated) return undefined;
  const stored = deserialize<TUser>(raw, fields);
  if (typeof stored === 'string' || session.status !== 'authenticated') return undefined;
  // Another login's (a value with no id was written by hand, not by a tab: taken as this one's).
  const { id = loginId(scope), ...rest } = stored;
  if (id !== loginId(scope)) return undefined;
  // Stored a while ago, not issued now: its JWT `exp` as it is, with no clock-skew correction.
  const credentials: Credentials<TUser> = { ...rest, expiresAt: rest.expiresAt ?? jwtTime(rest.token, 'exp') };
  let next: Session<TUser>;
  try {
    next = sessionFromRefresh(session, credentials, 'refresh', now);
  } catch {
    return undefined;
  }
  const { token, expiresAt } = next;
  const later = expiresAt === undefined || expiresAt > Math.max(now, session.expiresAt ?? 0);
  return token !== session.token && later ? credentials : undefined;
}

export type { PersistedField };
