import { getEventListeners } from 'node:events';
import { createFetch, getSessionEnd, SessionStore, type FetchFunction } from '../../lib/index';
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

/** A `fetch` option that never answers: it rejects with its signal's reason once that aborts, as `fetch` does. */
function holdingFetch(): { fetch: FetchFunction; calls: () => number } {
  let calls = 0;
  const fetch: FetchFunction = (_input, init) =>
    new Promise<Response>((_resolve, reject) => {
      calls++;
      const signal = init?.signal;
      if (!signal) return;
      if (signal.aborted) reject(signal.reason as unknown);
      else signal.addEventListener('abort', () => reject(signal.reason as unknown), { once: true });
    });
  return { fetch, calls: () => calls };
}

/**
 * Collects the MaxListenersExceededWarnings emitted while `run` runs (and one turn after).
 * Inside jest, `process` is a copy whose 'warning' event never hears Node's own warnings
 * (an EventTarget's among them), so what Node prints to stderr is read as well.
 */
async function maxListenerWarningsDuring(run: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  const stderr = process.stderr as { write: (...args: unknown[]) => boolean };
  const write = stderr.write;
  stderr.write = (...args: unknown[]): boolean => {
    if (String(args[0]).includes('MaxListenersExceededWarning')) warnings.push(String(args[0]));
    return write.apply(process.stderr, args);
  };
  process.on('warning', onWarning);
  try {
    await run();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
    stderr.write = write;
  }
  return warnings.filter((w) => w.includes('MaxListenersExceededWarning'));
}

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('the caller’s own signal (createFetch)', () => {
  let server: TestServer;
  let store: SessionStore;
  let api: ReturnType<typeof createFetch>;

  beforeEach(async () => {
    server = await startServer();
    store = new SessionStore({ initial: 'tok' });
    api = createFetch(store, { baseURL: server.origin });
  });

  afterEach(async () => {
    store.dispose();
    await server.close();
  });

  it('cancels just its own request, rejecting with the caller’s reason, while another in flight survives', async () => {
    const controller = new AbortController();
    const mine = settledTo(api('/slow/mine', { signal: controller.signal }));
    const theirs = settledTo(api('/slow/theirs'));
    await server.arrived(2);

    const reason = new Error('navigated away');
    controller.abort(reason);

    const result = await mine;
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toBe(reason);
    expect(getSessionEnd(!result.ok && result.error)).toBeUndefined();
    await server.droppedAtLeast(1);

    server.release();
    const survivor = await theirs;
    expect(survivor.ok && (await survivor.value.json())).toEqual({ late: true });
    expect(store.inFlight).toBe(0);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('rejects at once with the reason of a signal that is already aborted, and sends nothing', async () => {
    const controller = new AbortController();
    const reason = new Error('gone already');
    controller.abort(reason);
    const result = await settledTo(api('/me', { signal: controller.signal }));
    expect(!result.ok && result.error).toBe(reason);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.seen).toHaveLength(0);
    expect(store.inFlight).toBe(0);
  });

  it('follows the signal of a Request given as input', async () => {
    const controller = new AbortController();
    const reason = new Error('request signal');
    const pending = settledTo(api(new Request(`${server.origin}/slow/request`, { signal: controller.signal })));
    await server.arrived(1);
    controller.abort(reason);
    const result = await pending;
    expect(!result.ok && result.error).toBe(reason);
    await server.droppedAtLeast(1);
    expect(store.inFlight).toBe(0);
  });

  it('puts one listener on a signal shared by many requests in flight, and removes it when they settle', async () => {
    const controller = new AbortController();
    const pending = Array.from({ length: 20 }, (_, i) => settledTo(api(`/slow/${i}`, { signal: controller.signal })));
    await server.arrived(20);
    expect(abortListeners(controller.signal)).toBe(1);
    const reason = new Error('component destroyed');
    controller.abort(reason);
    const results = await Promise.all(pending);
    expect(results.every((r) => !r.ok && r.error === reason)).toBe(true);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(store.inFlight).toBe(0);
  });

  it('leaves no listener on one shared signal and nothing in flight after 200 sequential requests over the wire', async () => {
    const controller = new AbortController();
    let authorized = 0;
    for (let i = 0; i < 200; i++) {
      const res = await api('/me', { signal: controller.signal });
      const body = (await res.json()) as { authorization: string | null };
      if (body.authorization === 'Bearer tok') authorized++;
    }
    expect(authorized).toBe(200);
    expect(server.seen).toHaveLength(200);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(store.inFlight).toBe(0);
  });

  it('leaves no listener on one shared signal once bodies read as streams have ended', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) {
      const res = await api(`/me/${i}`, { signal: controller.signal });
      const reader = res.body?.getReader();
      let bytes = 0;
      for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) bytes += chunk.value.byteLength;
      expect(bytes).toBeGreaterThan(0);
    }
    expect(abortListeners(controller.signal)).toBe(0);
    expect(store.inFlight).toBe(0);
  });
});

