import { getEventListeners } from 'node:events';
import axios, { type GenericAbortSignal } from 'axios';
import { bindAxios, getSessionEnd, SessionStore } from '../../lib/index';
import { fakeAdapter } from '../support/fake-adapter';

// The invariants that keep the request path cheap (issue 5): nothing accumulates per
// request, on the store or on a caller's long-lived signal. Timings stay in bench/.
describe('per-request cancellation leaves nothing behind', () => {
  function bound(hold = false) {
    const store = new SessionStore({ initial: 'tok' });
    const fake = fakeAdapter({ hold });
    const api = axios.create({ adapter: fake.adapter });
    bindAxios(store, api);
    return { store, api, ...fake };
  }

  it('returns listeners on a shared caller signal and tracked requests to zero after 10,000 requests', async () => {
    const { store, api } = bound();
    const shared = new AbortController();
    for (let batch = 0; batch < 10; batch++) {
      const requests = Array.from({ length: 1_000 }, () => api.get('/x', { signal: shared.signal }));
      expect(store.inFlight).toBe(1_000);
      expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
      await Promise.all(requests);
    }
    expect(store.inFlight).toBe(0);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('cancels every request that shares a caller signal through one listener on it', async () => {
    const { store, api } = bound(true);
    const shared = new AbortController();
    const requests = Array.from({ length: 100 }, () => api.get('/x', { signal: shared.signal }).catch((e: unknown) => e));
    const other = api.get('/y').catch((e: unknown) => e);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    shared.abort();
    const results = await Promise.all(requests);
    expect(results.every((e) => axios.isCancel(e) && getSessionEnd(e) === undefined)).toBe(true);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(store.inFlight).toBe(1);
    store.logout();
    expect(axios.isCancel(await other)).toBe(true);
  });

  it('stops tracking requests that fail, and those refused before dispatch', async () => {
    const { store, api, held } = bound(true);
    const failing = api.get('/x').catch(() => 'failed');
    const cancelled = new AbortController();
    cancelled.abort();
    const refused = api.get('/y', { signal: cancelled.signal }).catch(() => 'refused');
    held[0]?.respond(500);
    await expect(Promise.all([failing, refused])).resolves.toEqual(['failed', 'refused']);
    expect(store.inFlight).toBe(0);
  });

  it('puts at most one listener on a caller’s shared signal, so 1,000 concurrent requests raise no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { store, api, held } = bound(true);
      const shared = new AbortController();
      const requests = Array.from({ length: 1_000 }, (_, i) =>
        api.get(`/${i}`, i % 2 === 0 ? { signal: shared.signal } : {}).catch((e: unknown) => e),
      );
      await Promise.resolve();
      expect(store.inFlight).toBe(1_000);
      expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
      store.logout();
      const results = await Promise.all(requests);
      expect(results.every((e) => axios.isCancel(e) && getSessionEnd(e)?.reason === 'user')).toBe(true);
      expect(held).toHaveLength(1_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('gives each request a signal that behaves like an AbortSignal for adapters', async () => {
    const { store, api, held } = bound(true);
    const pending = api.get('/x').catch((e: unknown) => e);
    const signal = held[0]?.config.signal as GenericAbortSignal & { reason?: unknown; throwIfAborted(): void };
    const heard: string[] = [];
    signal.onabort = () => heard.push('onabort');
    const listener = (event: { type: string }): void => void heard.push(`listener:${event.type}`);
    const removed = (): void => void heard.push('removed');
    signal.addEventListener?.('abort', listener);
    signal.addEventListener?.('abort', removed);
    signal.removeEventListener?.('abort', removed);
    expect(signal.aborted).toBe(false);
    expect(() => signal.throwIfAborted()).not.toThrow();

    store.logout('expired');
    await pending;
    expect(signal.aborted).toBe(true);
    expect(heard).toEqual(['onabort', 'listener:abort']);
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- jest types its asymmetric matchers as any
    expect(() => signal.throwIfAborted()).toThrow(expect.objectContaining({ code: 'SESSION_ENDED', reason: 'expired' }));
  });

  it('keeps aborting the other requests when one abort listener throws, and reports the error', async () => {
    const { store, api, held } = bound(true);
    const requests = [api.get('/a'), api.get('/b')].map((p) => p.catch((e: unknown) => axios.isCancel(e)));
    // Like EventTarget, the error is rethrown asynchronously (an uncaught exception), not
    // into logout(); capture the queued rethrow instead of crashing the test process.
    const queued: (() => void)[] = [];
    const spy = jest.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => void queued.push(task));
    try {
      held[0]?.config.signal?.addEventListener?.('abort', () => {
        throw new Error('listener bug');
      });
      expect(() => store.logout()).not.toThrow();
    } finally {
      spy.mockRestore();
    }
    await expect(Promise.all(requests)).resolves.toEqual([true, true]);
    const rethrown = queued.map((task) => {
      try {
        task();
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    });
    expect(rethrown).toContain('listener bug');
  });
});
