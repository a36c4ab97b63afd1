/**
 * The refresh the tabs share: `syncTabs` runs each attempt under a Web Lock, and
 * `persistSession` offers the stored session before every attempt. Two stores stand for two
 * tabs; an in-process lock manager with the Web Locks semantics stands for `navigator.locks`
 * (Node has none). The same race in Chromium, with the real `navigator.locks`, is in
 * spec/browser/shared-refresh.browser.spec.ts.
 */
import {
  memoryStorage,
  persistSession,
  SessionStore,
  syncTabs,
  type LockManagerLike,
  type SessionStoreOptions,
  type TabSync,
} from '../../lib';

/** `navigator.locks` for one origin: exclusive locks granted in order, `signal` and `steal`. */
function lockManager(): LockManagerLike & { requests: number; steals: number } {
  interface Request {
    callback: () => Promise<void>;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }
  const queues = new Map<string, Request[]>();
  const holders = new Map<string, Request>();
  const manager = {
    requests: 0,
    steals: 0,
    request(name: string, options: { signal?: AbortSignal; steal?: boolean }, callback: () => Promise<void>) {
      manager.requests++;
      return new Promise((resolve, reject) => {
        const request: Request = { callback, resolve, reject };
        const queue = queues.get(name) ?? [];
        queues.set(name, queue);
        if (options.steal) {
          manager.steals++;
          const holder = holders.get(name);
          holders.delete(name);
          holder?.reject(new DOMException('The lock was stolen', 'AbortError'));
          queue.unshift(request);
        } else {
          queue.push(request);
          options.signal?.addEventListener('abort', () => {
            const at = queue.indexOf(request);
            if (at < 0) return;
            queue.splice(at, 1);
            reject(options.signal?.reason as Error);
          });
        }
        grant(name);
      });
    },
  };
  const grant = (name: string): void => {
    if (holders.has(name)) return;
    const next = queues.get(name)?.shift();
    if (!next) return;
    holders.set(name, next);
    void Promise.resolve()
      .then(() => next.callback())
      .then(next.resolve, next.reject)
      .finally(() => {
        if (holders.get(name) === next) holders.delete(name);
        grant(name);
      });
  };
  return manager;
}

/**
 * A token endpoint with rotating refresh tokens, as an OpenID provider runs it: each refresh
 * token works once, and one presented again revokes the whole grant.
 */
function rotatingServer(delay = 20) {
  let current = 'rt-0';
  let generation = 0;
  const server = {
    calls: 0,
    revoked: false,
    refresh: async (session: { refreshToken?: string | undefined }) => {
      server.calls++;
      const presented = session.refreshToken;
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (server.revoked || presented !== current) {
        server.revoked = true;
        throw Object.assign(new Error('invalid_grant'), { response: { status: 400 } });
      }
      generation++;
      current = `rt-${generation}`;
      return { token: `at-${generation}`, refreshToken: current, expiresAt: Date.now() + 3_600_000 };
    },
  };
  return server;
}

let channelCount = 0;
const stops: (TabSync | (() => void))[] = [];
const stores: SessionStore[] = [];

afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  for (const store of stores.splice(0)) store.dispose();
});

const channelName = (): string => `rx-session-shared-refresh-${++channelCount}`;