describe('the caller’s own signal, at scale and behind a refresh (holding fetch)', () => {
  it('leaves no listener on one shared signal and nothing in flight after 10,000 sequential requests', async () => {
    // An in-memory server: 10,000 real round trips take longer than this spec may.
    const store = new SessionStore({ initial: 'tok' });
    const fast: FetchFunction = (_input, init) =>
      Promise.resolve(new Response(new Headers(init?.headers).get('authorization'), { status: 200 }));
    const api = createFetch(store, { baseURL: 'https://api.x.com/', fetch: fast });
    const controller = new AbortController();
    let authorized = 0;
    let peak = 0;
    for (let i = 0; i < 10_000; i++) {
      const res = await api(`item/${i}`, { signal: controller.signal });
      peak = Math.max(peak, abortListeners(controller.signal));
      if ((await res.text()) === 'Bearer tok') authorized++;
    }
    expect(authorized).toBe(10_000);
    expect(peak).toBe(1);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(store.inFlight).toBe(0);
    store.dispose();
  });

  it('rejects 10,000 fetches in flight, each with its own signal, with SESSION_ENDED on logout, leaving no listener and no MaxListenersExceededWarning', async () => {
    const store = new SessionStore({ initial: 'tok' });
    const holding = holdingFetch();
    const api = createFetch(store, { baseURL: 'https://api.x.com/', fetch: holding.fetch });
    const callers = Array.from({ length: 10_000 }, () => new AbortController());
    let results: { ok: boolean; error?: unknown }[] = [];
    const warnings = await maxListenerWarningsDuring(async () => {
      const pending = callers.map((c, i) => settledTo(api(`item/${i}`, { signal: c.signal })));
      expect(holding.calls()).toBe(10_000);
      expect(store.inFlight).toBe(10_000);
      store.logout();
      results = await Promise.all(pending);
    });
    expect(results.every((r) => !r.ok && getSessionEnd(r.error)?.reason === 'user')).toBe(true);
    expect(callers.every((c) => abortListeners(c.signal) === 0)).toBe(true);
    expect(callers.every((c) => !c.signal.aborted)).toBe(true);
    expect(store.inFlight).toBe(0);
    expect(warnings).toEqual([]);
    store.dispose();
  });

  it('cancels a fetch held behind a refresh at once, and leaves no listener on its signal', async () => {
    const { fn } = refresher(); // never answers
    const store = new SessionStore({ initial: 'tok', refresh: fn });
    const holding = holdingFetch();
    const api = createFetch(store, { baseURL: 'https://api.x.com/', fetch: holding.fetch });
    const refreshing = settledTo(store.refresh());
    const controller = new AbortController();
    const held = settledTo(api('me', { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const reason = new Error('left the page');
    controller.abort(reason);
    const result = await held;
    expect(!result.ok && result.error).toBe(reason);
    expect(holding.calls()).toBe(0);
    expect(abortListeners(controller.signal)).toBe(0);
    store.logout();
    await refreshing;
    store.dispose();
  });

  // Held requests follow the caller's signal through one shared listener, as in flight.
  it('holds 50 fetches sharing one signal behind a refresh with at most one listener on it, and no MaxListenersExceededWarning', async () => {
    const { fn, calls } = refresher();
    const store = new SessionStore({ initial: 'tok', refresh: fn });
    const api = createFetch(store, {
      baseURL: 'https://api.x.com/',
      fetch: () => Promise.resolve(new Response(null, { status: 204 })),
    });
    const controller = new AbortController();
    let results: { ok: boolean }[] = [];
    let whileHeld = -1;
    const warnings = await maxListenerWarningsDuring(async () => {
      const refreshing = store.refresh();
      const pending = Array.from({ length: 50 }, (_, i) => settledTo(api(`item/${i}`, { signal: controller.signal })));
      await new Promise((resolve) => setTimeout(resolve, 10));
      whileHeld = abortListeners(controller.signal);
      calls[0]?.resolve('fresh');
      await refreshing;
      results = await Promise.all(pending);
    });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(whileHeld).toBeLessThanOrEqual(1);
    expect(warnings).toEqual([]);
    store.dispose();
  });
});
