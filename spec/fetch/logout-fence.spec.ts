import axios from 'axios';
import { bindAxios, createFetch, getSessionEnd, isSessionError, SessionStore, type SessionError } from '../../lib/index';
import { refresher } from '../support/refresher';
import { startServer, type TestServer } from '../support/test-server';

/** What a promise settled to: its value, or what it rejected with. */
async function settledTo<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

function endedWith(result: { ok: boolean; error?: unknown }): SessionError | undefined {
  return result.ok ? undefined : getSessionEnd(result.error);
}

describe('logout is a fence for createFetch (over the wire)', () => {
  let server: TestServer;
  let store: SessionStore;
  let api: ReturnType<typeof createFetch>;

  beforeEach(async () => {
    server = await startServer();
    store = new SessionStore();
    api = createFetch(store, { baseURL: server.origin });
  });

  afterEach(async () => {
    store.dispose();
    await server.close();
  });

  it('rejects fetches in flight with the SESSION_ENDED SessionError once logout() returns, and the server sees their sockets close', async () => {
    store.login('user-1-token');
    const pending = ['/slow/1', '/slow/2', '/slow/3'].map((path) => settledTo(api(path)));
    await server.arrived(3);
    expect(store.inFlight).toBe(3);

    store.logout();

    const results = await Promise.all(pending);
    for (const result of results) {
      expect(result.ok).toBe(false);
      expect(isSessionError(!result.ok && result.error, 'SESSION_ENDED')).toBe(true);
      expect(endedWith(result)?.reason).toBe('user');
    }
    await server.droppedAtLeast(3);
    expect(server.dropped()).toBe(3);
    expect(store.inFlight).toBe(0);
  });

  it('rejects with the logout’s reason', async () => {
    store.login('t');
    const pending = settledTo(api('/slow'));
    await server.arrived(1);
    store.logout('unauthorized');
    const result = await pending;
    expect(endedWith(result)).toMatchObject({ name: 'SessionError', code: 'SESSION_ENDED', reason: 'unauthorized' });
  });

  it('never delivers a slow response released after logout', async () => {
    store.login('t');
    const pending = settledTo(api('/slow'));
    await server.arrived(1);
    store.logout();
    server.release();
    expect(endedWith(await pending)?.reason).toBe('user');
  });

  it('never sends a fetch of the ended session that was held behind a refresh', async () => {
    const { fn, calls } = refresher();
    const refreshing = new SessionStore({ refresh: fn });
    const held = createFetch(refreshing, { baseURL: server.origin });
    refreshing.login('stale-token');
    const refresh = settledTo(refreshing.refresh());
    expect(calls).toHaveLength(1);
    const pending = settledTo(held('/held'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.seen).toHaveLength(0);

    refreshing.logout();
    calls[0]?.resolve('fresh-token'); // too late: the refresh was abandoned

    const result = await pending;
    expect(endedWith(result)?.reason).toBe('user');
    const abandoned = await refresh;
    expect(!abandoned.ok && isSessionError(abandoned.error, 'SESSION_ENDED')).toBe(true);
    await (await held('/after')).text();
    expect(server.seen.map((r) => [r.path, r.authorization])).toEqual([['/after', undefined]]);
    refreshing.dispose();
  });

  it('rejects reading the body of a response that arrived before logout with the same SessionError', async () => {
    store.login('t');
    const inFlight = settledTo(api('/slow'));
    const arrived = await api('/me');
    const arrivedJson = await api('/me');
    await server.arrived(3);
    expect(arrived.status).toBe(200);

    store.logout();

    const reason = endedWith(await inFlight);
    expect(reason?.reason).toBe('user');
    await expect(arrived.text()).rejects.toBe(reason);
    await expect(arrivedJson.json()).rejects.toBe(reason);
  });

  it('errors the body stream of a response that arrived before logout, when read after it', async () => {
    store.login('t');
    const arrived = await api('/me');
    store.logout();
    const body = arrived.body;
    if (body === null) throw new Error('expected a body');
    const reader = body.getReader();
    let error: unknown;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (err) {
      error = err;
    }
    expect(getSessionEnd(error)?.reason).toBe('user');
  });

  it('rejects a fetch issued in the same tick as logout(), and nothing reaches the server', async () => {
    store.login('same-tick-token');
    const pending = settledTo(api('/me'));
    store.logout();
    expect(endedWith(await pending)?.reason).toBe('user');
    await (await api('/after')).text();
    expect(server.seen.map((r) => [r.path, r.authorization])).toEqual([['/after', undefined]]);
  });

  it('errors a body being streamed when logout happens, and the server sees the socket close', async () => {
    store.login('t');
    const res = await api('/stream');
    const body = res.body;
    if (body === null) throw new Error('expected a body');
    const reader = body.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(store.inFlight).toBe(1);

    store.logout();

    let error: unknown;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (err) {
      error = err;
    }
    expect(getSessionEnd(error)?.reason).toBe('user');
    await server.droppedAtLeast(1);
    expect(store.inFlight).toBe(0);
  });

  it('sends a new login’s requests with its token, and lets them through', async () => {
    store.login('user-1-token');
    const first = settledTo(api('/slow/user-1'));
    await server.arrived(1);
    store.logout();
    store.login('user-2-token');
    const res = await api('/me');
    expect(await res.json()).toEqual({ path: '/me', authorization: 'Bearer user-2-token' });
    expect(endedWith(await first)?.reason).toBe('user');
    expect(server.seen.map((r) => r.authorization)).toEqual(['Bearer user-1-token', 'Bearer user-2-token']);
  });

  it('a second login cancels the first user’s fetches with reason replaced', async () => {
    store.login('user-1-token');
    const first = settledTo(api('/slow/user-1'));
    await server.arrived(1);
    store.login('user-2-token');
    expect(endedWith(await first)?.reason).toBe('replaced');
    await server.droppedAtLeast(1);
  });

  it('counts a response in store.inFlight until its body is read, and then no more', async () => {
    store.login('t');
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => api(`/item/${i}`)));
    expect(store.inFlight).toBe(5);
    const [a, b, c, d, e] = responses;
    await a?.text();
    await b?.json();
    await c?.arrayBuffer();
    await d?.blob();
    expect(store.inFlight).toBe(1);
    await e?.text();
    expect(store.inFlight).toBe(0);
  });

  it('counts a response whose body is read as a stream until the stream ends, or is cancelled', async () => {
    store.login('t');
    const [read, cancelled, byob] = await Promise.all([api('/a'), api('/b'), api('/c')]);
    expect(store.inFlight).toBe(3);
    const reader = read.body?.getReader();
    let text = '';
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read())
      text += new TextDecoder().decode(chunk.value);
    expect(JSON.parse(text)).toMatchObject({ path: '/a' });
    expect(store.inFlight).toBe(2);
    await cancelled.body?.cancel();
    expect(store.inFlight).toBe(1);
    // A reader of your own buffers (BYOB) reads it too.
    const own = byob.body?.getReader({ mode: 'byob' });
    let bytes = 0;
    for (let chunk = await own?.read(new Uint8Array(4)); chunk && !chunk.done; chunk = await own?.read(new Uint8Array(4)))
      bytes += chunk.value.byteLength;
    expect(bytes).toBeGreaterThan(0);
    expect(store.inFlight).toBe(0);
  });

  it('leaves text() working after a look at response.body, which reads nothing', async () => {
    store.login('t');
    const res = await api('/me');
    expect(res.body).not.toBeNull();
    expect(res.body).toBe(res.body);
    const body = res.body;
    expect(JSON.parse(await res.text())).toMatchObject({ path: '/me' });
    expect(store.inFlight).toBe(0);
    expect(res.body).toBe(body);
  });

  it('rejects reading a clone() of a response of the ended session with the same SessionError', async () => {
    store.login('t');
    const before = await api('/me');
    const copy = before.clone(); // cloned while the session lasts
    const inFlight = settledTo(api('/slow'));
    await server.arrived(2);
    store.logout();
    const reason = endedWith(await inFlight);
    expect(reason?.reason).toBe('user');
    await expect(copy.text()).rejects.toBe(reason);
    let thrown: unknown;
    try {
      before.clone(); // cloned after the logout
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBe(reason);
  });

  it('errors the body stream of a clone() read after logout, though its original was read before it', async () => {
    store.login('t');
    const res = await api('/me');
    const copy = res.clone();
    expect(JSON.parse(await res.text())).toMatchObject({ path: '/me' }); // settles the request: logout aborts nothing
    store.logout();
    const body = copy.body;
    if (body === null) throw new Error('expected a body');
    const read = await settledTo(body.getReader().read());
    expect(endedWith(read)?.reason).toBe('user');
  });

  it('reads response.body after a look at it and a clone(), as fetch does', async () => {
    store.login('t');
    const res = await api('/me');
    expect(res.body).not.toBeNull();
    const copy = res.clone();
    const text = await new Response(res.body).text();
    expect(JSON.parse(text)).toMatchObject({ path: '/me' });
    expect(await copy.text()).toBe(text);
    expect(store.inFlight).toBe(0);
  });

  it('reads a clone() as the original while the session lasts, and the original still settles the request', async () => {
    store.login('t');
    const res = await api('/me');
    const copy = res.clone();
    expect(JSON.parse(await copy.text())).toMatchObject({ path: '/me' });
    expect(store.inFlight).toBe(1); // the original is not read yet
    expect(JSON.parse(await res.text())).toMatchObject({ path: '/me' });
    expect(store.inFlight).toBe(0);
  });

  it('counts a response without a body in store.inFlight not at all', async () => {
    store.login('t');
    const res = await api('/status/204');
    expect(res.status).toBe(204);
    expect(store.inFlight).toBe(0);
  });

  it('one logout fences a fetch function and an axios instance bound to the same store', async () => {
    const viaAxios = axios.create({ baseURL: server.origin });
    bindAxios(store, viaAxios);
    store.login('t');
    const fromFetch = settledTo(api('/slow/fetch'));
    const fromAxios = settledTo(viaAxios.get('/slow/axios'));
    await server.arrived(2);
    store.logout();
    expect(endedWith(await fromFetch)?.reason).toBe('user');
    expect(endedWith(await fromAxios)?.reason).toBe('user');
    await server.droppedAtLeast(2);
  });

  it('dispose() rejects fetches in flight with reason disposed', async () => {
    store.login('t');
    const pending = settledTo(api('/slow'));
    await server.arrived(1);
    store.dispose();
    expect(endedWith(await pending)?.reason).toBe('disposed');
    await server.droppedAtLeast(1);
  });
});
