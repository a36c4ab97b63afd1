import type { Subscription } from 'rxjs';
import { describe } from '../errors';
import type { GuardedAttempt, StoreLink } from '../internal/store-link';
import { guardRefresh } from '../internal/refresh-guards';
import { optionError, optionsObject } from '../internal/options-object';
import { loginId, loginStored } from '../persist/login-id';
import { deserialize, parseFields, serialize, type PersistedField } from '../persist/stored-session';
import { linkOf } from '../request/store-of';
import type { SessionStore } from '../session-store';
import { openTabChannel, type TabChannel } from './tab-channel';

/** Options of `syncTabs()`. */
export interface SyncTabsOptions {
  /** The channel's name: tabs with the same name agree. Default `'rx-session'`. */
  channel?: string;
  /**
   * What a message carries besides the token, as `persistSession()`'s `fields`. Default all of
   * `'refreshToken'`, `'expiresAt'` and `'user'`.
   */
  fields?: readonly PersistedField[];
  /**
   * The Web Locks API the tabs share a refresh through (one tab calls `refresh`, the others
   * take its result). Default `navigator.locks` where there is one; without it, each tab
   * refreshes on its own (still single-flight within the tab).
   */
  locks?: LockManagerLike;
}

/** The part of the Web Locks API (`navigator.locks`) that `syncTabs()` uses. */
export interface LockManagerLike {
  /** Runs `callback` holding the exclusive lock `name`, as `navigator.locks.request()` does. */
  request(name: string, options: { signal?: AbortSignal; steal?: boolean }, callback: () => Promise<void>): Promise<unknown>;
}

/** What `syncTabs()` returns: call it (or its `stop`) to stop following the other tabs. `dispose()` of the store stops it too. */
export interface TabSync {
  /** Stops following the other tabs, and telling them of this one's changes. */
  (): void;
  /** The same as calling it. */
  stop(): void;
}

/** The messages between tabs. `session` is the stored form (see `persistSession()`). */
type Message =
  { kind: 'login' | 'update'; session: string } | { kind: 'logout' } | { kind: 'ask' } | { kind: 'answer'; session: string };

interface Envelope {
  rx: typeof MARK;
  v: typeof VERSION;
  from: string;
}

const MARK = 'rx-session';
const VERSION = 1;
const API = '`syncTabs()`';
const KEYS = ['channel', 'fields', 'locks'];
const KINDS: readonly Message['kind'][] = ['login', 'update', 'logout', 'ask', 'answer'];
/**
 * How long the lock is kept after a refresh: the other tabs hear of its session (and drop
 * their own refresh) before one of them can take the lock.
 */
const LOCK_HOLD = 100;

/**
 * Makes every tab of the origin agree on the session. When another tab
 * - logs in: this tab is signed in with that session, as a new epoch (its requests of the
 *   previous session are cancelled);
 * - refreshes or updates: this tab takes the new token in the same epoch (nothing is
 *   cancelled), unless it has logged out or in since (an update changes only its own login);
 * - logs out: this tab logs out with the reason `'remote'`, cancelling what is in flight.
 *
 * A tab that starts signed out asks the open tabs for their session, and takes the first
 * answer unless it has signed in meanwhile: the token can stay out of `localStorage` and
 * still reach a new tab. Every session a
 * message brings goes through `login()`'s or `update()`'s validation; messages of another
 * version, garbage and a tab's own are ignored. A message carries no more than
 * `persistSession()` would store: the session, and the id of the login it belongs to.
 *
 * Uses `BroadcastChannel`, or the `storage` event where it is missing.
 *
 * @throws {TypeError} for bad options, naming the option, or where there is neither
 * `BroadcastChannel` nor `localStorage`. {@link SessionError} `DISPOSED`.
 */
