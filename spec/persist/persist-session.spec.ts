import axios from 'axios';
import { combineLatest } from 'rxjs';
import {
  bindAxios,
  memoryStorage,
  persistSession,
  SessionError,
  SessionStore,
  type SessionEvent,
  type SessionStorageLike,
} from '../../lib';
import { fakeAdapter } from '../support/fake-adapter';
import { refresher } from '../support/refresher';
import { settle, virtualClock } from '../support/virtual-clock';

const KEY = 'rx-session';
/** A stored session as a tab writes it, with the id of its login. */
const stored = ({ token, ...fields }: Record<string, unknown>, id = 'login-1'): string =>
  JSON.stringify({ v: 1, token, id, ...fields });
/** A stored session without the id of its login (each login has its own), to compare with {@link plain}. */
const unId = (raw: string | null | undefined): string | null | undefined =>
  raw && JSON.stringify({ ...(JSON.parse(raw) as object), id: undefined });
const plain = (session: Record<string, unknown>): string => JSON.stringify({ v: 1, ...session });

/** A synchronous storage that records what was done to it. */
function recordingStorage(
  initial: Record<string, string> = {},
): SessionStorageLike & { values: Map<string, string>; log: string[] } {
  const values = new Map(Object.entries(initial));
  const log: string[] = [];
  return {
    values,
    log,
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => {
      log.push(`set ${value}`);
      values.set(key, value);
    },
    removeItem: (key) => {
      log.push('remove');
      values.delete(key);
    },
  };
}

/** An async storage whose every call a test settles. */
function asyncStorage(initial: string | null = null): SessionStorageLike & {
  reads: { resolve(v: string | null): void; reject(e: unknown): void }[];
  writes: { value: string | null; resolve(): void; reject(e: unknown): void }[];
  value: string | null;
} {
  const s = {
    value: initial,
    reads: [] as { resolve(v: string | null): void; reject(e: unknown): void }[],
    writes: [] as { value: string | null; resolve(): void; reject(e: unknown): void }[],
    getItem: () => new Promise<string | null>((resolve, reject) => s.reads.push({ resolve, reject })),
    setItem: (_key: string, value: string) =>
      new Promise<void>((resolve, reject) =>
        s.writes.push({
          value,
          resolve: () => {
            s.value = value;
            resolve();
          },
          reject,
        }),
      ),
    removeItem: () =>
      new Promise<void>((resolve, reject) =>
        s.writes.push({
          value: null,
          resolve: () => {
            s.value = null;
            resolve();
          },
          reject,
        }),
      ),
  };
  return s;
}

function eventsOf(store: SessionStore): SessionEvent[] {
  const events: SessionEvent[] = [];
  store.events$.subscribe((e) => events.push(e));
  return events;
}

const named = (name: string, message = 'secret-token in the message'): Error => Object.assign(new Error(message), { name });

