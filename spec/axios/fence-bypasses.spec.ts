import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import { Readable } from 'node:stream';
import FormData from 'form-data';
import { bindAxios, getSessionEnd, SessionStore } from '../../lib/index';
import { authOf, fakeAdapter } from '../support/fake-adapter';
import { gate, outcome } from '../support/outcome';
import { startServer, type TestServer } from '../support/test-server';

// Ways other code can route around the binding's request interceptor, and the layers
// (the token stamped only at the fence, the fence at the adapter, the response checks) that hold.

let server: TestServer;
let elsewhere: TestServer;

beforeEach(async () => {
  [server, elsewhere] = await Promise.all([startServer(), startServer()]);
});

afterEach(async () => {
  await Promise.all([server.close(), elsewhere.close()]);
});

/** A signed-out store and an instance on the test server, not bound yet (interceptors first). */
function unboundPair(): { store: SessionStore; api: AxiosInstance } {
  return { store: new SessionStore(), api: axios.create({ baseURL: server.origin }) };
}

describe('the fence holds when other code routes around the binding', () => {
  let store: SessionStore;
  let api: AxiosInstance;

  beforeEach(() => {
    store = new SessionStore();
    api = axios.create({ baseURL: server.origin });
  });

  afterEach(() => {
    store.dispose();
  });

  it('judges requests whose chain skipped the binding’s interceptor (a throwing sync interceptor)', async () => {
    bindAxios(store, api);
    // Registered after binding, so it runs first; when it throws, its onRejected returns
    // a value and axios dispatches at once, skipping the interceptors after it.
    api.interceptors.request.use(
      () => {
        throw new Error('tracing bug');
      },
      () => 'logged',
      { synchronous: true },
    );
    store.login('skipped-token');
    await api.get(`${elsewhere.origin}/foreign`);
    expect(elsewhere.seen[0]?.authorization).toBeUndefined();

    const pending = outcome(api.get('/slow/skipped'));
    await server.arrived(1);
    expect(store.inFlight).toBe(1);
    store.logout();
    expect((await pending).cancel).toBe(true);
    await server.droppedAtLeast(1);
  });

  it('an interceptor that replaces the adapter takes the request out of the fence, and so sends no token', async () => {
    api.interceptors.request.use((config) => {
      config.adapter = 'http';
      return config;
    });
    bindAxios(store, api);
    store.login('live-token');
    await api.get('/swapped');
    // The token is never merged into a request: only the fence stamps it.
    expect(server.seen.map((r) => r.authorization)).toEqual([undefined]);
  });

  it('a request whose adapter an interceptor replaced while logout landed is cancelled for the caller, and carries no token', async () => {
    const held = gate();
    api.interceptors.request.use(async (config) => {
      await held.promise;
      config.adapter = 'http';
      return config;
    });
    bindAxios(store, api);
    store.login('old-token');
    const pending = outcome(api.get('/swapped'));
    await Promise.resolve();
    store.logout();
    held.open();
    expect((await pending).cancel).toBe(true);
    expect(server.seen.filter((r) => r.authorization !== undefined)).toEqual([]);
  });

  it('fences an adapter given per request, or set on the defaults after binding', async () => {
    bindAxios(store, api);
    store.login('live-token');
    await api.get('/own-adapter', { adapter: 'http' });
    api.defaults.adapter = 'fetch';
    await api.get('/defaults-adapter');
    expect(server.seen.map((r) => r.authorization)).toEqual(['Bearer live-token', 'Bearer live-token']);
    const pending = [outcome(api.get('/slow', { adapter: 'http' })), outcome(api.get('/slow'))];
    await server.arrived(4);
    store.logout();
    expect((await Promise.all(pending)).map((r) => r.cancel)).toEqual([true, true]);
    await server.droppedAtLeast(2);
  });

  it('does not send a form-data body with the old token when logout lands while axios measures it', async () => {
    bindAxios(store, api);
    store.login('old-token');
    const form = new FormData();
    form.append('field', 'value');
    const pending = outcome(api.post('/upload', form));
    await Promise.resolve();
    store.logout();
    expect((await pending).cancel).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.seen.filter((r) => r.authorization !== undefined)).toEqual([]);
  });

  it('sends a form-data body with its measured length while the session lives', async () => {
    bindAxios(store, api);
    store.login('form-token');
    const form = new FormData();
    form.append('field', 'value');
    await api.post('/upload', form);
    expect(server.seen[0]?.authorization).toBe('Bearer form-token');
    expect(Number(server.seen[0]?.headers['content-length'])).toBeGreaterThan(0);
  });

  it('a request with its own transformRequest whose adapter an interceptor swapped while logout landed carries no token', async () => {
    const held = gate();
    api.interceptors.request.use(async (config) => {
      await held.promise;
      config.adapter = 'http';
      return config;
    });
    bindAxios(store, api);
    api.defaults.transformRequest = [(data: unknown) => JSON.stringify(data)];
    store.login('old-token');
    const pending = [
      outcome(api.post('/own-transform', { a: 1 }, { transformRequest: [(data: unknown) => JSON.stringify(data)] })),
      outcome(api.post('/reassigned-defaults', { a: 1 })),
    ];
    await Promise.resolve();
    store.logout();
    held.open();
    const results = await Promise.all(pending);
    expect(results.map((r) => r.cancel)).toEqual([true, true]);
    expect(server.seen.filter((r) => r.authorization !== undefined)).toEqual([]);
  });

  it('sends a form-data body of unknown length chunked, as axios does', async () => {
    bindAxios(store, api);
    store.login('stream-token');
    const form = new FormData();
    form.append('file', Readable.from(['a', 'b', 'c']));
    await api.post('/upload-stream', form);
    expect(server.seen[0]?.authorization).toBe('Bearer stream-token');
    expect(server.seen[0]?.headers['transfer-encoding']).toBe('chunked');
  });

  it('sends no token when logout lands while axios itself measures a form-data body of unknown length', async () => {
    bindAxios(store, api);
    store.login('old-token');
    const form = new FormData();
    form.append('file', Readable.from(['a', 'b', 'c']));
    const measure = form.getLength.bind(form);
    let calls = 0;
    // The second measuring is axios' own, after it subscribed to the signal.
    form.getLength = (callback: (error: Error | null, length: number) => void) => {
      calls++;
      measure((error, length) => {
        if (calls === 2) {
          setImmediate(() => {
            store.logout();
            callback(error, length);
          });
        } else {
          callback(error, length);
        }
      });
    };
    const result = await outcome(api.post('/upload-unknown', form));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(result.cancel).toBe(true);
    expect(server.seen.filter((r) => r.authorization !== undefined)).toEqual([]);
  });

  it('cancels at once when logout lands while a form-data body is being measured', async () => {
    bindAxios(store, api);
    store.login('t');
    const form = new FormData();
    form.append('field', 'value');
    form.getLength = () => undefined; // never answers
    const pending = outcome(api.post('/upload-slow-measure', form));
    await new Promise((resolve) => setImmediate(resolve));
    store.logout();
    expect((await pending).cancel).toBe(true);
    expect(store.inFlight).toBe(0);
  });

  it('removes a skipAuth flag’s token even when the flag was set after the binding’s interceptor', async () => {
    api.interceptors.request.use((config) => {
      config.skipAuth = true;
      return config;
    });
    bindAxios(store, api);
    store.login('t');
    await api.get('/late-skip');
    expect(server.seen[0]?.authorization).toBeUndefined();
  });

  it('re-stamps at the adapter when the token rotates after the binding’s interceptor ran', async () => {
    // Registered before binding, so it runs after the binding's interceptor.
    api.interceptors.request.use(async (config) => {
      await Promise.resolve();
      store.update({ token: 'rotated-late' });
      return config;
    });
    bindAxios(store, api);
    store.login('first');
    await api.get('/rotated');
    expect(server.seen[0]?.authorization).toBe('Bearer rotated-late');
  });
});

