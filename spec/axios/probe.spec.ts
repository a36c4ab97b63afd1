import axios, { type AxiosInstance } from 'axios';
import FormData from 'form-data';
import { bindAxios, SessionStore, type RefreshFunction, type SessionStoreOptions } from '../../lib';
import { PROBE_PATIENCE } from '../../lib/internal/lifecycle';
import { startAuthServer, type AuthServer } from '../support/auth-server';
import { fakeAdapter } from '../support/fake-adapter';
import { outcome } from '../support/outcome';
import { refresher } from '../support/refresher';
import { settle, virtualClock } from '../support/virtual-clock';

// A token no response has confirmed yet (restored from storage, say) goes out on a few
// requests first: if the server refuses it, the others go after the refresh instead of
// all going out to be refused (`probeLimit`).

let server: AuthServer;
beforeEach(async () => {
  server = await startAuthServer();
});
afterEach(async () => {
  await server.close();
});

const refresh: RefreshFunction = async (_session, { config }) => {
  const res = await axios.post<{ access_token: string }>(`${server.origin}/refresh`, {}, config);
  return res.data.access_token;
};

function setup(options: Omit<SessionStoreOptions, 'refresh'> & { refresh?: RefreshFunction | null } = {}): {
  store: SessionStore;
  a: AxiosInstance;
  b: AxiosInstance;
} {
  const { refresh: given, ...rest } = options;
  const store = new SessionStore({ ...rest, ...(given === null ? {} : { refresh: given ?? refresh }) });
  const a = axios.create({ baseURL: server.origin });
  const b = axios.create({ baseURL: server.origin });
  bindAxios(store, a);
  bindAxios(store, b);
  return { store, a, b };
}

/** `setup(options)`, signed in with 'good', a token the server takes, that no response has confirmed yet; the API answers after `apiDelay` ms. */
function signedInUntested(
  options: Omit<SessionStoreOptions, 'refresh'>,
  apiDelay = 0,
): { store: SessionStore; a: AxiosInstance; b: AxiosInstance } {
  const pair = setup(options);
  server.valid.add('good');
  server.apiDelay = apiDelay;
  pair.store.login('good', { restored: true });
  return pair;
}

const apiAuth = (): (string | undefined)[] => server.seen.filter((r) => r.path.startsWith('/api')).map((r) => r.authorization);
const burst = (n: number, a: AxiosInstance, b: AxiosInstance): Promise<unknown>[] =>
  Array.from({ length: n }, (_, i) => (i % 2 === 0 ? a : b).get(`/api/item/${i}`));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await sleep(2);
}