describe('persistSession: restoring a stored session', () => {
  it('with a synchronous storage, restores before it returns: a later session$ subscriber sees the session first, and ready is resolved', async () => {
    const storage = recordingStorage({ [KEY]: stored({ token: 'saved', user: { name: 'Ada' } }) });
    const store = new SessionStore<{ name: string }>();
    const persisted = persistSession(store, { storage });
    const seen: unknown[] = [];
    store.session$.subscribe((s) => seen.push(s.status));
    expect(seen).toEqual(['authenticated']);
    expect(store.session).toMatchObject({ token: 'saved', user: { name: 'Ada' } });
    expect(persisted.restoring).toBe(false);
    let ready = false;
    void persisted.ready.then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBe(true);
    expect(storage.log).toEqual([]); // restoring writes nothing back
    store.dispose();
  });

  it('restoring$ gives a subscriber that comes after the read its value at once (false), so combineLatest and toSignal start', () => {
    const storage = recordingStorage({ [KEY]: stored({ token: 'saved' }) });
    const store = new SessionStore();
    const persisted = persistSession(store, { storage });
    const screens: string[] = [];
    combineLatest([persisted.restoring$, store.isAuthenticated$]).subscribe(([restoring, signedIn]) =>
      screens.push(restoring ? 'splash' : signedIn ? 'app' : 'login'),
    );
    expect(screens).toEqual(['app']);
    store.logout();
    expect(screens).toEqual(['app', 'login']);
    store.dispose();
  });

  it('with an async storage, restoring$ is true until the value is read and applied, and ready resolves with the session', async () => {
    const storage = asyncStorage();
    const store = new SessionStore();
    const persisted = persistSession(store, { storage });
    const restoring: boolean[] = [];
    persisted.restoring$.subscribe((r) => restoring.push(r));
    expect(restoring).toEqual([true]);
    expect(store.session.status).toBe('anonymous');
    storage.reads[0]?.resolve(stored({ token: 'saved' }));
    const session = await persisted.ready;
    expect(session).toMatchObject({ status: 'authenticated', token: 'saved' });
    expect(restoring).toEqual([true, false]);
    expect(storage.writes).toEqual([]);
    store.dispose();
  });

  it('a login while an async storage is read wins: the stored session is not applied, and the new one is written', async () => {
    const storage = asyncStorage(stored({ token: 'old' }));
    const store = new SessionStore();
    const persisted = persistSession(store, { storage });
    store.login('fresh');
    storage.reads[0]?.resolve(stored({ token: 'old' }));
    await persisted.ready;
    expect(store.session.token).toBe('fresh');
    expect(storage.writes.map((w) => unId(w.value))).toEqual([plain({ token: 'fresh' })]);
    store.dispose();
  });

  it('a restored token is tested first: with refresh, at most probeLimit requests carry it until one is answered', async () => {
    const storage = recordingStorage({ [KEY]: stored({ token: 'saved' }) });
    const store = new SessionStore({ refresh: refresher().fn, probeLimit: 2 });
    persistSession(store, { storage });
    const api = axios.create({ baseURL: 'https://api.test' });
    const fake = fakeAdapter({ hold: true });
    api.defaults.adapter = fake.adapter;
    bindAxios(store, api);
    const requests = Array.from({ length: 5 }, (_, i) => api.get(`/r/${i}`));
    await settle();
    expect(fake.held).toHaveLength(2);
    fake.held[0]?.respond(200);
    await settle();
    expect(fake.held).toHaveLength(5);
    for (const r of fake.held.slice(1)) r.respond(200);
    await Promise.all(requests);
    store.dispose();
  });

  it('emits the restore as a login event with restored: true', () => {
    const storage = recordingStorage({ [KEY]: stored({ token: 'saved' }) });
    const store = new SessionStore();
    const events = eventsOf(store);
    persistSession(store, { storage });
    expect(events).toEqual([expect.objectContaining({ type: 'login', restored: true })]);
    store.dispose();
  });

  it('a stored token that has expired is refreshed at once with refresh, and the refreshed session is written', async () => {
    const clock = virtualClock();
    const r = refresher();
    const storage = recordingStorage({ [KEY]: stored({ token: 'old', refreshToken: 'rt', expiresAt: clock.now() - 1000 }) });
    const store = new SessionStore({ clock, refresh: r.fn });
    persistSession(store, { storage });
    await settle();
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]?.session.refreshToken).toBe('rt');
    r.calls[0]?.resolve({ token: 'new', refreshToken: 'rt2', expiresAt: clock.now() + 3_600_000 });
    await settle();
    expect(store.session.token).toBe('new');
    expect(JSON.parse(storage.values.get(KEY) ?? 'null')).toMatchObject({ token: 'new', refreshToken: 'rt2' });
    store.dispose();
  });

  it('a stored token that has expired is not restored without refresh: the key is removed, and nothing is reported', () => {
    const clock = virtualClock();
    const storage = recordingStorage({ [KEY]: stored({ token: 'old', expiresAt: clock.now() - 1000 }) });
    const store = new SessionStore({ clock });
    const events = eventsOf(store);
    persistSession(store, { storage });
    expect(store.session.status).toBe('anonymous');
    expect(storage.values.has(KEY)).toBe(false);
    expect(events).toEqual([]);
    store.dispose();
  });

  it('a store signed in before it is persisted keeps its session, and writes it', () => {
    const storage = recordingStorage({ [KEY]: stored({ token: 'stored' }) });
    const store = new SessionStore({ initial: 'given' });
    persistSession(store, { storage });
    expect(store.session.token).toBe('given');
    expect(unId(storage.values.get(KEY))).toBe(plain({ token: 'given' }));
    store.dispose();
  });
});