describe('retried and moved configs', () => {
  it('never sends an old token kept in a config, however many rotations ago', async () => {
    const { store, api } = unboundPair();
    bindAxios(store, api);
    store.login('t0');
    const first = await api.get('/first');
    for (let i = 1; i <= 12; i++) store.update({ token: `t${i}` });
    await api.request({ ...first.config, url: `${elsewhere.origin}/elsewhere` });
    store.logout();
    await api.request(first.config);
    expect(elsewhere.seen[0]?.authorization).toBeUndefined();
    expect(server.seen.map((r) => r.authorization)).toEqual(['Bearer t0', undefined]);
  });

  it('never sends one store’s token from a config moved to an instance of another store', async () => {
    const one = new SessionStore({ initial: 'store-one-token' });
    const two = new SessionStore();
    const a = axios.create({ baseURL: server.origin });
    const b = axios.create({ baseURL: server.origin });
    bindAxios(one, a);
    bindAxios(two, b);
    const first = await a.get('/on-a');
    await b.request({ ...first.config, url: '/on-b-signed-out' });
    expect(server.seen.map((r) => r.authorization)).toEqual(['Bearer store-one-token', undefined]);
  });

  it('an instance derived with api.create() starts unbound and clean, whatever the session does', async () => {
    const store = new SessionStore({ initial: 't0' });
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    const child = api.create();
    expect(child.defaults.headers.common['Authorization']).toBeUndefined();
    for (let i = 1; i <= 12; i++) store.update({ token: `t${i}` });
    await child.get('/child');
    store.logout();
    await child.get('/child-after-logout');
    const failed = (await child.get('/x', { signal: AbortSignal.abort() }).catch((e: unknown) => e)) as Error;
    expect(JSON.stringify(failed)).not.toContain('t0');
    expect(server.seen.map((r) => r.authorization)).toEqual([undefined, undefined]);
  });

  it('an instance derived with api.create() can be bound to a store of its own', async () => {
    const parentStore = new SessionStore({ initial: 'parent-token' });
    const childStore = new SessionStore({ initial: 'child-token' });
    const api = axios.create({ baseURL: server.origin });
    bindAxios(parentStore, api);
    const child = api.create();
    bindAxios(childStore, child);
    await child.get('/child');
    const pending = outcome(child.get('/slow/child'));
    await server.arrived(2);
    expect(childStore.inFlight).toBe(1);
    childStore.logout();
    expect((await pending).cancel).toBe(true);
    expect(server.seen[0]?.authorization).toBe('Bearer child-token');
    parentStore.dispose();
    childStore.dispose();
  });

  it('a config made while bound sends no token after unbind()', async () => {
    const store = new SessionStore({ initial: 'bound-token' });
    const api = axios.create({ baseURL: server.origin });
    const unbind = bindAxios(store, api);
    const first = await api.get('/bound');
    unbind();
    store.update({ token: 'rotated-after-unbind' });
    await api.request(first.config);
    await api.get('/fresh');
    expect(server.seen.map((r) => r.authorization)).toEqual(['Bearer bound-token', undefined, undefined]);
    store.dispose();
  });

  it('redirect guards are per binding: a config moved to another instance gets that binding’s guard', async () => {
    const one = new SessionStore({ initial: 'token-A' });
    const two = new SessionStore({ initial: 'token-B' });
    const a = axios.create({ baseURL: server.origin });
    const b = axios.create({ baseURL: server.origin });
    bindAxios(one, a, { header: 'X-Token', allowedOrigins: [elsewhere.origin] });
    bindAxios(two, b, { header: 'X-Token' });
    const first = await a.get('/on-a');
    await b.request({ ...first.config, url: `/redirect?to=${encodeURIComponent(`${elsewhere.origin}/landing`)}` });
    expect(elsewhere.seen[0]?.path).toBe('/landing');
    expect(elsewhere.seen[0]?.headers['x-token']).toBeUndefined();
    one.dispose();
    two.dispose();
  });

  it('a config moved to an instance whose binding uses another header leaves without the old token', async () => {
    const store = new SessionStore({ initial: 'old-token' });
    const a = axios.create({ baseURL: server.origin });
    const b = axios.create({ baseURL: server.origin });
    bindAxios(store, a);
    bindAxios(store, b, { header: 'X-Token' });
    const first = await a.get('/first');
    store.logout();
    await b.request({ ...first.config, url: '/moved' });
    // Another store's instance, with its own header, sending it to an origin of its own.
    const other = new SessionStore({ initial: 'other-token' });
    const c = axios.create({ baseURL: elsewhere.origin });
    bindAxios(other, c, { header: 'X-Api-Key', scheme: '' });
    await c.request({ ...first.config, baseURL: elsewhere.origin, url: '/moved-again' });
    expect(server.seen.map((r) => [r.path, r.authorization, r.headers['x-token']])).toEqual([
      ['/first', 'Bearer old-token', undefined],
      ['/moved', undefined, undefined],
    ]);
    expect(elsewhere.seen.map((r) => [r.path, r.authorization, r.headers['x-api-key']])).toEqual([
      ['/moved-again', undefined, 'other-token'],
    ]);
    other.dispose();
  });

  it('an old config re-sent after a re-bind with another header leaves without the old token', async () => {
    const { store, api } = unboundPair();
    const unbind = bindAxios(store, api);
    store.login('old-token');
    const first = await api.get('/first');
    unbind();
    bindAxios(store, api, { header: 'X-Token' });
    store.logout();
    await api.request(first.config);
    expect(server.seen.map((r) => r.authorization)).toEqual(['Bearer old-token', undefined]);
  });

  /** Resolves once a later request (new connection, no token) has been answered: a hop made before it would have arrived. */
  async function afterwards(): Promise<void> {
    await axios.get(`${server.origin}/sentinel`, { httpAgent: new http.Agent({ keepAlive: false }) });
  }

  it.each([
    ['Authorization', {}, 'authorization'],
    ['a custom header', { header: 'X-Api-Key', scheme: '' }, 'x-api-key'],
  ])('%s: a logout() in a request’s beforeRedirect hook stops the redirect: no hop leaves', async (_name, options, header) => {
    const store = new SessionStore({ initial: 'old-token' });
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api, options);
    const result = await outcome(
      api.get('/redirect?to=%2Flogin-page', {
        // "A redirect to the login page means the session is gone." It also replaces the
        // hop's headers object, which a check of the old object would miss.
        beforeRedirect: (hop) => {
          store.logout('expired');
          hop.headers = { ...(hop.headers as Record<string, string>), 'X-Hop': '1' };
        },
      }),
    );
    expect(result.cancel).toBe(true);
    await afterwards();
    expect(server.seen.map((r) => r.path)).toEqual(['/redirect?to=%2Flogin-page', '/sentinel']);
    expect(server.seen[0]?.headers[header]).toMatch(/old-token$/);
  });

  it('a login() of another user in a beforeRedirect hook stops the first user’s redirect', async () => {
    const store = new SessionStore({ initial: 'user-a-token' });
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    const result = await outcome(
      api.get('/redirect?to=%2Fcallback', {
        beforeRedirect: () => {
          store.login('user-b-token');
        },
      }),
    );
    expect(result.cancel).toBe(true);
    await afterwards();
    expect(server.seen.map((r) => r.path)).toEqual(['/redirect?to=%2Fcallback', '/sentinel']);
    store.dispose();
  });

  it('a beforeRedirect hook on a live session keeps its redirect and token, also when it rotates the token; `null` is no hook', async () => {
    const store = new SessionStore({ initial: 'token-a' });
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    const logged: string[] = [];
    await api.get('/redirect?to=%2Fone', { beforeRedirect: (hop) => logged.push(String(hop.href)) });
    await api.get('/redirect?to=%2Ftwo', {
      beforeRedirect: () => {
        store.update({ token: 'token-b' }); // the same session, a rotated token
      },
    });
    await api.get('/redirect?to=%2Fthree', { beforeRedirect: null as never });
    expect(logged).toEqual([`${server.origin}/one`]);
    expect(server.seen.map((r) => [r.path, r.authorization])).toEqual([
      ['/redirect?to=%2Fone', 'Bearer token-a'],
      ['/one', 'Bearer token-a'],
      ['/redirect?to=%2Ftwo', 'Bearer token-a'],
      ['/two', 'Bearer token-a'],
      ['/redirect?to=%2Fthree', 'Bearer token-b'],
      ['/three', 'Bearer token-b'],
    ]);
    store.dispose();
  });

  /** Two stores, each signed in and bound to an instance of its own on the test server. */
  function twoStores(): { one: SessionStore; two: SessionStore; a: AxiosInstance; b: AxiosInstance } {
    const one = new SessionStore({ initial: 'token-a' });
    const two = new SessionStore({ initial: 'token-b' });
    const a = axios.create({ baseURL: server.origin });
    const b = axios.create({ baseURL: server.origin });
    bindAxios(one, a);
    bindAxios(two, b);
    return { one, two, a, b };
  }

  it('a config whose hook logged out, re-sent through another store’s instance, follows its redirect there', async () => {
    const { one, two, a, b } = twoStores();
    let first = true;
    const ended = await outcome(
      a.get('/redirect?to=%2Flanded', {
        beforeRedirect: () => {
          if (first) one.logout();
        },
      }),
    );
    expect(ended.cancel).toBe(true);
    first = false;
    const config = ended.error?.config;
    if (config === undefined) throw new Error('the cancel carries its config');
    // Judged by the second binding alone: the first one's guard (and its ended request) is gone.
    await expect(b.request(config)).resolves.toMatchObject({ status: 200 });
    expect(server.seen.filter((r) => r.path === '/landed').map((r) => r.authorization)).toEqual(['Bearer token-b']);
    two.dispose();
  });

  it('a config with a hook moved back and forth between two bindings is guarded once, not once per move', async () => {
    const { one, two, a, b } = twoStores();
    const guards: number[] = [];
    const frames = (): number => (new Error().stack ?? '').split('\n').filter((line) => line.includes('redirect-guard')).length;
    let response = await a.get('/redirect?to=%2Fx', { beforeRedirect: () => void guards.push(frames()) });
    for (let i = 0; i < 10; i++) response = await (i % 2 === 0 ? b : a).request(response.config);
    expect(guards).toHaveLength(11);
    expect(new Set(guards)).toEqual(new Set([1]));
    one.dispose();
    two.dispose();
  });

  it('unbind() keeps transforms added while bound, and children get lists of their own', () => {
    const store = new SessionStore();
    const api = axios.create();
    const unbind = bindAxios(store, api);
    const added = (data: unknown): unknown => data;
    (api.defaults.transformRequest as unknown[]).push(added);
    const one = api.create();
    const two = api.create();
    expect(one.defaults.transformRequest).not.toBe(two.defaults.transformRequest);
    expect(one.defaults.transformRequest).toContain(added);
    unbind();
    expect(api.defaults.transformRequest).toContain(added);
    expect(api.defaults.transformRequest).toHaveLength(2);
    const mine = (): AxiosInstance => axios.create();
    const rebound = bindAxios(store, api);
    api.create = mine;
    rebound();
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compares the method's identity, never calls it
    expect(api.create).toBe(mine);
    store.dispose();
  });

  it('drops the old token under another casing of the header name', async () => {
    const store = new SessionStore({ initial: 'cased' });
    const fake = fakeAdapter();
    const api = axios.create({ adapter: fake.adapter });
    bindAxios(store, api);
    store.logout();
    await api.get('/x', { headers: { authorization: 'Bearer cased' } });
    expect(authOf(fake.sent[0])).toBeUndefined();
  });

  it('a skipAuth retry of a stamped config carries no token', async () => {
    const store = new SessionStore({ initial: 'stamped' });
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    const first = await api.get('/stamped');
    await api.request({ ...first.config, url: `${elsewhere.origin}/third-party`, skipAuth: true });
    expect(elsewhere.seen[0]?.authorization).toBeUndefined();
  });

  it('retries in a new session a config that the previous logout cancelled', async () => {
    const store = new SessionStore({ initial: 'first-user' });
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    const pending = outcome(api.get('/slow/retry-me'));
    await server.arrived(1);
    store.logout();
    const { error } = await pending;
    expect(getSessionEnd(error)).toBeDefined();
    store.login('second-user');
    server.release();
    const config = error?.config;
    if (config === undefined) throw new Error('the cancelled request carries no config');
    const retried = await api.request<{ authorization: string | null }>({ ...config, url: '/retried' });
    expect(retried.data.authorization).toBe('Bearer second-user');
  });
});

