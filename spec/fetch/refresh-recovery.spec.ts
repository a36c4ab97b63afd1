import axios from 'axios';
import {
  bindAxios,
  createFetch,
  getSessionEnd,
  isSessionError,
  SessionStore,
  type CreateFetchOptions,
  type FetchFunction,
  type RefreshFunction,
} from '../../lib/index';
import { startAuthServer, type AuthServer } from '../support/auth-server';

let server: AuthServer;
beforeEach(async () => {
  server = await startAuthServer();
});
afterEach(async () => {
  await server.close();
});

/** The app's refresh call, through the platform's own (unbound) fetch and the refresh's signal. */
const viaPlainFetch: RefreshFunction = async (session, { signal }) => {
  const res = await fetch(`${server.origin}/refresh`, {
    method: 'POST',
    body: JSON.stringify({ refreshToken: session.refreshToken }),
    signal,
  });
  return ((await res.json()) as { access_token: string }).access_token;
};

function setup(options: { refresh?: RefreshFunction | null; fetch?: CreateFetchOptions } = {}): {
  store: SessionStore;
  api: ReturnType<typeof createFetch>;
} {
  const refresh = options.refresh === undefined ? viaPlainFetch : options.refresh;
  const store = new SessionStore(refresh !== null ? { refresh } : {});
  const api = createFetch(store, { baseURL: server.origin, ...options.fetch });
  return { store, api };
}

/** What a promise settled to: its value, or what it rejected with. */
async function settledTo<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

const authOn = (path: string): (string | undefined)[] => server.seen.filter((r) => r.path === path).map((r) => r.authorization);
const apiAuth = (): (string | undefined)[] => server.seen.filter((r) => r.path.startsWith('/api')).map((r) => r.authorization);

