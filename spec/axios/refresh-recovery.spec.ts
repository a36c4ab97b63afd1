import { Readable } from 'node:stream';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import { bindAxios, getSessionEnd, isSessionError, SessionStore, type BindAxiosOptions, type RefreshFunction } from '../../lib';
import { startAuthServer, type AuthServer } from '../support/auth-server';
import { outcome } from '../support/outcome';

let server: AuthServer;
beforeEach(async () => {
  server = await startAuthServer();
});
afterEach(async () => {
  await server.close();
});

/** The app's refresh call, written the documented way: an unbound client and `ctx.config`. */
const viaAuthClient: RefreshFunction = async (session, { config }) => {
  const auth = axios.create({ baseURL: server.origin });
  const res = await auth.post<{ access_token: string }>('/refresh', { refreshToken: session.refreshToken }, config);
  return res.data.access_token;
};

function setup(options: { refresh?: RefreshFunction | null; refreshTimeout?: number; bind?: BindAxiosOptions } = {}): {
  store: SessionStore;
  a: AxiosInstance;
  b: AxiosInstance;
} {
  const refresh = options.refresh === undefined ? viaAuthClient : options.refresh;
  const store = new SessionStore({
    ...(refresh !== null ? { refresh } : {}),
    ...(options.refreshTimeout !== undefined ? { refreshTimeout: options.refreshTimeout } : {}),
  });
  const a = axios.create({ baseURL: server.origin });
  const b = axios.create({ baseURL: server.origin });
  bindAxios(store, a, options.bind);
  bindAxios(store, b, options.bind);
  return { store, a, b };
}

const apiAuth = (): (string | undefined)[] => server.seen.filter((r) => r.path.startsWith('/api')).map((r) => r.authorization);