describe('unbind and dispose while requests wait in the interceptor chain', () => {
  /** A signed-in, bound instance whose requests wait at a gate after the binding's interceptor. */
  function boundBehindGate() {
    const store = new SessionStore({ initial: 'waiting-token' });
    const api = axios.create({ baseURL: server.origin });
    const held = gate();
    // Registered before binding: runs after the binding's interceptor.
    api.interceptors.request.use(async (config) => {
      await held.promise;
      return config;
    });
    const unbind = bindAxios(store, api);
    return { store, api, held, unbind };
  }

  it.each([
    ['dispose()', (store: SessionStore): void => store.dispose()],
    [
      'logout() after unbind()',
      (store: SessionStore, unbind: () => void): void => {
        unbind();
        store.logout();
      },
    ],
  ])('%s: a waiting request of the ended session never leaves', async (_label, end) => {
    const { store, api, held, unbind } = boundBehindGate();
    const pending = outcome(api.post('/transfer-money', { amount: 1 }));
    await Promise.resolve();
    end(store, unbind);
    held.open();
    expect((await pending).cancel).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.seen).toHaveLength(0);
  });

  it('unbind() alone lets a waiting request go out without the token, untied', async () => {
    const { store, api, held, unbind } = boundBehindGate();
    const pending = outcome(api.get('/after-unbind'));
    await Promise.resolve();
    unbind();
    held.open();
    expect((await pending).ok).toBe(true);
    expect(server.seen[0]?.authorization).toBeUndefined();
    store.dispose();
  });
});