describe('persistSession: saving every change', () => {
  it('writes login, update and refresh, and a logout removes the key', async () => {
    const r = refresher();
    const storage = recordingStorage();
    const store = new SessionStore({ refresh: r.fn });
    persistSession(store, { storage });
    store.login({ token: 'a', refreshToken: 'rt' });
    expect(unId(storage.values.get(KEY))).toBe(plain({ token: 'a', refreshToken: 'rt' }));
    store.update({ user: { id: 1 } });
    expect(JSON.parse(storage.values.get(KEY) ?? '')).toEqual({
      v: 1,
      token: 'a',
      id: expect.any(String) as string,
      refreshToken: 'rt',
      user: { id: 1 },
    });
    const refreshed = store.refresh();
    await settle();
    r.calls[0]?.resolve('b');
    await refreshed;
    expect(JSON.parse(storage.values.get(KEY) ?? '')).toMatchObject({ token: 'b', refreshToken: 'rt' });
    store.logout();
    expect(storage.values.has(KEY)).toBe(false);
    store.dispose();
  });

  it('a change that leaves the stored session as it is writes nothing; another login with the same token is written', () => {
    const storage = recordingStorage();
    const store = new SessionStore();
    persistSession(store, { storage });
    store.login('a');
    store.update({ token: 'a' });
    expect(storage.log.map((entry) => unId(entry.slice('set '.length)))).toEqual([plain({ token: 'a' })]);
    // Another login (a new epoch) is stored with its own id: a tab that reads it knows it is no refresh of the first.
    const first = JSON.parse(storage.values.get(KEY) ?? '') as { id: string };
    store.login('a');
    expect(storage.log).toHaveLength(2);
    const second = JSON.parse(storage.values.get(KEY) ?? '') as { id: string };
    expect(second).toEqual({ v: 1, token: 'a', id: expect.any(String) as string });
    expect(second.id).not.toBe(first.id);
    store.dispose();
  });

  it('writes in order with an async storage: a slow write never lands after a later one', async () => {
    const storage = asyncStorage();
    const store = new SessionStore();
    const persisted = persistSession(store, { storage });
    storage.reads[0]?.resolve(null);
    await persisted.ready;
    store.login('a');
    store.update({ token: 'b' });
    store.update({ token: 'c' });
    expect(storage.writes.map((w) => unId(w.value))).toEqual([plain({ token: 'a' })]); // one at a time
    storage.writes[0]?.resolve();
    await settle();
    expect(storage.writes.map((w) => unId(w.value))).toEqual([plain({ token: 'a' }), plain({ token: 'c' })]); // b was superseded
    store.logout();
    storage.writes[1]?.resolve();
    await settle();
    expect(storage.writes[2]?.value).toBeNull();
    storage.writes[2]?.resolve();
    await settle();
    expect(storage.value).toBeNull();
    store.dispose();
  });

  it('keeps only the fields it is told to: fields: [] keeps the token alone', () => {
    const storage = recordingStorage();
    const store = new SessionStore();
    persistSession(store, { storage, fields: [] });
    store.login({ token: 'a', refreshToken: 'rt', user: { id: 1 }, expiresAt: Date.now() + 60_000 });
    expect(unId(storage.values.get(KEY))).toBe(plain({ token: 'a' }));
    store.dispose();
  });

  it('stop() stops writing, and leaves the stored value', () => {
    const storage = recordingStorage();
    const store = new SessionStore();
    const persisted = persistSession(store, { storage });
    store.login('a');
    persisted.stop();
    store.logout();
    expect(unId(storage.values.get(KEY))).toBe(plain({ token: 'a' }));
    store.dispose();
  });

  it('dispose() is not a logout: the stored session stays for the next start', () => {
    const storage = memoryStorage();
    const store = new SessionStore();
    persistSession(store, { storage, key: 'app' });
    store.login('a');
    store.dispose();
    const next = new SessionStore();
    persistSession(next, { storage, key: 'app' });
    expect(next.session.token).toBe('a');
    next.dispose();
  });
});