async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('401 recovery over the wire', () => {
  it('50 parallel 401s across two bound instances give exactly one refresh, and all 50 succeed with the new token', async () => {
    const { store, a, b } = setup();
    store.login({ token: 'expired-on-the-server', refreshToken: 'r1' });
    server.refreshDelay = 30;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).get<{ authorization: string }>(`/api/item/${i}`)),
    );
    expect(server.refreshes()).toBe(1);
    expect(responses.map((r) => r.data.authorization)).toEqual(Array(50).fill('Bearer tok-1'));
    expect(new Set(apiAuth())).toEqual(new Set(['Bearer expired-on-the-server', 'Bearer tok-1']));
    expect(store.session.token).toBe('tok-1');
    expect(store.inFlight).toBe(0);
  });

  it('logout during a pending refresh: no resurrection, and the server never sees the refreshed token', async () => {
    const { store, a } = setup();
    store.login('stale');
    server.refreshDelay = 150;
    const pending = Array.from({ length: 5 }, (_, i) => outcome(a.get(`/api/${i}`)));
    await until(() => server.refreshes() === 1);
    store.logout();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.cancel && getSessionEnd(r.error)?.reason === 'user')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(store.session.status).toBe('anonymous');
    expect(apiAuth()).not.toContain('Bearer tok-1');
    expect(a.defaults.headers.common['Authorization']).toBeUndefined();
  });

  it('a 401 for a token already rotated by another call is retried at once, without a refresh', async () => {
    const { store, a } = setup();
    server.valid.add('second');
    server.apiDelay = 100;
    store.login('first');
    const pending = a.get<{ authorization: string }>('/api/doc');
    await until(() => apiAuth().length === 1);
    store.update({ token: 'second' }); // rotated while the 401 was on its way
    const res = await pending;
    expect(res.data.authorization).toBe('Bearer second');
    expect(server.refreshes()).toBe(0);
    expect(apiAuth()).toEqual(['Bearer first', 'Bearer second']);
  });

  it('a second 401 after the retry is final: it reaches the caller as the axios error, with no loop', async () => {
    const { store, a } = setup();
    store.login('stale');
    const result = await outcome(a.get('/forbidden'));
    expect(result.ok).toBe(false);
    expect(result.cancel).toBe(false);
    expect(result.error).toBeInstanceOf(AxiosError);
    expect(result.error?.response?.status).toBe(401);
    expect(result.error?.response?.data).toEqual({ error: 'not_your_document' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.refreshes()).toBe(1);
    expect(server.seen.filter((r) => r.path === '/forbidden').map((r) => r.authorization)).toEqual([
      'Bearer stale',
      'Bearer tok-1',
    ]);
    expect(store.session.token).toBe('tok-1');
  });

  it('requests made while a refresh runs wait for it instead of going out with the old token', async () => {
    const { store, a, b } = setup();
    server.valid.add('old');
    store.login('old');
    server.refreshDelay = 100;
    const refreshed = store.refresh();
    const results = await Promise.all([a.get('/api/1'), b.get('/api/2'), a.get('/api/3')]);
    await refreshed;
    expect(results.map((r) => (r.data as { authorization: string }).authorization)).toEqual(Array(3).fill('Bearer tok-1'));
    expect(apiAuth()).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1']);
  });

  it('requests on a token known to have expired wait for the refresh: no wasted round trip', async () => {
    const { store, a } = setup();
    server.refreshDelay = 50;
    store.login({ token: 'old', expiresAt: Date.now() - 1 }); // refreshed at once
    const res = await a.get<{ authorization: string }>('/api/me');
    expect(res.data.authorization).toBe('Bearer tok-1');
    expect(apiAuth()).toEqual(['Bearer tok-1']);
    expect(server.refreshes()).toBe(1);
  });

  it('when the refresh fails, every request waiting on it rejects promptly with a cancel', async () => {
    const { store, a, b } = setup();
    server.onRefresh = () => ({ status: 400, body: { error: 'invalid_grant' } });
    store.login('stale');
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => outcome((i % 2 ? a : b).get(`/api/${i}`))));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(results.every((r) => r.cancel && getSessionEnd(r.error)?.reason === 'refresh-failed')).toBe(true);
    expect(server.refreshes()).toBe(1);
    expect(store.session.status).toBe('anonymous');
  });

  it('a careless refresh through the bound client ends within refreshTimeout, without looping', async () => {
    const { store, a } = setup({
      refreshTimeout: 400,
      refresh: async () => (await a.post<{ access_token: string }>('/refresh')).data.access_token,
    });
    store.login('stale');
    const started = Date.now();
    const result = await outcome(a.get('/api/x'));
    expect(Date.now() - started).toBeLessThan(400 + 1_500);
    expect(result.cancel).toBe(true);
    expect(getSessionEnd(result.error)?.reason).toBe('refresh-failed');
    expect(server.refreshes()).toBe(0); // held behind itself, then given up: never sent with the dead token
    expect(store.session.status).toBe('anonymous');
  });

  it('a refresh that gets a 401 through the bound client fails at once, well within refreshTimeout', async () => {
    const { store, a } = setup({
      refreshTimeout: 5_000,
      // Passes its signal but not skipAuth: it goes out, carries the stale token, and gets a 401.
      refresh: async (_s, { signal }) => (await a.post<{ access_token: string }>('/refresh', null, { signal })).data.access_token,
    });
    server.onRefresh = () => ({ status: 401, body: { error: 'invalid_token' } });
    store.login('stale');
    const started = Date.now();
    const result = await outcome(a.get('/api/x'));
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(getSessionEnd(result.error)?.reason).toBe('refresh-failed');
    expect(server.refreshes()).toBe(1);
    expect(store.session.status).toBe('anonymous');
  });

  it('skipAuth requests are never refreshed nor retried', async () => {
    const { store, a } = setup();
    store.login('stale');
    const result = await outcome(a.get('/api/public', { skipAuth: true }));
    expect(result.error?.response?.status).toBe(401);
    expect(server.refreshes()).toBe(0);
    expect(apiAuth()).toEqual([undefined]);
  });

  it('shouldRefresh says which failures mean an expired token', async () => {
    const { store, a } = setup({
      bind: { shouldRefresh: (err) => (err.response?.data as { error?: string } | undefined)?.error === 'invalid_token' },
    });
    store.login('stale');
    const business = await outcome(a.get('/forbidden'));
    expect(business.error?.response?.status).toBe(401);
    expect(server.refreshes()).toBe(0);
    const res = await a.get<{ authorization: string }>('/api/me');
    expect(res.data.authorization).toBe('Bearer tok-1');
    expect(server.refreshes()).toBe(1);
  });

  it('a store without refresh hands the 401 to the caller as it is', async () => {
    const { store, a } = setup({ refresh: null });
    store.login('stale');
    const result = await outcome(a.get('/api/me'));
    expect(result.error?.response?.status).toBe(401);
    expect(apiAuth()).toEqual(['Bearer stale']);
    expect(store.session.token).toBe('stale');
  });

  it("the caller's own signal still cancels a request held behind a refresh", async () => {
    const { store, a } = setup();
    server.onRefresh = () => 'hang';
    store.login('stale');
    const refreshing = store.refresh().catch((err: unknown) => err);
    await until(() => server.refreshes() === 1);
    const controller = new AbortController();
    const held = outcome(a.get('/api/me', { signal: controller.signal }));
    controller.abort();
    const result = await held;
    expect(result.cancel).toBe(true);
    expect(getSessionEnd(result.error)).toBeUndefined();
    expect(apiAuth()).toEqual([]);
    store.logout();
    expect(isSessionError(await refreshing, 'SESSION_ENDED')).toBe(true);
  });

  it('the retry after a 401 runs no interceptor twice: the caller gets what its interceptors make of one response', async () => {
    const { store, a } = setup();
    a.interceptors.request.use((config) => ({ ...config, url: `/api${config.url ?? ''}` }));
    a.interceptors.response.use((response) => response.data as typeof response);
    store.login('stale');
    const body = (await a.get('/me')) as unknown as { path: string; authorization: string };
    expect(body).toEqual({ path: '/api/me', authorization: 'Bearer tok-1' });
    expect(server.seen.filter((r) => r.path.startsWith('/api')).map((r) => r.path)).toEqual(['/api/me', '/api/me']);
  });

  it('a POST body is sent again in full on the retry', async () => {
    const { store, a } = setup();
    store.login('stale');
    const res = await a.post<{ authorization: string }>('/api/orders', { item: 'book', qty: 2 });
    expect(res.data.authorization).toBe('Bearer tok-1');
    expect(server.refreshes()).toBe(1);
  });

  it('a streamed body that was read once is not sent again: the caller gets the 401, and the refresh still happens', async () => {
    const { store, a } = setup();
    store.login('stale');
    const result = await outcome(a.post('/api/upload', Readable.from(['important payload'])));
    expect(result.error?.response?.status).toBe(401);
    expect(apiAuth()).toEqual(['Bearer stale']);
    await until(() => store.session.token === 'tok-1');
    expect(server.refreshes()).toBe(1);
  });

  it('a streamed body’s 401 is a cancel, not the 401, when logout() comes while its refresh runs', async () => {
    const { store, a } = setup();
    store.login('stale');
    server.refreshDelay = 100;
    const pending = outcome(a.post('/api/upload', Readable.from(['payload'])));
    await until(() => server.refreshes() === 1);
    store.logout();
    const result = await pending;
    expect(axios.isCancel(result.error)).toBe(true);
    expect(getSessionEnd(result.error)?.reason).toBe('user');
  });

  it('a streamed body’s 401 is a cancel with reason refresh-failed when its refresh fails', async () => {
    const { store, a } = setup();
    store.login('stale');
    server.onRefresh = () => ({ status: 400, body: { error: 'invalid_grant' } });
    const result = await outcome(a.post('/api/upload', Readable.from(['payload'])));
    expect(store.session.status).toBe('anonymous');
    expect(getSessionEnd(result.error)?.reason).toBe('refresh-failed');
  });

  it("the caller's own signal cancels a request waiting on the refresh after its 401, at once", async () => {
    const { store, a } = setup();
    server.onRefresh = () => 'hang';
    store.login('stale');
    const controller = new AbortController();
    const pending = outcome(a.get('/api/me', { signal: controller.signal }));
    await until(() => server.refreshes() === 1);
    const abortedAt = Date.now();
    controller.abort();
    const result = await pending;
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    expect(result.cancel).toBe(true);
    expect(getSessionEnd(result.error)).toBeUndefined();
    store.logout();
  });

  it('a cancelToken cancels a request held behind a refresh', async () => {
    const { store, a } = setup();
    server.onRefresh = () => 'hang';
    store.login('stale');
    const refreshing = store.refresh().catch(() => undefined);
    await until(() => server.refreshes() === 1);
    const source = axios.CancelToken.source();
    const held = outcome(a.get('/api/me', { cancelToken: source.token }));
    source.cancel('navigated away');
    const result = await held;
    expect(result.cancel).toBe(true);
    expect(result.error?.message).toBe('navigated away');
    expect(apiAuth()).toEqual([]);
    store.logout();
    await refreshing;
  });

  it('a token restored already expired is refreshed right after construction, through a client made after the store', async () => {
    const saved = { token: 'expired-while-closed', refreshToken: 'r1', expiresAt: Date.now() - 1_000 };
    const store = new SessionStore({
      initial: saved,
      refresh: async (session, { config }) =>
        (await api.post<{ access_token: string }>('/refresh', { rt: session.refreshToken }, config)).data.access_token,
    });
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    const me = await api.get<{ authorization: string }>('/api/me');
    expect(me.data.authorization).toBe('Bearer tok-1');
    expect(apiAuth()).toEqual(['Bearer tok-1']);
    expect(server.refreshes()).toBe(1);
  });

  it('a request held behind a refresh is cancelled, not sent into the next session, when the user changes', async () => {
    const { store, a } = setup();
    server.onRefresh = () => 'hang';
    store.login('user-a');
    const refreshing = store.refresh().catch(() => undefined);
    await until(() => server.refreshes() === 1);
    const held = outcome(a.get('/api/report'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    store.logout();
    server.valid.add('user-b');
    store.login('user-b');
    const result = await held;
    expect(result.cancel).toBe(true);
    expect(getSessionEnd(result.error)?.reason).toBe('user');
    expect(apiAuth()).toEqual([]);
    await refreshing;
  });
});