describe('what reaches the caller after the session ended', () => {
  it('a failure handled by a logout becomes a cancel that getSessionEnd recognises', async () => {
    const { store, api } = unboundPair();
    // A 401 handler registered before binding: it runs before the binding's response interceptor.
    api.interceptors.response.use(undefined, (error: unknown) => {
      store.logout('unauthorized');
      return Promise.reject(error);
    });
    bindAxios(store, api);
    store.login('rejected-token');
    const { cancel, error } = await outcome(api.get('/status/401'));
    expect(cancel).toBe(true);
    expect(getSessionEnd(error)?.reason).toBe('unauthorized');
  });

  it('a response held by an earlier interceptor past logout is cancelled with the session’s reason', async () => {
    const { store, api } = unboundPair();
    api.interceptors.response.use(async (response) => {
      store.logout('expired');
      await Promise.resolve();
      return response;
    });
    bindAxios(store, api);
    store.login('t');
    const { cancel, error } = await outcome(api.get('/me'));
    expect(cancel).toBe(true);
    expect(getSessionEnd(error)?.reason).toBe('expired');
  });

  it('an error that arrives after logout reaches the caller as a cancel', async () => {
    const { store, api } = unboundPair();
    const held = gate();
    let arrived!: () => void;
    const failed = new Promise<void>((resolve) => (arrived = resolve));
    api.interceptors.response.use(undefined, async (error: unknown) => {
      arrived();
      await held.promise;
      throw error;
    });
    bindAxios(store, api);
    store.login('t');
    const pending = outcome(api.get('/status/500'));
    await failed;
    store.logout();
    held.open();
    const { cancel, error } = await pending;
    expect(cancel).toBe(true);
    expect(getSessionEnd(error)?.reason).toBe('user');
  });
});