describe('persistSession: bad storage never breaks the app', () => {
  it.each([
    ['invalid JSON', '{"v":1,"token":', 'invalid-json'],
    ['a value another program wrote', 'secret-token', 'invalid-json'],
    ['a JSON array', '["secret-token"]', 'invalid-shape'],
    ['another version', JSON.stringify({ v: 2, token: 'secret-token' }), 'invalid-shape'],
    ['no token', JSON.stringify({ v: 1, user: 'secret-token' }), 'invalid-shape'],
    ['an unknown field', JSON.stringify({ v: 1, token: 'secret-token', admin: true }), 'invalid-shape'],
    ['a token with CR/LF', stored({ token: 'secret-token\r\nX-Injected: 1' }), 'invalid-session'],
    ['a token with control characters', stored({ token: 'secret-token\u0000' }), 'invalid-session'],
    ['an expiresAt that is not a number', stored({ token: 'secret-token', expiresAt: 'tomorrow' }), 'invalid-session'],
  ])('%s: ignored, the key removed, the store signed out, and a storage-error event without the token', (_name, raw, problem) => {
    const storage = recordingStorage({ [KEY]: raw });
    const store = new SessionStore();
    const events = eventsOf(store);
    const persisted = persistSession(store, { storage });
    expect(store.session.status).toBe('anonymous');
    expect(storage.values.has(KEY)).toBe(false);
    expect(events).toEqual([expect.objectContaining({ type: 'storage-error', operation: 'read', problem })]);
    expect(JSON.stringify(events)).not.toContain('secret-token');
    expect(persisted.restoring).toBe(false);
    store.dispose();
  });

  it('a getItem that throws (a SecurityError in a sandboxed iframe): the store works in memory, with the event', () => {
    const storage = {
      ...memoryStorage(),
      getItem: () => {
        throw named('SecurityError');
      },
    };
    const store = new SessionStore();
    const events = eventsOf(store);
    persistSession(store, { storage });
    expect(events).toEqual([
      expect.objectContaining({ type: 'storage-error', operation: 'read', problem: 'unreadable', errorName: 'SecurityError' }),
    ]);
    expect(store.login('a').token).toBe('a');
    expect(JSON.stringify(events)).not.toContain('secret-token');
    store.dispose();
  });

  it('a getItem that rejects: ready resolves signed out, with the event', async () => {
    const storage = asyncStorage();
    const store = new SessionStore();
    const events = eventsOf(store);
    const persisted = persistSession(store, { storage });
    storage.reads[0]?.reject(named('SecurityError'));
    await expect(persisted.ready).resolves.toMatchObject({ status: 'anonymous' });
    expect(events).toEqual([
      expect.objectContaining({ type: 'storage-error', problem: 'unreadable', errorName: 'SecurityError' }),
    ]);
    store.dispose();
  });

  it('localStorage itself throwing on access: the store works in memory, with the event', () => {
    const store = new SessionStore();
    const events = eventsOf(store);
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get: () => {
        throw named('SecurityError');
      },
    });
    try {
      persistSession(store);
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
    expect(events).toEqual([
      expect.objectContaining({ type: 'storage-error', problem: 'unreadable', errorName: 'SecurityError' }),
    ]);
    expect(store.login('a').token).toBe('a');
    store.dispose();
  });

  it('a setItem that throws (QuotaExceededError): the session goes on in memory, with the event', () => {
    const storage = {
      ...memoryStorage(),
      setItem: () => {
        throw named('QuotaExceededError');
      },
    };
    const store = new SessionStore();
    const events = eventsOf(store);
    persistSession(store, { storage });
    const session = store.login('secret-token');
    expect(store.session).toBe(session);
    expect(events.map((e) => e.type)).toEqual(['login', 'storage-error']);
    expect(events[1]).toMatchObject({ operation: 'write', problem: 'unwritable', errorName: 'QuotaExceededError' });
    expect(JSON.stringify(events)).not.toContain('secret-token');
    store.dispose();
  });

  it('a setItem that rejects: the session goes on, with the event, and the next change is written', async () => {
    const storage = asyncStorage();
    const store = new SessionStore();
    const events = eventsOf(store);
    const persisted = persistSession(store, { storage });
    storage.reads[0]?.resolve(null);
    await persisted.ready;
    store.login('a');
    storage.writes[0]?.reject(named('QuotaExceededError'));
    await settle();
    expect(events.at(-1)).toMatchObject({ type: 'storage-error', operation: 'write', problem: 'unwritable' });
    store.logout();
    expect(storage.writes[1]?.value).toBeNull();
    store.dispose();
  });
});

describe('persistSession: its input', () => {
  it.each([
    [
      'a storage without removeItem',
      { storage: { getItem: () => null, setItem: () => undefined } },
      /option `storage` must have/,
    ],
    ['an empty key', { storage: memoryStorage(), key: '' }, /option `key` must be a non-empty string/],
    ['an unknown field', { storage: memoryStorage(), fields: ['token'] }, /option `fields` must be/],
    ['an unknown option', { storage: memoryStorage(), serialise: true }, /unknown option `serialise`/],
    ['no storage where there is no localStorage', {}, /option `storage` is needed where there is no `localStorage`/],
  ])('%s: a TypeError naming the option, and the store unchanged', (_name, options, message) => {
    const store = new SessionStore({ initial: 'kept' });
    expect(() => persistSession(store, options as never)).toThrow(TypeError);
    expect(() => persistSession(store, options as never)).toThrow(message);
    expect(store.session.token).toBe('kept');
    store.dispose();
  });

  it('refuses something that is not a SessionStore, and a disposed store', () => {
    expect(() => persistSession({} as never, { storage: memoryStorage() })).toThrow(/needs a SessionStore/);
    const store = new SessionStore();
    store.dispose();
    expect(() => persistSession(store, { storage: memoryStorage() })).toThrow(SessionError);
    expect(() => persistSession(store, { storage: memoryStorage() })).toThrow(/disposed SessionStore/);
  });
});