function tab(options: SessionStoreOptions): SessionStore {
  const store = new SessionStore(options);
  stores.push(store);
  return store;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('syncTabs: the tabs share one refresh (Web Locks)', () => {
  it('two tabs that refresh at once make one refresh call between them, and both take its session', async () => {
    const channel = channelName();
    const locks = lockManager();
    const server = rotatingServer();
    const a = tab({ refresh: server.refresh });
    const b = tab({ refresh: server.refresh });
    stops.push(syncTabs(a, { channel, locks }), syncTabs(b, { channel, locks }));
    a.login({ token: 'at-0', refreshToken: 'rt-0' });
    await until('b signs in', () => b.session.token === 'at-0');

    const [fromA, fromB] = await Promise.all([a.refresh(), b.refresh()]);

    expect(server.calls).toBe(1);
    expect(server.revoked).toBe(false);
    expect(fromA).toMatchObject({ token: 'at-1', refreshToken: 'rt-1' });
    expect(fromB).toMatchObject({ token: 'at-1', refreshToken: 'rt-1' });
    expect(b.session.token).toBe('at-1');
  });

  it('a tab that gets the lock after another refreshed takes the stored session instead of presenting a used refresh token', async () => {
    // Two channels: no message reaches the other tab, only the storage does.
    const locks = lockManager();
    const storage = memoryStorage();
    const server = rotatingServer();
    const a = tab({ refresh: server.refresh });
    const b = tab({ refresh: server.refresh });
    a.login({ token: 'at-0', refreshToken: 'rt-0' });
    const persistedA = persistSession(a, { storage });
    const persistedB = persistSession(b, { storage }); // b restores a's login
    stops.push(
      () => persistedA.stop(),
      () => persistedB.stop(),
    );
    stops.push(syncTabs(a, { channel: channelName(), locks }), syncTabs(b, { channel: channelName(), locks }));

    await a.refresh();
    const fromB = await b.refresh();

    expect(server.calls).toBe(1);
    expect(server.revoked).toBe(false);
    expect(fromB).toMatchObject({ token: 'at-1', refreshToken: 'rt-1' });
  });

  it('a tab holding the lock that never finishes (frozen) does not block the others past refreshTimeout: the lock is taken over', async () => {
    const locks = lockManager();
    const channel = channelName();
    // A frozen tab took the refresh lock and never lets go.
    locks.request(`${channel}:refresh`, {}, () => new Promise<void>(() => undefined)).catch(() => undefined);
    const server = rotatingServer(0);
    const b = tab({ refresh: server.refresh, refreshTimeout: 100 });
    stops.push(syncTabs(b, { channel, locks }));
    b.login({ token: 'at-0', refreshToken: 'rt-0' });

    await expect(b.refresh()).resolves.toMatchObject({ token: 'at-1' });
    expect(locks.steals).toBe(1);
    expect(server.calls).toBe(1);
  });

  it('the wait for the lock is not counted as the refresh call’s time: a tab that waits longer than refreshTimeout behind another still refreshes', async () => {
    const locks = lockManager();
    const channel = channelName();
    // Another tab holds the lock for 150 ms (a slow refresh, within its own timeout).
    void locks.request(`${channel}:refresh`, {}, () => new Promise<void>((resolve) => setTimeout(resolve, 150)));
    const server = rotatingServer(10);
    const b = tab({ refresh: server.refresh, refreshTimeout: 100 });
    stops.push(syncTabs(b, { channel, locks }));
    b.login({ token: 'at-0', refreshToken: 'rt-0' });
    const started = Date.now();

    await expect(b.refresh()).resolves.toMatchObject({ token: 'at-1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(locks.steals).toBe(0);
  });

  it('without a lock manager (Node, older browsers) each tab refreshes on its own, single-flight within the tab, and nothing hangs', async () => {
    expect((globalThis as { navigator?: { locks?: unknown } }).navigator?.locks).toBeUndefined();
    let calls = 0;
    const refresh = async (): Promise<string> => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return `at-${calls}`;
    };
    const a = tab({ refresh });
    stops.push(syncTabs(a, { channel: channelName() }));
    a.login('at-0');

    const results = await Promise.all([a.refresh(), a.refresh(), a.refresh()]);

    expect(calls).toBe(1);
    expect(new Set(results.map((s) => s.token))).toEqual(new Set(['at-1']));
  });

  it('rejects a `locks` option that is not a lock manager with a TypeError naming it, and changes nothing', () => {
    const store = tab({});
    const bad = (locks: unknown) => () => syncTabs(store, { channel: channelName(), locks } as never);
    expect(bad({})).toThrow(/option `locks` must be a lock manager/);
    expect(bad('navigator.locks')).toThrow(TypeError);
    expect(store.session.status).toBe('anonymous');
  });
});

describe('persistSession: before any refresh, and before a retry, a newer stored session is taken', () => {
  it('a retry after a refresh lost on the network takes the session another tab stored, and presents no used refresh token', async () => {
    const storage = memoryStorage();
    let calls = 0;
    const presented: (string | undefined)[] = [];
    const store = tab({
      refresh: (session) => {
        calls++;
        presented.push(session.refreshToken);
        // The server rotated rt-0 (to rt-1, for the other tab), but this answer was lost.
        return Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: 'ECONNRESET' }));
      },
    });
    store.login({ token: 'at-0', refreshToken: 'rt-0', expiresAt: Date.now() + 3_600_000 });
    const persisted = persistSession(store, { storage });
    stops.push(() => persisted.stop());
    const first = store.refresh();
    await until('the first attempt failed', () => calls === 1);
    // Another tab refreshed meanwhile and stored its session (of the same login, so with its id).
    const { id } = JSON.parse(storage.getItem('rx-session') as string) as { id: string };
    storage.setItem(
      'rx-session',
      JSON.stringify({ v: 1, token: 'at-1', id, refreshToken: 'rt-1', expiresAt: Date.now() + 7_200_000 }),
    );

    // The app retries now (the network came back): the stored session is taken instead.
    const retried = await store.refresh();
    await first;

    expect(calls).toBe(1);
    expect(presented).toEqual(['rt-0']);
    expect(retried).toMatchObject({ token: 'at-1', refreshToken: 'rt-1' });
    expect(store.session.token).toBe('at-1');
  });

  it('a stored session that is older, expired or the same as the current one is not taken: the refresh runs', async () => {
    const storage = memoryStorage();
    const store = tab({ refresh: () => Promise.resolve({ token: 'fresh', expiresAt: Date.now() + 3_600_000 }) });
    store.login({ token: 'mine', expiresAt: Date.now() + 600_000 });
    const persisted = persistSession(store, { storage });
    stops.push(() => persisted.stop());
    storage.setItem('rx-session', JSON.stringify({ v: 1, token: 'older', expiresAt: Date.now() + 60_000 }));
    await expect(store.refresh()).resolves.toMatchObject({ token: 'fresh' });
    store.update({ token: 'mine-again', expiresAt: Date.now() + 600_000 });
    storage.setItem('rx-session', JSON.stringify({ v: 1, token: 'expired', expiresAt: Date.now() - 1 }));
    await expect(store.refresh()).resolves.toMatchObject({ token: 'fresh' });
  });

  it('another login stored meanwhile (another user’s) is no refresh of this one: this tab refreshes its own session (Ada’s), and never takes Grace’s token', async () => {
    const storage = memoryStorage();
    const locks = lockManager();
    const server = rotatingServer(0);
    // Two channels: the other tab's logout and login have not reached this tab yet, only the storage has.
    const a = tab({ refresh: server.refresh });
    const b = tab({ refresh: () => Promise.reject(new Error('not called')) });
    a.login({ token: 'at-0', refreshToken: 'rt-0', user: { name: 'Ada' } });
    const persistedA = persistSession(a, { storage });
    const persistedB = persistSession(b, { storage }); // b restores Ada's login
    stops.push(
      () => persistedA.stop(),
      () => persistedB.stop(),
      syncTabs(a, { channel: channelName(), locks }),
      syncTabs(b, { channel: channelName(), locks }),
    );
    expect(b.session.token).toBe('at-0');
    b.logout();
    b.login({ token: 'grace-token', refreshToken: 'grace-rt', user: { name: 'Grace' }, expiresAt: Date.now() + 7_200_000 });
    const epochs: string[] = [];
    a.logout$.subscribe(({ reason }) => epochs.push(reason));

    const refreshed = await a.refresh();

    expect(refreshed).toMatchObject({ token: 'at-1', refreshToken: 'rt-1', user: { name: 'Ada' } });
    expect(a.session.token).toBe('at-1');
    expect(server.calls).toBe(1);
    expect(server.revoked).toBe(false);
    expect(epochs).toEqual([]);
  });
});