describe('streams and adapters that throw', () => {
  it('stops tracking a streamed body once it has been read to the end', async () => {
    const store = new SessionStore({ initial: 't' });
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    const response = await api.get<NodeJS.ReadableStream>('/me', { responseType: 'stream' });
    expect(store.inFlight).toBe(1);
    await new Promise<void>((resolve) => {
      response.data.on('close', () => resolve());
      response.data.resume();
    });
    expect(store.inFlight).toBe(0);
    store.dispose();
  });

  it('keeps a fetch-adapter stream tied to its session until read, and cancels it on logout', async () => {
    const store = new SessionStore({ initial: 't' });
    const api = axios.create({ baseURL: server.origin, adapter: 'fetch' });
    bindAxios(store, api);
    const response = await api.get<ReadableStream<Uint8Array>>('/stream', { responseType: 'stream' });
    expect(store.inFlight).toBe(1);
    const reader = response.data.getReader();
    await reader.read();
    store.logout();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })(),
    ).rejects.toBeDefined();
    await server.droppedAtLeast(1);
    store.dispose();
  });

  it('a streamed body not yet read when the session ends gives its later reader an error, not a short body', async () => {
    const store = new SessionStore({ initial: 't' });
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    const response = await api.get<NodeJS.ReadableStream>('/stream', { responseType: 'stream' });
    await new Promise((resolve) => setTimeout(resolve, 60)); // chunks pile up, unread
    store.logout();
    const read = (async () => {
      const chunks = response.data[Symbol.asyncIterator]();
      while (!(await chunks.next()).done) {
        // read and drop
      }
      return 'ended without error';
    })();
    await expect(read).rejects.toBeDefined();
    store.dispose();
  });

  it('stops tracking a request whose adapter throws synchronously', async () => {
    const store = new SessionStore({ initial: 't' });
    const api = axios.create({
      adapter: () => {
        throw new Error('adapter bug');
      },
    });
    bindAxios(store, api);
    await expect(api.get('/x')).rejects.toThrow('adapter bug');
    expect(store.inFlight).toBe(0);
    store.dispose();
  });
});