async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A ReadableStream body, which can be read only once. */
function streamOf(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

describe('401 recovery of createFetch over the wire', () => {
  it('concurrent 401s from a fetch function and an axios instance on one store share one refresh, and each request is retried once with the new token', async () => {
    const { store, api } = setup();
    const viaAxios = axios.create({ baseURL: server.origin });
    bindAxios(store, viaAxios);
    store.login({ token: 'expired-on-the-server', refreshToken: 'r1' });
    server.refreshDelay = 30;

    const [fetched, fromAxios] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, (_, i) => api(`/api/fetch/${i}`))),
      Promise.all(Array.from({ length: 10 }, (_, i) => viaAxios.get<{ authorization: string }>(`/api/axios/${i}`))),
    ]);

    expect(server.refreshes()).toBe(1);
    expect(fetched.map((r) => r.status)).toEqual(Array(10).fill(200));
    const bodies = (await Promise.all(fetched.map((r) => r.json()))) as { authorization: string }[];
    expect(bodies.map((b) => b.authorization)).toEqual(Array(10).fill('Bearer tok-1'));
    expect(fromAxios.map((r) => r.data.authorization)).toEqual(Array(10).fill('Bearer tok-1'));
    for (const path of [
      ...Array.from({ length: 10 }, (_, i) => `/api/fetch/${i}`),
      ...Array.from({ length: 10 }, (_, i) => `/api/axios/${i}`),
    ]) {
      const sent = authOn(path);
      // Sent with the stale token at most once (the rest waited for the first answers), and once with the new one.
      expect(sent.filter((a) => a === 'Bearer tok-1')).toHaveLength(1);
      expect(sent.length).toBeLessThanOrEqual(2);
    }
    expect(apiAuth()).toContain('Bearer expired-on-the-server');
    expect(store.session.token).toBe('tok-1');
    expect(store.inFlight).toBe(0);
    store.dispose();
  });

  it('resolves with the 401 Response of a retry that is refused again, and retries no more', async () => {
    const { store, api } = setup();
    store.login('stale');
    const res = await api('/forbidden');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'not_your_document' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.refreshes()).toBe(1);
    expect(authOn('/forbidden')).toEqual(['Bearer stale', 'Bearer tok-1']);
    expect(store.session.token).toBe('tok-1');
    expect(store.inFlight).toBe(0);
    store.dispose();
  });

  it('does not send a ReadableStream body again: it resolves with the 401, and the refresh still happens', async () => {
    const { store, api } = setup();
    store.login('stale');
    const init = { method: 'POST', body: streamOf('important payload'), duplex: 'half' } as RequestInit;
    const res = await api('/api/upload', init);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_token' });
    expect(authOn('/api/upload')).toEqual(['Bearer stale']);
    await until(() => store.session.token === 'tok-1');
    expect(server.refreshes()).toBe(1);
    store.dispose();
  });

  it('rejects a ReadableStream body’s 401 with SESSION_ENDED when logout() comes while its refresh runs', async () => {
    const { store, api } = setup();
    store.login('stale');
    server.refreshDelay = 100;
    const init = { method: 'POST', body: streamOf('payload'), duplex: 'half' } as RequestInit;
    const pending = settledTo(api('/api/upload', init));
    await until(() => server.refreshes() === 1);
    store.logout();
    const result = await pending;
    expect(!result.ok && getSessionEnd(result.error)?.reason).toBe('user');
    expect(store.inFlight).toBe(0);
    store.dispose();
  });

  it('rejects a ReadableStream body’s 401 with SESSION_ENDED refresh-failed when its refresh fails', async () => {
    const { store, api } = setup();
    store.login('stale');
    server.onRefresh = () => ({ status: 400, body: { error: 'invalid_grant' } });
    const init = { method: 'POST', body: streamOf('payload'), duplex: 'half' } as RequestInit;
    const result = await settledTo(api('/api/upload', init));
    expect(store.session.status).toBe('anonymous');
    expect(!result.ok && getSessionEnd(result.error)?.reason).toBe('refresh-failed');
    store.dispose();
  });

  it('recovers a 401 through a `fetch` option whose responses have a Node stream body, with no cancel()', async () => {
    // As node-fetch 2 and its forks answer: the dropped 401's body is destroyed, not cancelled.
    const { Readable } = await import('node:stream');
    class NodeStyleResponse {
      constructor(
        readonly status: number,
        readonly headers: Headers,
        readonly body: InstanceType<typeof Readable>,
        private readonly content: string,
      ) {}
      get ok(): boolean {
        return this.status < 300;
      }
      text(): Promise<string> {
        return Promise.resolve(this.content);
      }
    }
    const nodeStyle: FetchFunction = async (input, init) => {
      const res = await fetch(input, init);
      const text = await res.text();
      return new NodeStyleResponse(res.status, res.headers, Readable.from([text]), text) as unknown as Response;
    };
    const { store, api } = setup({ fetch: { fetch: nodeStyle } });
    store.login('stale');
    const res = await api('/api/me');
    expect(res.status).toBe(200);
    expect(apiAuth()).toEqual(['Bearer stale', 'Bearer tok-1']);
    await res.text();
    expect(store.inFlight).toBe(0);
    store.dispose();
  });

  it('sends a string body and a Request’s body again in full on the retry', async () => {
    const bodies: string[] = [];
    const recording: FetchFunction = async (input, init) => {
      bodies.push(
        input instanceof Request ? await input.clone().text() : typeof init?.body === 'string' ? init.body : '(not a string)',
      );
      return fetch(input, init);
    };
    const { store, api } = setup({ fetch: { fetch: recording } });
    store.login('stale');
    const fromInit = await api('/api/orders', { method: 'POST', body: '{"item":"book"}' });
    expect(fromInit.status).toBe(200);
    store.update({ token: 'stale-again' });
    const fromRequest = await api(new Request(`${server.origin}/api/requests`, { method: 'PUT', body: 'request body' }));
    expect(fromRequest.status).toBe(200);
    expect(bodies).toEqual(['{"item":"book"}', '{"item":"book"}', 'request body', 'request body']);
    expect(authOn('/api/requests')).toEqual(['Bearer stale-again', 'Bearer tok-2']);
    expect(server.refreshes()).toBe(2);
    await Promise.all([fromInit.text(), fromRequest.text()]);
    expect(store.inFlight).toBe(0);
    store.dispose();
  });

  it('asks a custom shouldRefresh with the Response, and refreshes only when it says so', async () => {
    const asked: Response[] = [];
    const { store, api } = setup({
      fetch: {
        shouldRefresh: (response) => {
          asked.push(response);
          return response.status === 401 && new URL(response.url).pathname !== '/forbidden';
        },
      },
    });
    store.login('stale');
    const business = await api('/forbidden');
    expect(business.status).toBe(401);
    expect(server.refreshes()).toBe(0);
    // Asked about the one response it got (twice today: once to judge the new token, once to recover).
    expect(asked.length).toBeGreaterThanOrEqual(1);
    expect(asked[0]).toBeInstanceOf(Response);
    expect(new Set(asked)).toEqual(new Set([business]));
    const res = await api('/api/me');
    expect(((await res.json()) as { authorization: string }).authorization).toBe('Bearer tok-1');
    expect(server.refreshes()).toBe(1);
    store.dispose();
  });

  it('resolves a 401 as it is when the store has no refresh', async () => {
    const { store, api } = setup({ refresh: null });
    store.login('stale');
    const res = await api('/api/me');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_token' });
    expect(apiAuth()).toEqual(['Bearer stale']);
    expect(server.refreshes()).toBe(0);
    expect(store.session.token).toBe('stale');
    store.dispose();
  });

  it('retries at once, without a refresh, a 401 for a token rotated while it was on its way', async () => {
    const { store, api } = setup();
    server.valid.add('second');
    server.apiDelay = 100;
    store.login('first');
    const pending = api('/api/doc');
    await until(() => apiAuth().length === 1);
    store.update({ token: 'second' });
    const res = await pending;
    expect(((await res.json()) as { authorization: string }).authorization).toBe('Bearer second');
    expect(server.refreshes()).toBe(0);
    expect(apiAuth()).toEqual(['Bearer first', 'Bearer second']);
    store.dispose();
  });

  it('never refreshes nor retries a skipAuth request', async () => {
    const { store, api } = setup();
    store.login('stale');
    const res = await api('/api/public', { skipAuth: true });
    expect(res.status).toBe(401);
    expect(server.refreshes()).toBe(0);
    expect(apiAuth()).toEqual([undefined]);
    store.dispose();
  });

  it('rejects the fetches waiting on a refresh that fails with SESSION_ENDED refresh-failed', async () => {
    const { store, api } = setup();
    server.onRefresh = () => ({ status: 400, body: { error: 'invalid_grant' } });
    store.login('stale');
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => settledTo(api(`/api/${i}`))));
    expect(results.every((r) => !r.ok && getSessionEnd(r.error)?.reason === 'refresh-failed')).toBe(true);
    expect(server.refreshes()).toBe(1);
    expect(store.session.status).toBe('anonymous');
    store.dispose();
  });

  it('rejects on logout during a pending refresh, and the server never sees the refreshed token', async () => {
    const { store, api } = setup();
    store.login('stale');
    server.refreshDelay = 150;
    const pending = Array.from({ length: 3 }, (_, i) => settledTo(api(`/api/${i}`)));
    await until(() => server.refreshes() === 1);
    store.logout();
    const results = await Promise.all(pending);
    expect(results.every((r) => !r.ok && isSessionError(r.error, 'SESSION_ENDED') && r.error.reason === 'user')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(store.session.status).toBe('anonymous');
    expect(apiAuth()).not.toContain('Bearer tok-1');
    store.dispose();
  });

  it('lets the caller’s own signal cancel a fetch waiting on the refresh after its 401, at once', async () => {
    const { store, api } = setup();
    server.onRefresh = () => 'hang';
    store.login('stale');
    const controller = new AbortController();
    const pending = settledTo(api('/api/me', { signal: controller.signal }));
    await until(() => server.refreshes() === 1);
    const reason = new Error('navigated away');
    controller.abort(reason);
    const result = await pending;
    expect(!result.ok && result.error).toBe(reason);
    expect(authOn('/api/me')).toEqual(['Bearer stale']);
    store.logout();
    store.dispose();
  });
});