describe('a token no response has confirmed yet', () => {
  it('goes out on at most probeLimit requests; when it is refused, the rest go after the one refresh, with the new token', async () => {
    const { store, a, b } = setup();
    store.login('revoked-on-the-server', { restored: true });
    const results = await Promise.all(burst(50, a, b).map(outcome));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.refreshes()).toBe(1);
    expect(apiAuth().filter((h) => h === 'Bearer revoked-on-the-server')).toHaveLength(6);
    expect(apiAuth().filter((h) => h === 'Bearer tok-1')).toHaveLength(50);
    expect(store.inFlight).toBe(0);
    store.dispose();
  });

  it('is trusted at its first good answer: the waiting requests go then, and later ones go at once', async () => {
    const { store, a, b } = signedInUntested({});
    let release = server.holdApi();
    const first = burst(10, a, b);
    await until(() => server.seen.length >= 6);
    await sleep(20);
    expect(server.seen).toHaveLength(6); // the other four wait for the first answer
    release();
    await Promise.all(first);
    expect(apiAuth()).toEqual(Array(10).fill('Bearer good'));
    release = server.holdApi();
    const second = burst(10, a, b);
    await until(() => server.seen.length >= 20); // all ten out before any answer
    release();
    await Promise.all(second);
    expect(server.refreshes()).toBe(0);
    store.dispose();
  });

  it('a token given to login() is trusted at once: 20 requests fired right after it all go out before any answer', async () => {
    const { store, a, b } = setup();
    server.valid.add('fresh');
    server.apiDelay = 40;
    store.login('fresh');
    const all = burst(20, a, b);
    await until(() => server.seen.length >= 20); // none waits a round trip for a probe
    await Promise.all(all);
    expect(apiAuth()).toEqual(Array(20).fill('Bearer fresh'));
    expect(server.refreshes()).toBe(0);
    store.dispose();
  });

  it('login(…, { restored: true }) tests the token first, and says so on events$', async () => {
    const { store, a, b } = setup();
    server.valid.add('good');
    const events: unknown[] = [];
    store.events$.subscribe((e) => events.push(e));
    store.login('good', { restored: true });
    expect(events).toEqual([expect.objectContaining({ type: 'login', restored: true })]);
    const release = server.holdApi();
    const all = burst(10, a, b);
    await until(() => server.seen.length >= 6);
    await sleep(20);
    expect(server.seen).toHaveLength(6);
    release();
    await Promise.all(all);
    store.dispose();
  });

  it.each([
    ['null', null, /options must be an object/],
    ['an unknown option', { restore: true }, /unknown option `restore`/],
    ['a non-boolean restored', { restored: 'yes' }, /option `restored` must be a boolean/],
  ])('login() with %s as options throws a TypeError naming it, and nothing changes', (_name, options, message) => {
    const { store } = setup({ refresh: null });
    const events: unknown[] = [];
    store.events$.subscribe((e) => events.push(e));
    expect(() => store.login('good', options as never)).toThrow(TypeError);
    expect(() => store.login('good', options as never)).toThrow(message);
    expect(store.session.status).toBe('anonymous');
    expect(events).toEqual([]);
    store.dispose();
  });

  it('a token from the refresh is trusted at once', async () => {
    const { store, a, b } = setup();
    store.login('revoked-on-the-server', { restored: true });
    await Promise.all(burst(8, a, b));
    expect(store.session.token).toBe('tok-1');
    server.apiDelay = 40;
    const next = burst(10, a, b);
    await until(() => apiAuth().filter((h) => h === 'Bearer tok-1').length >= 18);
    await Promise.all(next);
    expect(server.refreshes()).toBe(1);
    store.dispose();
  });

  it('probeLimit: Infinity sends every request at once', async () => {
    const { store, a, b } = setup({ probeLimit: Infinity });
    store.login('revoked-on-the-server', { restored: true });
    await Promise.all(burst(20, a, b));
    expect(apiAuth().filter((h) => h === 'Bearer revoked-on-the-server')).toHaveLength(20);
    expect(server.refreshes()).toBe(1);
    store.dispose();
  });

  it('a store without refresh holds nothing back: a refused token could not be renewed anyway', async () => {
    const { store, a, b } = setup({ refresh: null });
    store.login('revoked-on-the-server', { restored: true });
    const results = await Promise.all(burst(20, a, b).map(outcome));
    expect(results.map((r) => r.error?.response?.status)).toEqual(Array(20).fill(401));
    expect(apiAuth()).toHaveLength(20);
    store.dispose();
  });

  it('logout while requests wait on the probes cancels them, and they never leave', async () => {
    const { store, a, b } = signedInUntested({ probeLimit: 2 }, 50);
    const pending = burst(8, a, b).map(outcome);
    await until(() => server.seen.length >= 2);
    store.logout();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.cancel)).toBe(true);
    await sleep(80);
    expect(server.seen).toHaveLength(2);
    expect(store.inFlight).toBe(0);
    store.dispose();
  });

  it('a probe that gets no answer (its caller cancelled it) lets the next request test the token', async () => {
    const { store, a } = signedInUntested({ probeLimit: 1 }, 60);
    const controller = new AbortController();
    const first = outcome(a.get('/api/first', { signal: controller.signal }));
    const second = outcome(a.get('/api/second'));
    await until(() => server.seen.length >= 1);
    controller.abort();
    expect((await first).cancel).toBe(true);
    await until(() => server.seen.length >= 2);
    expect(server.seen.map((r) => r.path)).toEqual(['/api/first', '/api/second']);
    expect((await second).ok).toBe(true);
    store.dispose();
  });

  it('a 5xx answer says nothing of the token: the next request tests it, and the others still wait', async () => {
    const { store, a } = signedInUntested({ probeLimit: 1 }, 80);
    const release = server.holdApi(); // the 503 comes; the answer to the second waits
    const first = outcome(a.get('/unavailable'));
    const second = outcome(a.get('/api/second'));
    const third = outcome(a.get('/api/third'));
    expect((await first).error?.response?.status).toBe(503);
    await until(() => server.seen.length >= 2);
    await sleep(30);
    expect(server.seen.map((r) => r.path)).toEqual(['/unavailable', '/api/second']); // the third waits for an answer
    release();
    expect((await second).ok).toBe(true);
    expect((await third).ok).toBe(true);
    expect(server.refreshes()).toBe(0);
    store.dispose();
  });

  it('the caller’s own signal cancels a request waiting on the probes', async () => {
    const { store, a } = signedInUntested({ probeLimit: 1 }, 60);
    const controller = new AbortController();
    const first = a.get('/api/first');
    const waiting = outcome(a.get('/api/waiting', { signal: controller.signal }));
    controller.abort('not needed');
    expect((await waiting).cancel).toBe(true);
    await first;
    expect(server.seen.map((r) => r.path)).toEqual(['/api/first']);
    store.dispose();
  });

  it('a probe cancelled before it reached the adapter (its form-data body still being measured) still counts as no answer', async () => {
    const { store, a } = signedInUntested({ probeLimit: 1 });
    const form = new FormData();
    form.append('field', 'value');
    const measuring = form as unknown as { getLength(cb: (err: unknown, length: number) => void): void };
    measuring.getLength = (cb) => setTimeout(() => cb(null, 10), 200);
    const controller = new AbortController();
    const upload = outcome(a.post('/api/upload', form, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    expect((await upload).cancel).toBe(true);
    const after = await outcome(a.get('/api/after'));
    expect(after.ok).toBe(true);
    expect(apiAuth()).toEqual(['Bearer good']);
    store.dispose();
  });

  it('a late good answer for an old token does not take away the trust of the token the refresh issued', async () => {
    const { store, a, b } = setup();
    server.valid.add('A');
    server.apiDelay = 150;
    store.login('A', { restored: true });
    const slow = a.get('/api/slow'); // a probe with A, answered after the refresh
    await until(() => server.seen.length >= 1);
    server.apiDelay = 0;
    await store.refresh(); // tok-1: trusted at once
    server.valid.add('A');
    await slow;
    server.apiDelay = 40;
    const next = burst(10, a, b);
    await until(() => apiAuth().filter((h) => h === 'Bearer tok-1').length >= 10); // all ten out before any answer
    await Promise.all(next);
    store.dispose();
  });

  it(`requests wait at most ${String(PROBE_PATIENCE)} ms for a slow probe: then every one goes`, async () => {
    const { store, a } = signedInUntested({ probeLimit: 1 }, PROBE_PATIENCE + 1_000);
    const started = Date.now();
    const slow = a.get('/api/slow-report');
    const others = [a.get('/api/one'), a.get('/api/two')];
    await until(() => server.seen.length >= 3);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(PROBE_PATIENCE - 50);
    expect(waited).toBeLessThan(PROBE_PATIENCE + 900);
    server.apiDelay = 0;
    await Promise.all([slow, ...others]);
    store.dispose();
  }, 10_000);

  it(`probes that fail without an answer do not stretch the wait: every request has gone ${String(PROBE_PATIENCE)} ms after the first wait began`, async () => {
    const { store, a } = signedInUntested({ probeLimit: 1 }, 5_000); // never answers in time: each probe times out
    const started = Date.now();
    const arrivals: number[] = [];
    const results = Array.from({ length: 6 }, (_, i) => outcome(a.get(`/api/${String(i)}`, { timeout: 300 })));
    await until(() => {
      while (arrivals.length < server.seen.length) arrivals.push(Date.now() - started);
      return server.seen.length >= 6;
    });
    expect(arrivals[5]).toBeGreaterThanOrEqual(PROBE_PATIENCE - 50);
    expect(arrivals[5]).toBeLessThan(PROBE_PATIENCE + 250);
    expect((await Promise.all(results)).every((r) => !r.ok)).toBe(true);
    store.dispose();
  }, 10_000);

  it.each([0, -1, 1.5, NaN, '6', null])('probeLimit %p throws a TypeError naming the option', (probeLimit) => {
    expect(() => new SessionStore({ refresh, probeLimit } as unknown as SessionStoreOptions)).toThrow(TypeError);
    expect(() => new SessionStore({ refresh, probeLimit } as unknown as SessionStoreOptions)).toThrow(/probeLimit/);
  });
});