export function syncTabs<TUser>(store: SessionStore<TUser>, options?: SyncTabsOptions): TabSync {
  const link = linkOf(store, 'syncTabs()', 'syncTabs(store, options)') as StoreLink<TUser>;
  const { channel: name, fields, locks } = parseSyncTabsOptions(options);
  const self = String(Math.random());
  /** The stored form of the session this tab last heard from, or told, the others. */
  let shared: string | null = serialize(link.state(), fields);
  /** Signed out since it asked the open tabs for their session: it takes the first answer. */
  let asking = false;

  const post = (message: Message): void => channel?.post({ rx: MARK, v: VERSION, from: self, ...message });

  const apply = (message: Message): void => {
    const state = link.state();
    if (message.kind === 'logout') {
      shared = null;
      // An answer still on its way tells of a session that has ended since.
      asking = false;
      store.logout('remote'); // (nothing, when signed out already)
      link.state().heardLogout = true;
      return;
    }
    if (message.kind === 'ask') {
      const session = serialize(state, fields); // `null` when signed out
      if (session !== null) post({ kind: 'answer', session });
      return;
    }
    const credentials = deserialize<TUser>(message.session, fields);
    // A session without the id of its login comes from no tab (of this version).
    if (typeof credentials === 'string' || credentials.id === undefined || message.session === serialize(state, fields)) return;
    // Only a login (or the answer asked for) signs a tab in, and an update changes only the
    // login it belongs to: one sent before its sender heard of a logout, or of another
    // login, would bring an ended session back.
    if (message.kind === 'answer' ? !asking : message.kind === 'update' && credentials.id !== loginId(state.scope)) return;
    shared = message.session;
    asking = false;
    try {
      if (message.kind === 'update') {
        // The fields a message carries are the whole session: one it leaves out is cleared.
        const changes: Record<string, unknown> = { token: credentials.token };
        for (const field of fields) changes[field] = credentials[field];
        store.update(changes);
      } else {
        loginStored(store, link, credentials);
      }
    } catch {
      // A session this store refuses (expired, say): not taken.
      shared = serialize(link.state(), fields);
    }
  };

  const channel: TabChannel | undefined = openTabChannel(name, (data) => {
    const message = parseMessage(data, self);
    if (message !== undefined) apply(message);
  });
  if (channel === undefined) {
    throw new TypeError(`${API} needs \`BroadcastChannel\` or \`localStorage\`, and there is neither here`);
  }

  let lastScope = link.state().scope;
  const tell = (): void => {
    const state = link.state();
    const { scope } = state;
    const value = serialize(state, fields);
    const epoch = scope !== lastScope;
    lastScope = scope;
    if (value === shared) return; // heard from another tab, or said already
    shared = value;
    asking = false;
    if (value === null) post({ kind: 'logout' });
    else post({ kind: epoch ? 'login' : 'update', session: value });
  };
  // `session$` completes on `dispose()`: the channel is closed with it.
  const following: Subscription = store.session$.subscribe({ next: tell, complete: () => stop() });

  if (store.session.status !== 'authenticated') {
    asking = true;
    post({ kind: 'ask' });
  }

  const unshare = locks && guardRefresh(link, (run, attempt) => locked(locks, `${name}:refresh`, run, attempt), true);

  const stop = (): void => {
    following.unsubscribe();
    channel.close();
    unshare?.();
  };
  return Object.assign(stop, { stop });
}

/**
 * Runs a refresh attempt under the lock `name` shared by the tabs: one tab calls `refresh`
 * while the others wait. A waiting tab usually never runs: the holder's new session reaches
 * it as a message, which aborts its attempt's signal (and so its lock request). One that
 * gets the lock first checks the storage (`run` does) before it calls `refresh`.
 *
 * A closed tab's lock is released by the browser. A tab that holds it and never finishes
 * (frozen) had `refreshTimeout` for its call: past that, the lock is taken from it (`steal`).
 */
function locked(locks: LockManagerLike, name: string, run: () => unknown, attempt: GuardedAttempt): Promise<unknown> {
  const { signal, timeout, clock, arm } = attempt;
  // The wait is bounded all the same, past the point the lock is taken over.
  arm(2 * timeout + 10 * LOCK_HOLD);
  return new Promise((resolve, reject) => {
    /** Whether the attempt ran under the lock, or ended without it: later grants do nothing. */
    let settled = false;
    const held = async (): Promise<void> => {
      if (settled || signal.aborted) return;
      settled = true;
      try {
        resolve(await run());
      } catch (err) {
        reject(err);
      }
      await new Promise<void>((done) => clock.setTimeout(done, LOCK_HOLD));
    };
    const request = (options: { signal?: AbortSignal; steal?: boolean }): void =>
      void locks.request(name, options, held).catch((err: unknown) => {
        // Aborted (the refresh is no longer needed), or a lock manager that fails. (A lock
        // taken over from this tab after its run began is no failure.)
        if (!settled) reject((signal.aborted ? signal.reason : err) as Error);
        settled = true;
      });
    request({ signal });
    clock.setTimeout(() => settled || signal.aborted || request({ steal: true }), timeout + 2 * LOCK_HOLD);
  });
}

function parseMessage(data: unknown, self: string): Message | undefined {
  const m = data as (Partial<Envelope> & { kind?: unknown }) | null | undefined;
  // A `session` that is not a string is refused as the stored form is (`deserialize`).
  return m?.rx === MARK && m.v === VERSION && m.from !== self && KINDS.includes(m.kind as Message['kind'])
    ? (m as Message)
    : undefined;
}

export function parseSyncTabsOptions(options: unknown): {
  channel: string;
  fields: readonly PersistedField[];
  locks: LockManagerLike | undefined;
} {
  const parsed = optionsObject(API, options, KEYS) as SyncTabsOptions;
  const { channel = 'rx-session', fields } = parsed;
  if (typeof channel !== 'string' || channel === '') {
    throw optionError(API, 'channel', `must be a non-empty string; got ${describe(channel)}`);
  }
  let locks = parsed.locks;
  if (locks === undefined) {
    locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  } else if (typeof (locks as Partial<LockManagerLike> | null)?.request !== 'function') {
    throw optionError(API, 'locks', `must be a lock manager such as navigator.locks; got ${describe(locks)}`);
  }
  return { channel, fields: parseFields(API, fields), locks };
}
