import { getEventListeners } from 'node:events';
import http from 'node:http';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import axios, { type AxiosInstance } from 'axios';
import { config as rxConfig } from 'rxjs';
import { bindAxios, getSessionEnd, isSessionError, SessionStore } from '../../lib/index';
import { gate, outcome } from '../support/outcome';
import { startServer, type TestServer } from '../support/test-server';

describe('logout is a fence (over the wire)', () => {
  let server: TestServer;
  let store: SessionStore;
  let api: AxiosInstance;

  beforeEach(async () => {
    server = await startServer();
    store = new SessionStore();
    api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
  });

  afterEach(async () => {
    store.dispose();
    await server.close();
  });

  it('aborts in-flight requests on logout, and the server sees the sockets close', async () => {
    store.login('user-1-token');
    const pending = [api.get('/slow/1'), api.get('/slow/2'), api.get('/slow/3')].map(outcome);
    await server.arrived(3);
    expect(store.inFlight).toBe(3);

    store.logout();

    const results = await Promise.all(pending);
    for (const result of results) {
      expect(result.cancel).toBe(true);
      const reason = getSessionEnd(result.error);
      expect(isSessionError(reason, 'SESSION_ENDED')).toBe(true);
      expect(reason?.reason).toBe('user');
    }
    await server.droppedAtLeast(3);
    expect(server.dropped()).toBe(3);
    expect(store.inFlight).toBe(0);
  });

  it('logout and dispose() still cancel every request when one instance’s defaults cannot be written, and report that error', async () => {
    const frozen = axios.create({ baseURL: server.origin });
    bindAxios(store, frozen);
    store.login('frozen-defaults-token');
    Object.freeze(frozen.defaults.headers.common);
    const pending = [api.get('/slow/a'), frozen.get('/slow/b')].map(outcome);
    await server.arrived(2);
    const reported: unknown[] = [];
    const previous = rxConfig.onUnhandledError;
    rxConfig.onUnhandledError = (err: unknown) => reported.push(err);
    try {
      expect(() => store.logout()).not.toThrow();
      expect(store.session.status).toBe('anonymous');
      expect((await Promise.all(pending)).map((r) => r.cancel)).toEqual([true, true]);
      await server.droppedAtLeast(2);
      // The frozen default still holds the old token; the fence keeps it off every request.
      expect((await frozen.get('/me')).data).toEqual({ path: '/me', authorization: null });
      store.login('second-token');
      const again = outcome(frozen.get('/slow/c'));
      await server.arrived(4);
      expect(() => store.dispose()).not.toThrow();
      expect((await again).cancel).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      rxConfig.onUnhandledError = previous;
    }
    expect(reported.length).toBeGreaterThanOrEqual(2); // the logout's sync, the second login's, dispose's unbind
    expect(reported.every((err) => err instanceof TypeError)).toBe(true);
  });

  it('exposes the logout reason as err.config.signal.reason, a SessionError', async () => {
    store.login('t');
    const pending = outcome(api.get('/slow'));
    await server.arrived(1);
    store.logout('unauthorized');
    const { error } = await pending;
    const reason = (error?.config?.signal as { reason?: unknown } | undefined)?.reason;
    expect(reason).toMatchObject({ name: 'SessionError', code: 'SESSION_ENDED', reason: 'unauthorized' });
  });

  it('cancels a get() issued in the same tick as logout(), before it leaves', async () => {
    store.login('same-tick-token');
    const pending = outcome(api.get('/me'));
    store.logout();
    const result = await pending;
    expect(result.cancel).toBe(true);
    await api.get('/after');
    expect(server.seen.map((r) => r.path)).toEqual(['/after']);
    expect(server.seen[0]?.authorization).toBeUndefined();
  });

  it('sends a request made right after logout() returns without any token', async () => {
    store.login('old-token');
    store.logout();
    const { data } = await api.get<{ authorization: string | null }>('/me');
    expect(data.authorization).toBeNull();
  });

  it('cancels requests still waiting in the interceptor chain when the session ends', async () => {
    const held = gate();
    api.interceptors.request.use(async (config) => {
      await held.promise;
      return config;
    });
    store.login('old-token');
    const pending = [api.get('/a'), api.get('/b')].map(outcome);
    store.logout();
    held.open();
    const results = await Promise.all(pending);
    expect(results.map((r) => r.cancel)).toEqual([true, true]);
    expect(getSessionEnd(results[0]?.error)?.reason).toBe('user');
    await api.get('/after');
    expect(server.seen.map((r) => r.path)).toEqual(['/after']);
  });

  it('never delivers a response that arrives after the fence as a success', async () => {
    // A response interceptor registered before the binding holds a response that has
    // already arrived; the session ends meanwhile.
    const late = axios.create({ baseURL: server.origin });
    const held = gate();
    const responded = gate();
    late.interceptors.response.use(async (response) => {
      responded.open();
      await held.promise;
      return response;
    });
    bindAxios(store, late);
    store.login('t');
    const pending = outcome(late.get('/me'));
    await responded.promise;
    store.logout();
    held.open();
    const result = await pending;
    expect(result.ok).toBe(false);
    expect(result.cancel).toBe(true);
    expect(getSessionEnd(result.error)?.reason).toBe('user');
  });

  it('a second user logging in cancels the first user’s requests, and only the new token leaves', async () => {
    store.login('user-1-token');
    const first = outcome(api.get('/slow/user-1'));
    await server.arrived(1);

    store.login('user-2-token');
    const second = await api.get<{ authorization: string | null }>('/me');

    const result = await first;
    expect(result.cancel).toBe(true);
    expect(getSessionEnd(result.error)?.reason).toBe('replaced');
    expect(second.data.authorization).toBe('Bearer user-2-token');
    await server.droppedAtLeast(1);
    expect(server.seen.filter((r) => r.authorization === 'Bearer user-1-token').map((r) => r.path)).toEqual(['/slow/user-1']);
  });

  it('one logout fences every bound instance', async () => {
    const other = axios.create({ baseURL: server.origin });
    bindAxios(store, other);
    store.login('t');
    const pending = [api.get('/slow/a'), other.get('/slow/b')].map(outcome);
    await server.arrived(2);
    store.logout();
    const results = await Promise.all(pending);
    expect(results.map((r) => r.cancel)).toEqual([true, true]);
    await server.droppedAtLeast(2);
  });

  it('an unbound instance no longer follows the session', async () => {
    const other = axios.create({ baseURL: server.origin });
    const unbind = bindAxios(store, other);
    store.login('t');
    unbind();
    const { data } = await other.get<{ authorization: string | null }>('/me');
    expect(data.authorization).toBeNull();
    const pending = outcome(other.get('/slow'));
    await server.arrived(2);
    store.logout();
    server.release();
    expect((await pending).ok).toBe(true);
  });

  it('the caller’s own signal cancels just that request', async () => {
    store.login('t');
    const controller = new AbortController();
    const mine = outcome(api.get('/slow/mine', { signal: controller.signal }));
    const theirs = outcome(api.get('/slow/theirs'));
    await server.arrived(2);

    controller.abort();
    const result = await mine;
    expect(result.cancel).toBe(true);
    expect(getSessionEnd(result.error)).toBeUndefined();
    expect((result.error?.config?.signal as { reason?: unknown }).reason).toBe(controller.signal.reason);
    await server.droppedAtLeast(1);

    server.release();
    expect((await theirs).ok).toBe(true);
    expect(store.inFlight).toBe(0);
  });

  it('a caller’s signal that is already aborted cancels the request before it leaves', async () => {
    store.login('t');
    const controller = new AbortController();
    controller.abort();
    const result = await outcome(api.get('/me', { signal: controller.signal }));
    expect(result.cancel).toBe(true);
    expect(server.seen).toHaveLength(0);
  });

  it('a slow response released after logout is not delivered', async () => {
    store.login('t');
    const pending = outcome(api.get('/slow'));
    await server.arrived(1);
    store.logout();
    server.release();
    expect((await pending).cancel).toBe(true);
  });

  it('holds when an interceptor registered before binding replaces config.signal', async () => {
    const other = axios.create({ baseURL: server.origin });
    const held = gate();
    // Registered first, so it runs after the binding's interceptor.
    other.interceptors.request.use(async (config) => {
      await held.promise;
      config.signal = AbortSignal.timeout(5_000);
      return config;
    });
    other.interceptors.request.use((config) => {
      const rest = { ...config };
      delete rest.signal;
      return rest;
    });
    bindAxios(store, other);
    store.login('old-token');
    const pending = outcome(other.get('/held'));
    await Promise.resolve();
    store.logout();
    held.open();
    const result = await pending;
    expect(result.cancel).toBe(true);
    expect(server.seen).toHaveLength(0);
  });

  it('cancels a request whose signal another interceptor replaced, on the wire', async () => {
    const other = axios.create({ baseURL: server.origin });
    other.interceptors.request.use((config) => {
      config.signal = new AbortController().signal;
      return config;
    });
    bindAxios(store, other);
    store.login('t');
    const pending = outcome(other.get('/slow/replaced-signal'));
    await server.arrived(1);
    store.logout();
    expect((await pending).cancel).toBe(true);
    await server.droppedAtLeast(1);
  });

  it('leaves nothing tracked when a response interceptor registered before binding unwraps the data', async () => {
    const other = axios.create({ baseURL: server.origin });
    other.interceptors.response.use((response) => response.data as never);
    bindAxios(store, other);
    store.login('t');
    await Promise.all(Array.from({ length: 20 }, (_, i) => other.get(`/unwrapped/${i}`)));
    expect(store.inFlight).toBe(0);
  });

  it('cancels a streamed response body on logout, and then stops tracking it', async () => {
    store.login('t');
    const response = await api.get<NodeJS.ReadableStream>('/stream', { responseType: 'stream' });
    const received: string[] = [];
    const ended = new Promise<string>((resolve) => {
      response.data.on('data', (chunk: Buffer) => received.push(chunk.toString()));
      response.data.on('error', () => resolve('error'));
      response.data.on('close', () => resolve('close'));
    });
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(store.inFlight).toBe(1);
    store.logout();
    const before = received.length;
    await ended;
    await server.droppedAtLeast(1);
    expect(received.length - before).toBeLessThanOrEqual(1);
  });

  it('a retry of a config keeps following the caller’s signal, with one listener on it', async () => {
    store.login('t');
    const controller = new AbortController();
    const first = await api.get('/me', { signal: controller.signal });
    const second = await api.request(first.config);
    const third = outcome(api.request({ ...second.config, url: '/slow/third' }));
    await server.arrived(3);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    const result = await third;
    expect(result.cancel).toBe(true);
    expect(getSessionEnd(result.error)).toBeUndefined();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(store.inFlight).toBe(0);
  });

  it('keeps the token out of a logged config of a request that never carried it', async () => {
    store.login('never-logged-token');
    const response = await api.get('/public', { skipAuth: true });
    expect(inspect(response.config, { depth: 6, showHidden: true })).not.toContain('never-logged-token');
  });

  it('a serialised error shows no token, even where the config reaches Node’s live request (a streamed body, a custom httpAgent)', async () => {
    store.login('raw-request-token');
    // A streamed body is piped into the request: `toJSON()` reaches its raw text through it.
    const streamed = await outcome(api.post('/status/500', Readable.from(['a', 'b'])));
    // A list of the app's own that already names the header still gets Node's fields.
    const namesHeader = await outcome(api.post('/status/500', Readable.from(['a']), { redact: ['Authorization'] }));
    for (const { error } of [streamed, namesHeader]) {
      expect(JSON.stringify(error)).toContain('"_header":"[REDACTED');
    }
    // A custom agent holds its sockets, and through them the request while it is in use.
    const agent = new http.Agent({ keepAlive: false });
    const viaAgent = await outcome(api.get('/status/500', { httpAgent: agent }));
    const ownList = await outcome(api.get('/status/500', { httpAgent: agent, redact: ['Cookie'] }));
    for (const { error } of [streamed, namesHeader, viaAgent, ownList]) {
      expect(error?.response?.status).toBe(500);
      expect(JSON.stringify(error)).not.toContain('raw-request-token');
    }
    agent.destroy();
  });

  it('keeps the redact list other interceptors set, and adds its header to it', async () => {
    api.interceptors.request.use((config) => {
      config.redact = [...(config.redact ?? []), 'Cookie'];
      return config;
    });
    store.login('t');
    const response = await api.get('/me');
    expect(response.config.redact).toEqual(['Cookie', 'Authorization', '_header', '_pendingData', 'outputData']);
  });

  it('code that pushes onto a request’s redact list later neither throws nor changes the next requests’ list', async () => {
    api.interceptors.response.use((response) => {
      response.config.redact?.push('Cookie');
      return response;
    });
    store.login('t');
    const first = await api.get('/me');
    const second = await api.get('/me');
    const ours = ['Authorization', '_header', '_pendingData', 'outputData'];
    expect(first.config.redact).toEqual([...ours, 'Cookie']);
    expect(second.config.redact).toEqual([...ours, 'Cookie']);
    const third = await api.get('/me');
    expect(third.config.redact).toHaveLength(5);
  });

  it('the fetch adapter is fenced too', async () => {
    const viaFetch = axios.create({ baseURL: server.origin, adapter: 'fetch' });
    bindAxios(store, viaFetch);
    store.login('fetch-token');
    const { data } = await viaFetch.get<{ authorization: string | null }>('/me');
    expect(data.authorization).toBe('Bearer fetch-token');
    const pending = outcome(viaFetch.get('/slow'));
    await server.arrived(2);
    store.logout();
    const result = await pending;
    expect(result.cancel).toBe(true);
    await server.droppedAtLeast(1);
  });
});