describe('what counts as a probe’s answer', () => {
  function heldSetup(probeLimit: number) {
    const r = refresher();
    const store = new SessionStore({ clock: virtualClock(), refresh: r.fn, probeLimit });
    const fake = fakeAdapter({ hold: true });
    const api = axios.create({ adapter: fake.adapter });
    bindAxios(store, api);
    const out = (): (string | undefined)[] => fake.held.filter((h) => h.config.signal?.aborted !== true).map((h) => h.config.url);
    return { store, fake, api, out };
  }

  it('a probe cancelled by a logout does not free a slot of the next session’s probe of the same token', async () => {
    const { store, fake, api, out } = heldSetup(1);
    store.login('T', { restored: true });
    const old = outcome(api.get('/old'));
    await settle();
    expect(out()).toEqual(['/old']);
    // Signed out and in again with the same token (restored from storage, say).
    store.logout();
    store.login('T', { restored: true });
    const a = outcome(api.get('/a'));
    const b = outcome(api.get('/b'));
    await settle();
    expect((await old).cancel).toBe(true);
    // The new session has had no answer yet: one request carries the untested token.
    expect(out()).toEqual(['/a']);
    expect(fake.held).toHaveLength(2);
    store.dispose();
    await Promise.all([a, b]);
  });

  it('a new login tests its token afresh, even the same token that worked before the logout', async () => {
    const { store, fake, api, out } = heldSetup(1);
    store.login('T', { restored: true });
    const first = outcome(api.get('/first'));
    await settle();
    fake.held[0]?.respond(200);
    expect((await first).ok).toBe(true);
    // A logout revokes the token on most servers: signed in with it again, it is tested again.
    store.logout();
    store.login('T', { restored: true });
    const burst = Array.from({ length: 5 }, (_, i) => outcome(api.get(`/x${i}`)));
    await settle();
    expect(out().slice(1)).toEqual(['/x0']); // (after /first, answered)
    store.dispose();
    await Promise.all(burst);
  });

  it('a login that replaces the session with the same token starts a new test: one good answer lets every waiting request go', async () => {
    const { store, fake, api, out } = heldSetup(1);
    store.login('T', { restored: true });
    const old = outcome(api.get('/old'));
    await settle();
    store.login('T', { restored: true }); // replaced: /old is cancelled
    expect((await old).cancel).toBe(true);
    const first = outcome(api.get('/first'));
    const rest = [outcome(api.get('/r1')), outcome(api.get('/r2'))];
    await settle();
    expect(out()).toEqual(['/first']);
    fake.held[1]?.respond(200);
    expect((await first).ok).toBe(true);
    await settle();
    expect(fake.held.slice(2).map((h) => h.config.url)).toEqual(['/r1', '/r2']);
    store.dispose();
    await Promise.all(rest);
  });

  it('a login that replaces the session with the same token tests it again even after the old test gave up on a slow probe', async () => {
    const r = refresher();
    const clock = virtualClock();
    const store = new SessionStore({ clock, refresh: r.fn, probeLimit: 1 });
    const fake = fakeAdapter({ hold: true });
    const api = axios.create({ adapter: fake.adapter });
    bindAxios(store, api);
    store.login('T', { restored: true });
    const first = [outcome(api.get('/slow')), outcome(api.get('/waiting'))];
    await settle();
    await clock.advance(PROBE_PATIENCE); // no answer within 1 s: /waiting goes untested
    expect(fake.held).toHaveLength(2);
    store.login('T', { restored: true });
    await Promise.all(first);
    const burst = Array.from({ length: 5 }, (_, i) => outcome(api.get(`/x${i}`)));
    await settle();
    expect(fake.held.slice(2).map((h) => h.config.url)).toEqual(['/x0']);
    store.dispose();
    await Promise.all(burst);
  });

  it('shouldRefresh sees a 401 accepted by validateStatus as axios would have rejected it (message, code, response)', async () => {
    const r = refresher();
    const seen: unknown[] = [];
    const store = new SessionStore({ clock: virtualClock(), refresh: r.fn, probeLimit: 1 });
    const fake = fakeAdapter({ hold: true });
    const api = axios.create({ adapter: fake.adapter });
    bindAxios(store, api, {
      shouldRefresh: (error) => {
        seen.push({ message: error.message, code: error.code, status: error.response?.status });
        return error.code === 'ERR_BAD_REQUEST' && error.response?.status === 401;
      },
    });
    store.login('revoked', { restored: true });
    const check = api.get('/status', { validateStatus: () => true });
    const rest = [outcome(api.get('/r1')), outcome(api.get('/r2'))];
    await settle();
    fake.held[0]?.respond(401);
    await check;
    await settle();
    expect(seen).toEqual([{ message: 'Request failed with status code 401', code: 'ERR_BAD_REQUEST', status: 401 }]);
    expect(fake.held).toHaveLength(1); // the others wait for the refresh
    store.dispose();
    await Promise.all(rest);
  });

  it('a 401 the caller’s validateStatus accepts still refuses the token: the waiting requests wait for the refresh', async () => {
    const { store, fake, api } = heldSetup(1);
    store.login('revoked', { restored: true });
    const check = api.get('/status', { validateStatus: () => true });
    const rest = Array.from({ length: 10 }, (_, i) => outcome(api.get(`/x/${i}`)));
    await settle();
    expect(fake.held.map((h) => h.config.url)).toEqual(['/status']);
    fake.held[0]?.respond(401, { error: 'invalid_token' });
    expect((await check).status).toBe(401); // the caller gets the answer it accepts
    await settle();
    expect(fake.held.filter((h) => h.config.headers.get('Authorization') === 'Bearer revoked')).toHaveLength(1);
    store.dispose();
    await Promise.all(rest);
  });
});
