import { getEventListeners } from 'node:events';
import axios from 'axios';
import { bindAxios, getSessionEnd, SessionStore } from '../../lib/index';
import { authOf, fakeAdapter } from '../support/fake-adapter';

// What keeps a bound request about as cheap as a plain one (issue 5; timings stay in
// bench/): the binding adds no per-request step that axios pays for again (axios
// normalises the headers once per transformRequest step), and nothing grows with the
// number of requests, sent or in flight.
describe('the request path of a bound instance', () => {
  it('runs as many transformRequest steps as an unbound instance, and still fences the request', async () => {
    const plain = fakeAdapter();
    const fenced = fakeAdapter();
    const store = new SessionStore({ initial: 'tok' });
    const api = axios.create({ adapter: fenced.adapter });
    bindAxios(store, api);
    await axios.create({ adapter: plain.adapter }).post('/x', { a: 1 });
    await api.post('/x', { a: 1 });
    await api.post('/y', { a: 1 }, { transformRequest: [(data: unknown) => JSON.stringify(data)] });
    expect(fenced.sent[0]?.transformRequest).toHaveLength([plain.sent[0]?.transformRequest].flat().length);
    expect(fenced.sent[1]?.transformRequest).toHaveLength(1);
    expect(fenced.sent.map((c): unknown => c.data)).toEqual(['{"a":1}', '{"a":1}']);
    expect(fenced.sent.map((c) => authOf(c))).toEqual(['Bearer tok', 'Bearer tok']);
  });

  it('leaves the instance defaults as they were after 1,000 requests', async () => {
    const store = new SessionStore({ initial: 'tok' });
    const api = axios.create({ adapter: fakeAdapter().adapter });
    bindAxios(store, api);
    const transforms = [api.defaults.transformRequest].flat();
    const adapter = api.defaults.adapter;
    for (let i = 0; i < 1_000; i++) await api.get(`/${i}`, i % 2 === 0 ? { transformRequest: [(d: unknown) => d] } : {});
    expect([api.defaults.transformRequest].flat()).toEqual(transforms);
    expect(api.defaults.adapter).toBe(adapter);
    expect(store.inFlight).toBe(0);
  });

  it('cancels 10,000 requests in flight, each with its own caller signal, with no MaxListenersExceededWarning and nothing left tracked or listening', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const store = new SessionStore({ initial: 'tok' });
      const fake = fakeAdapter({ hold: true });
      const api = axios.create({ adapter: fake.adapter });
      bindAxios(store, api);
      const callers = Array.from({ length: 10_000 }, () => new AbortController());
      const requests = callers.map((c, i) => api.get(`/${i}`, { signal: c.signal }).catch((e: unknown) => e));
      await Promise.resolve();
      expect(store.inFlight).toBe(10_000);
      store.logout();
      const results = await Promise.all(requests);
      expect(results.every((e) => axios.isCancel(e) && getSessionEnd(e)?.reason === 'user')).toBe(true);
      expect(callers.every((c) => getEventListeners(c.signal, 'abort').length === 0)).toBe(true);
      expect(store.inFlight).toBe(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
