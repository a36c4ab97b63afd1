/**
 * Acceptance: bindAxios and the semantics of section 3, over the wire where something
 * crosses the wire (node:http on 127.0.0.1), with axios adapter fakes for fast cases.
 * Written from the specification only.
 */
import { getEventListeners } from 'node:events';
import axios, { type AxiosAdapter, type AxiosInstance, type AxiosRequestConfig, type InternalAxiosRequestConfig } from 'axios';
import { SessionStore, bindAxios, getSessionEnd, isSessionError, type SessionError } from '../../lib/index';
import {
  T1,
  T2,
  caught,
  expectCancelled,
  gate,
  headerOf,
  holdInChain,
  holdingAdapter,
  okResponse,
  recordingAdapter,
  settle,
  sleep,
  startServer,
  stubbornAdapter,
  tick,
  waitFor,
  type Gate,
  type Outcome,
  type TestServer,
} from './support';

type BindOptions = Parameters<typeof bindAxios>[2];

let server: TestServer;
let other: TestServer; // a second origin (another port)

beforeAll(async () => {
  [server, other] = await Promise.all([startServer(), startServer()]);
});
afterEach(() => {
  server.releaseAll();
  other.releaseAll();
});
afterAll(async () => {
  await Promise.all([server.close(), other.close()]);
});

let seq = 0;
/** A unique path, so each test reads only its own requests from the server log. */
const path = (prefix: string): string => `${prefix}/${++seq}`;

/** The reason a rejected request's signal was aborted with (err.config.signal.reason). */
function signalReason(err: unknown): unknown {
  if (!axios.isAxiosError(err)) return undefined;
  return err.config?.signal?.reason;
}

function expectCancelledBySessionEnd(outcome: Outcome<unknown>, reason?: string): SessionError {
  expectCancelled(outcome);
  if (outcome.ok) throw new Error('unreachable');
  const why = signalReason(outcome.error);
  expect(isSessionError(why, 'SESSION_ENDED')).toBe(true);
  if (!isSessionError(why)) throw new Error('unreachable');
  if (reason !== undefined) expect(why.reason).toBe(reason);
  expect(getSessionEnd(outcome.error)).toBe(why);
  return why;
}

function bound<U>(store: SessionStore<U>, config: AxiosRequestConfig = {}, options?: BindOptions) {
  const api = axios.create({ baseURL: server.origin, ...config });
  const unbind = bindAxios(store, api, options);
  return { api, unbind };
}

/** A fresh store with one instance bound to the test server, signed in as T1. */
function signedIn(options?: BindOptions) {
  const store = new SessionStore();
  const { api, unbind } = bound(store, {}, options);
  store.login(T1);
  return { store, api, unbind };
}

/** A fresh store bound to a new instance that sends through `adapter`. */
function onAdapter(adapter: AxiosAdapter, config: AxiosRequestConfig = {}, options?: BindOptions) {
  const store = new SessionStore();
  const api = axios.create({ ...config, adapter });
  bindAxios(store, api, options);
  return { store, api };
}

const common = (api: AxiosInstance): Record<string, unknown> => api.defaults.headers.common;

/** The Authorization header of each request `on` saw under `p`, in order. */
const sentAuth = (p: string, on: TestServer = server): Array<string | undefined> =>
  on.matching(p).map((r) => r.headers.authorization);

/** GETs a fresh path under `prefix` (a held route) and waits until the server has it. */
async function heldGet(api: AxiosInstance, prefix: string) {
  const p = path(prefix);
  const res = settle(api.get(p));
  await waitFor(() => server.matching(p).length === 1, 'on the wire');
  return { p, res };
}

/** A fresh store and bound instance whose requests wait in the chain before the stamp. */
function heldBeforeStamp() {
  const store = new SessionStore();
  const { api } = bound(store);
  // Registered after bindAxios, so it runs before the library's interceptor.
  const g = holdInChain(api);
  return { store, api, g };
}

/** A fresh store, signed in as T1, and a bound instance whose requests wait in the chain after the stamp. */
function heldAfterStamp() {
  const store = new SessionStore();
  const api = axios.create({ baseURL: server.origin });
  // Registered before bindAxios, so it runs after the library's interceptor.
  const g = holdInChain(api);
  bindAxios(store, api);
  store.login(T1);
  return { store, api, g };
}

/**
 * Lets `request`, held in the interceptor chain by `g`, get under way; runs `meanwhile`;
 * then opens the gate and settles the request.
 */
async function pastTheGate<T>(g: Gate, request: Promise<T>, meanwhile: () => void): Promise<Outcome<T>> {
  const res = settle(request);
  await tick();
  meanwhile();
  g.open();
  return res;
}

// ---------------------------------------------------------------------------------------
describe('3.1 Defaults follow the stream', () => {
  it('sets "<scheme> <token>" on login and update, and deletes it on logout', () => {
    const store = new SessionStore();
    const { api } = bound(store);
    expect('Authorization' in common(api)).toBe(false);
    store.login(T1);
    expect(common(api)['Authorization']).toBe(`Bearer ${T1}`);
    store.update({ token: T2 });
    expect(common(api)['Authorization']).toBe(`Bearer ${T2}`);
    store.logout();
    expect('Authorization' in common(api)).toBe(false);
  });

  it('an instance bound while signed in gets the header at once', () => {
    const store = new SessionStore();
    store.login(T1);
    const { api } = bound(store);
    expect(common(api)['Authorization']).toBe(`Bearer ${T1}`);
  });

  it('uses the `header` and `scheme` options; `scheme: ""` sets the raw token', () => {
    const store = new SessionStore();
    const { api: a } = bound(store, {}, { header: 'X-Api-Key', scheme: 'Token' });
    const { api: b } = bound(store, {}, { scheme: '' });
    store.login(T1);
    expect(common(a)['X-Api-Key']).toBe(`Token ${T1}`);
    expect('Authorization' in common(a)).toBe(false);
    expect(common(b)['Authorization']).toBe(T1);
    store.logout();
    expect('X-Api-Key' in common(a)).toBe(false);
    expect('Authorization' in common(b)).toBe(false);
  });

  it('any number of instances follow one store', () => {
    const store = new SessionStore();
    const apis = [1, 2, 3].map(() => bound(store).api);
    store.login(T1);
    for (const api of apis) expect(common(api)['Authorization']).toBe(`Bearer ${T1}`);
    store.logout();
    for (const api of apis) expect('Authorization' in common(api)).toBe(false);
  });

  it('a session$ subscriber registered after binding already sees the defaults of the emitted session', () => {
    const store = new SessionStore();
    const { api } = bound(store);
    const seen: Array<[string | null, unknown]> = [];
    store.session$.subscribe((s) => seen.push([s.token, common(api)['Authorization']]));
    store.login(T1);
    store.update({ token: T2 });
    store.logout();
    expect(seen).toEqual([
      [null, undefined],
      [T1, `Bearer ${T1}`],
      [T2, `Bearer ${T2}`],
      [null, undefined],
    ]);
  });

  it('a session$ subscriber registered before binding also sees the defaults already updated', () => {
    // ambiguous: "On every emission the bound instance's defaults ... is set" read as: by
    // the time any subscriber hears of the emission.
    const store = new SessionStore();
    const seen: Array<[string | null, unknown]> = [];
    // eslint-disable-next-line prefer-const -- session$ calls back before the assignment: a const would still be in its TDZ
    let api: AxiosInstance | undefined;
    store.session$.subscribe((s) => {
      if (api) seen.push([s.token, common(api)['Authorization']]);
    });
    api = bound(store).api;
    store.login(T1);
    store.logout();
    expect(seen).toEqual([
      [T1, `Bearer ${T1}`],
      [null, undefined],
    ]);
  });

  it('never touches the global axios.defaults, and the global axios sends no token over the wire', async () => {
    const before = JSON.stringify(axios.defaults.headers);
    const store = new SessionStore();
    bound(store);
    bound(store, {}, { header: 'X-Api-Key' });
    store.login(T1);
    expect(JSON.stringify(axios.defaults.headers)).toBe(before);
    const p = path('/ok/global');
    await axios.get(`${server.origin}${p}`);
    store.update({ token: T2 });
    store.logout();
    store.login(T1);
    expect(JSON.stringify(axios.defaults.headers)).toBe(before);
    expect(common(axios)['Authorization']).toBeUndefined();
    store.dispose();
    expect(JSON.stringify(axios.defaults.headers)).toBe(before);
    const [req] = server.matching(p);
    expect(req?.headers.authorization).toBeUndefined();
    expect(req?.headers['x-api-key']).toBeUndefined();
  });

  it('binding the global axios itself is refused or leaves axios.defaults untouched', () => {
    // ambiguous: the spec only says the global defaults must never be touched.
    const before = JSON.stringify(axios.defaults.headers);
    const store = new SessionStore();
    const err = caught(() => bindAxios(store, axios));
    store.login(T1);
    expect(JSON.stringify(axios.defaults.headers)).toBe(before);
    if (err !== undefined) expect(err).toBeInstanceOf(TypeError);
    store.dispose();
  });

  it('unbind() returns the instance to itself: it stops following the store and sends no token', async () => {
    const { store, api, unbind } = signedIn();
    expect(typeof unbind).toBe('function');
    unbind();
    // ambiguous: unbinding is read as removing the header it put in the defaults.
    expect('Authorization' in common(api)).toBe(false);
    store.update({ token: T2 });
    expect('Authorization' in common(api)).toBe(false);
    const p = path('/ok/unbound');
    await api.get(p);
    expect(sentAuth(p)[0]).toBeUndefined();
    expect(store.inFlight).toBe(0);
  });

  it('unbinding one instance leaves the others bound', () => {
    const store = new SessionStore();
    const a = bound(store);
    const b = bound(store);
    a.unbind();
    store.login(T1);
    expect('Authorization' in common(a.api)).toBe(false);
    expect(common(b.api)['Authorization']).toBe(`Bearer ${T1}`);
  });
});

// ---------------------------------------------------------------------------------------
describe('3.2 The header is stamped at dispatch time', () => {
  it('a request created before a token rotation and dispatched after it carries the new token', async () => {
    const { store, api, g } = heldBeforeStamp();
    store.login(T1);
    const p = path('/ok/rotate');
    // defaults (Bearer T1) merged when the request is created
    const out = await pastTheGate(g, api.get(p), () => store.update({ token: T2 }));
    expect(out.ok).toBe(true);
    expect(sentAuth(p)).toEqual([`Bearer ${T2}`]);
  });

  it('a request created while signed out and dispatched after login carries the token', async () => {
    const { store, api, g } = heldBeforeStamp();
    const p = path('/ok/late-login');
    expect((await pastTheGate(g, api.get(p), () => store.login(T1))).ok).toBe(true);
    expect(sentAuth(p)).toEqual([`Bearer ${T1}`]);
  });

  it('the header comes from the current session even when app code cleared the defaults', async () => {
    const { api } = signedIn();
    delete common(api)['Authorization'];
    const p = path('/ok/cleared');
    await api.get(p);
    expect(sentAuth(p)[0]).toBe(`Bearer ${T1}`);
  });

  type Rebuild = (c: InternalAxiosRequestConfig) => AxiosRequestConfig;
  const rebuilds: Array<[string, Rebuild]> = [
    ['the same config object', (c) => c],
    ['a shallow copy of the config', (c) => ({ ...c })],
    ['a copy with plain-object headers', (c) => ({ ...c, headers: { ...c.headers.toJSON() } })],
  ];

  /**
   * Signs in as T1 and GETs `/needs/<who>` on an instance that, on the first 401, runs
   * `then` and retries with `rebuild(config)`. Reports the outcome, whether it retried,
   * and the Authorization header of every attempt the server saw.
   */
  async function retryAfter401(who: string, then: (store: SessionStore) => void, rebuild: Rebuild = (c) => c) {
    const store = new SessionStore();
    const { api } = bound(store);
    let retried = false;
    api.interceptors.response.use(undefined, async (err: unknown) => {
      if (axios.isAxiosError(err) && err.response?.status === 401 && !retried && err.config) {
        retried = true;
        then(store);
        return api.request(rebuild(err.config));
      }
      throw err;
    });
    store.login(T1);
    const p = `/needs/${who}?n=${++seq}`;
    const out = await settle(api.get(p));
    return { out, retried, sent: sentAuth(p) };
  }

  it('a retry after a 401 and a token rotation rebuilds the header with the new token', async () => {
    const { out, sent } = await retryAfter401(T2, (store) => store.update({ token: T2 }));
    expect(out).toMatchObject({ ok: true, value: { status: 200 } });
    expect(sent).toEqual([`Bearer ${T1}`, `Bearer ${T2}`]);
  });

  it('a retry after a 401 and a re-login as another user carries the new user token', async () => {
    const { out, sent } = await retryAfter401(T2, (store) => store.login(T2)); // a new epoch
    expect(out).toMatchObject({ ok: true, value: { status: 200 } });
    expect(sent).toEqual([`Bearer ${T1}`, `Bearer ${T2}`]);
  });

  it.each(rebuilds)('a retry with %s after a token rotation carries the new token', async (_label, rebuild) => {
    const { out, sent } = await retryAfter401(T2, (store) => store.update({ token: T2 }), rebuild);
    expect(sent).toEqual([`Bearer ${T1}`, `Bearer ${T2}`]);
    expect(out.ok).toBe(true);
  });

  it.each(rebuilds)('a retry with %s after a logout never carries the old token', async (_label, rebuild) => {
    const { retried, sent } = await retryAfter401('nobody', (store) => store.logout('unauthorized'), rebuild);
    expect(retried).toBe(true);
    expect(sent[0]).toBe(`Bearer ${T1}`);
    expect(sent.slice(1)).toEqual(sent.slice(1).map(() => undefined));
  });

  it('a retry after a 401 that logged the user out never resends the old token', async () => {
    const { out, retried, sent } = await retryAfter401('someone-else', (store) => store.logout('unauthorized'));
    expect(retried).toBe(true);
    expect(sent[0]).toBe(`Bearer ${T1}`);
    // The retry either was refused or left without any token.
    expect(sent.slice(1).every((h) => h === undefined)).toBe(true);
    expect(out.ok).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------
describe('3.3 Logout is a fence', () => {
  /** One store with two instances bound to the test server, signed in as T1. */
  function twoSignedIn() {
    const store = new SessionStore();
    const a = bound(store).api;
    const b = bound(store).api;
    store.login(T1);
    return { store, a, b };
  }

  it('in-flight requests on every bound client reject with CanceledError carrying SESSION_ENDED and the reason; the server sees the sockets close', async () => {
    const { store, a, b } = twoSignedIn();
    const p = path('/hang/fence');
    const results = [settle(a.get(p)), settle(a.post(p, { x: 1 })), settle(b.get(p))];
    await waitFor(() => server.matching(p).length === 3, 'three requests on the wire');
    expect(sentAuth(p).every((h) => h === `Bearer ${T1}`)).toBe(true);
    expect(store.inFlight).toBe(3);

    store.logout('expired');

    for (const out of await Promise.all(results)) {
      const why = expectCancelledBySessionEnd(out, 'expired');
      expect(why.message).not.toContain(T1);
    }
    await waitFor(() => server.matching(p).every((r) => r.aborted), 'server sees three aborted sockets');
    expect(server.matching(p).filter((r) => r.aborted)).toHaveLength(3);
    expect(store.inFlight).toBe(0);
  });

  it('a request made right after logout() returns, in the same tick, carries no token', async () => {
    const store = new SessionStore();
    const a = bound(store).api;
    const b = bound(store, {}, { header: 'X-Api-Key', scheme: '' }).api;
    store.login(T1);
    store.logout();
    const p = path('/ok/after');
    await Promise.all([a.get(p), b.get(p)]);
    for (const r of server.matching(p)) {
      expect(r.headers.authorization).toBeUndefined();
      expect(r.headers['x-api-key']).toBeUndefined();
    }
    expect(server.matching(p)).toHaveLength(2);
  });

  it('a request waiting in the interceptor chain after the header was stamped rejects with CanceledError and never leaves', async () => {
    const { store, api, g } = heldAfterStamp();
    const p = path('/ok/chain-after-stamp');
    expectCancelledBySessionEnd(await pastTheGate(g, api.get(p), () => store.logout('user')), 'user');
    await sleep(30);
    expect(server.matching(p)).toHaveLength(0);
  });

  it('a request of the epoch still waiting in the interceptor chain before the stamp never carries the old token', async () => {
    const { store, api, g } = heldBeforeStamp();
    store.login(T1);
    const p = path('/ok/chain-before-stamp');
    // issued during the epoch; defaults carried Bearer T1
    const out = await pastTheGate(g, api.get(p), () => store.logout('user'));
    await sleep(30);
    for (const h of sentAuth(p)) expect(h).toBeUndefined();
    // ambiguous: the request was issued during the ended epoch, so "every request of the
    // ended epoch ... including requests still waiting in the interceptor chain" is read
    // as: it rejects with CanceledError (SESSION_ENDED) and never leaves.
    expectCancelledBySessionEnd(out, 'user');
    expect(server.matching(p)).toHaveLength(0);
  });

  it('a response that arrives after the fence (adapter ignores the signal) is never delivered as a success', async () => {
    const g = gate();
    const fake = stubbornAdapter(g);
    const { store, api } = onAdapter(fake.adapter, { baseURL: 'https://api.example.test' });
    store.login(T1);
    const res = settle(api.get('/me'));
    await waitFor(() => fake.configs.length === 1, 'adapter called');
    store.logout('remote');
    g.open();
    expectCancelledBySessionEnd(await res, 'remote');
  });

  it('a response already received but held by an earlier response interceptor is rejected after logout (over the wire)', async () => {
    const store = new SessionStore();
    const api = axios.create({ baseURL: server.origin });
    const g = gate();
    let received = false;
    // Registered before bindAxios: runs before the library's response check.
    api.interceptors.response.use(async (r) => {
      received = true;
      await g.promise;
      return r;
    });
    bindAxios(store, api);
    store.login(T1);
    const p = path('/ok/late-response');
    const res = settle(api.get(p));
    await waitFor(() => received, 'response received');
    store.logout('user');
    g.open();
    expectCancelled(await res);
    expect(server.matching(p)[0]?.finished).toBe(true);
  });

  it('a held request released by the server after logout is still a rejection, not a success', async () => {
    const { store, api } = signedIn();
    const { p, res } = await heldGet(api, '/hang/release-after');
    store.logout();
    server.matching(p)[0]?.release(200);
    expectCancelledBySessionEnd(await res, 'user');
  });

  it('a response whose body is still streaming is cancelled by logout; the server sees the socket close', async () => {
    const { store, api } = signedIn();
    const { p, res } = await heldGet(api, '/partial/fence');
    await sleep(20); // let the head and first chunk arrive
    expect(server.matching(p)[0]?.aborted).toBe(false);
    store.logout('expired');
    const out = await res;
    expectCancelledBySessionEnd(out, 'expired');
    await waitFor(() => server.matching(p)[0]?.aborted === true, 'server sees the abort');
  });

  it('inside a logout$ callback the session is already gone and a request sent from there carries no token', async () => {
    const store = new SessionStore();
    const { api } = bound(store);
    const p = path('/ok/from-logout-cb');
    const sent: Array<Promise<unknown>> = [];
    let tokenSeen: string | null | undefined;
    store.logout$.subscribe(() => {
      tokenSeen = store.session.token;
      sent.push(settle(api.get(p)));
    });
    store.login(T1);
    store.logout();
    await Promise.all(sent);
    expect(tokenSeen).toBeNull();
    for (const h of sentAuth(p)) expect(h).toBeUndefined();
  });

  it('the no-token session is emitted before the logout$ event', () => {
    // ambiguous: read from the order of the sentence "It emits the no-token session,
    // emits on logout$ once, and cancels ...".
    const store = new SessionStore();
    const order: string[] = [];
    store.session$.subscribe((s) => order.push(`session:${s.token}`));
    store.logout$.subscribe(() => order.push('logout$'));
    store.login(T1);
    store.logout();
    expect(order).toEqual(['session:null', `session:${T1}`, 'session:null', 'logout$']);
  });

  it('a request sent from a session$ callback on login carries the new token', async () => {
    const store = new SessionStore();
    const { api } = bound(store);
    const p = path('/ok/from-login-cb');
    const sent: Array<Promise<unknown>> = [];
    store.session$.subscribe((s) => {
      if (s.token === T1) sent.push(settle(api.get(p)));
    });
    store.login(T1);
    await Promise.all(sent);
    expect(sentAuth(p)).toEqual([`Bearer ${T1}`]);
  });

  it('a subscriber that hears of a login after another subscriber already logged out cannot send the old token', async () => {
    const store = new SessionStore();
    const { api } = bound(store);
    const p = path('/ok/reentrant-send');
    store.session$.subscribe((s) => {
      if (s.token === T1) store.logout('remote');
    });
    const sent: Array<Promise<Outcome<unknown>>> = [];
    store.session$.subscribe((s) => {
      if (s.token === T1) sent.push(settle(api.get(p)));
    });
    store.login(T1);
    const outs = await Promise.all(sent);
    expect(outs).toHaveLength(1);
    for (const h of sentAuth(p)) expect(h).toBeUndefined();
    expect(store.session.token).toBeNull();
  });

  it('a login while signed in cancels the previous epoch in-flight requests; the new token goes out afterwards', async () => {
    const store = new SessionStore();
    const { api } = bound(store);
    const logouts: unknown[] = [];
    store.logout$.subscribe((e) => logouts.push(e));
    store.login(T1);
    const { p, res } = await heldGet(api, '/hang/relogin');
    store.login(T2);
    const out = await res;
    expectCancelled(out);
    // ambiguous: the spec says the previous epoch "ends"; its cancellation reason is read as
    // a SESSION_ENDED SessionError too (whatever its `reason`), so apps can tell it apart.
    if (!out.ok) expect(isSessionError(signalReason(out.error), 'SESSION_ENDED')).toBe(true);
    await waitFor(() => server.matching(p)[0]?.aborted === true, 'server sees the abort');
    const q = path('/ok/relogin-next');
    await api.get(q);
    expect(sentAuth(q)[0]).toBe(`Bearer ${T2}`);
    expect(logouts).toEqual([]);
  });

  it('update() cancels nothing: an in-flight request completes after a token rotation', async () => {
    const store = new SessionStore<{ name: string }>();
    const { api } = bound(store);
    store.login({ token: T1, user: { name: 'ann' } });
    const { p, res } = await heldGet(api, '/hang/update');
    store.update({ token: T2 });
    store.update({ user: { name: 'bob' } });
    await tick();
    expect(server.matching(p)[0]?.aborted).toBe(false);
    server.matching(p)[0]?.release(200, { fine: true });
    const out = await res;
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.value.data).toEqual({ fine: true });
  });

  it('a failed login while signed in cancels nothing', async () => {
    const { store, api } = signedIn();
    const { p, res } = await heldGet(api, '/hang/bad-login');
    expect(() => store.login('')).toThrow();
    expect(() => store.login(`${T2}\r\nX: y`)).toThrow();
    expect(common(api)['Authorization']).toBe(`Bearer ${T1}`);
    server.matching(p)[0]?.release(200);
    expect((await res).ok).toBe(true);
  });

  it('dispose() aborts what is in flight, unbinds every client, and the client can be bound again', async () => {
    const { store, a, b } = twoSignedIn();
    const p = path('/hang/dispose');
    const results = [settle(a.get(p)), settle(b.get(p))];
    await waitFor(() => server.matching(p).length === 2, 'on the wire');
    store.dispose();
    for (const out of await Promise.all(results)) expectCancelled(out);
    await waitFor(() => server.matching(p).every((r) => r.aborted), 'server sees the aborts');
    expect('Authorization' in common(a)).toBe(false);
    expect('Authorization' in common(b)).toBe(false);
    const q = path('/ok/after-dispose');
    await a.get(q);
    expect(sentAuth(q)[0]).toBeUndefined();
    // unbound: a fresh store may take the instance
    const fresh = new SessionStore();
    expect(() => bindAxios(fresh, a)).not.toThrow();
    fresh.login(T2);
    expect(common(a)['Authorization']).toBe(`Bearer ${T2}`);
    fresh.dispose();
  });
});

// ---------------------------------------------------------------------------------------
describe('skipAuth', () => {
  it('a skipAuth request carries no token even though it sits in the defaults', async () => {
    const { api } = signedIn();
    expect(common(api)['Authorization']).toBe(`Bearer ${T1}`);
    const p = path('/ok/skip');
    await api.get(p, { skipAuth: true });
    expect(sentAuth(p)[0]).toBeUndefined();
  });

  it('a skipAuth request is not tied to the session: logout does not cancel it', async () => {
    const { store, api } = signedIn();
    const p = path('/hang/skip');
    const res = settle(api.post(p, { user: 'ann' }, { skipAuth: true }));
    await waitFor(() => server.matching(p).length === 1, 'on the wire');
    expect(store.inFlight).toBe(0);
    store.logout();
    await tick();
    expect(server.matching(p)[0]?.aborted).toBe(false);
    server.matching(p)[0]?.release(200, { token: 'new' });
    const out = await res;
    expect(out.ok).toBe(true);
  });

  it("a skipAuth request keeps the caller's own Authorization header (e.g. Basic for the login call)", async () => {
    // ambiguous: "carries no token" read as "no session token"; a header the caller set
    // on the request itself is not the session's to remove.
    const { api } = signedIn();
    const p = path('/ok/skip-basic');
    await api.post(p, {}, { skipAuth: true, headers: { Authorization: 'Basic dXNlcjpwdw==' } });
    expect(sentAuth(p)[0]).toBe('Basic dXNlcjpwdw==');
  });

  it('is typed on axios request config by module augmentation (no casts)', () => {
    const cfg: AxiosRequestConfig = { url: '/x', skipAuth: true };
    const flag: boolean | undefined = cfg.skipAuth;
    // @ts-expect-error skipAuth is a boolean
    const bad: AxiosRequestConfig = { skipAuth: 'yes' };
    expect(flag).toBe(true);
    expect(bad).toBeDefined();
  });
});

// ---------------------------------------------------------------------------------------
describe('3.4 Origins', () => {
  async function headerFor(
    url: string,
    instance: AxiosRequestConfig,
    options?: BindOptions,
    request: AxiosRequestConfig = {},
  ): Promise<string | undefined> {
    const fake = recordingAdapter();
    const { store, api } = onAdapter(fake.adapter, instance, options);
    store.login(T1);
    await api.get(url, request);
    const cfg = fake.configs[0];
    if (!cfg) throw new Error('adapter not reached');
    store.dispose();
    return headerOf(cfg, options?.header ?? 'Authorization');
  }

  const base = { baseURL: 'https://api.x.com' };
  const yes = `Bearer ${T1}`;

  it.each<[string, string, string | undefined]>([
    ['a relative URL', '/me', yes],
    ['a relative URL without a leading slash', 'me', yes],
    ['an absolute URL on the baseURL origin', 'https://api.x.com/me', yes],
    ['the explicit default port (same URL.origin)', 'https://api.x.com:443/me', yes],
    ['an upper-case scheme and host (same URL.origin)', 'HTTPS://API.X.COM/me', yes],
    ['the prefix trap https://api.x.com.evil.net', 'https://api.x.com.evil.net/me', undefined],
    ['userinfo trick https://api.x.com@evil.net', 'https://api.x.com@evil.net/me', undefined],
    ['another scheme (http:)', 'http://api.x.com/me', undefined],
    ['another port', 'https://api.x.com:8443/me', undefined],
    ['a subdomain', 'https://eu.api.x.com/me', undefined],
    ['a parent domain', 'https://x.com/me', undefined],
    ['a protocol-relative URL to another host', '//evil.net/me', undefined],
    ['another origin with the baseURL in its query', 'https://evil.net/?u=https://api.x.com', undefined],
  ])('baseURL https://api.x.com, %s', async (_label, url, expected) => {
    expect(await headerFor(url, base)).toBe(expected);
  });

  it('a baseURL with a path: relative URLs carry the token, other origins do not', async () => {
    const b = { baseURL: 'https://api.x.com/v1/' };
    expect(await headerFor('users', b)).toBe(yes);
    expect(await headerFor('https://api.x.com/other', b)).toBe(yes);
    expect(await headerFor('https://api.x.com.evil.net/v1/users', b)).toBeUndefined();
  });

  it.each<[string, string, string | undefined]>([
    ['an allowed origin', 'https://files.x.com/a', yes],
    ['the baseURL origin', 'https://api.x.com/a', yes],
    ['the allowed origin as a prefix', 'https://files.x.com.evil.net/a', undefined],
    ['the allowed host on another port', 'https://files.x.com:444/a', undefined],
    ['the allowed host over http:', 'http://files.x.com/a', undefined],
    ['an unrelated origin', 'https://evil.net/a', undefined],
  ])('allowedOrigins [https://files.x.com], %s', async (_label, url, expected) => {
    expect(await headerFor(url, base, { allowedOrigins: ['https://files.x.com'] })).toBe(expected);
  });

  it('with no baseURL and no allowedOrigins only relative URLs carry the token', async () => {
    expect(await headerFor('/me', {})).toBe(yes);
    expect(await headerFor('https://api.x.com/me', {})).toBeUndefined();
    expect(await headerFor('http://127.0.0.1/me', {})).toBeUndefined();
  });

  it('with no baseURL, allowedOrigins admit exactly those origins', async () => {
    const o = { allowedOrigins: ['https://api.x.com'] };
    expect(await headerFor('https://api.x.com/me', {}, o)).toBe(yes);
    expect(await headerFor('https://api.x.com.evil.net/me', {}, o)).toBeUndefined();
  });

  it('the check applies to the custom header too', async () => {
    expect(await headerFor('https://evil.net/me', base, { header: 'X-Api-Key' })).toBeUndefined();
    expect(await headerFor('/me', base, { header: 'X-Api-Key' })).toBe(yes);
  });

  it('a per-request baseURL pointing elsewhere gets no token', async () => {
    // ambiguous: "the origin of the instance's baseURL (relative URLs)"; a relative URL
    // resolved against a request-level baseURL of another origin is read as foreign.
    expect(await headerFor('/me', base, undefined, { baseURL: 'https://evil.net' })).toBeUndefined();
  });

  it.each<[string, BindOptions]>([
    ['the default Authorization header', undefined],
    ['a custom header', { header: 'X-Api-Key', scheme: '' }],
  ])('a redirect to another origin does not carry the token (%s)', async (_label, options) => {
    // ambiguous: redirects are not named in 3.4; "The token goes only to the origin of the
    // instance's baseURL ... and to the origins listed in allowedOrigins" is read as
    // covering the hop a redirect makes.
    const { api } = signedIn(options);
    const p = path('/ok/redirected');
    const out = await settle(api.get(`/redirect?to=${encodeURIComponent(other.origin + p)}`));
    expect(out.ok).toBe(true);
    const hop = other.matching(p)[0];
    expect(hop).toBeDefined();
    expect(hop?.headers.authorization).toBeUndefined();
    expect(hop?.headers['x-api-key']).toBeUndefined();
  });

  it('over the wire: another origin gets no Authorization header; listing it in allowedOrigins admits it', async () => {
    const store = new SessionStore();
    const plain = bound(store).api; // baseURL = server.origin
    const listed = bound(store, {}, { allowedOrigins: [other.origin] }).api;
    store.login(T1);
    expect(common(plain)['Authorization']).toBe(`Bearer ${T1}`);
    const p = path('/ok/origins');
    await plain.get(p);
    await plain.get(`${other.origin}${p}?plain`);
    await listed.get(`${other.origin}${p}?listed`);
    expect(sentAuth(p)[0]).toBe(`Bearer ${T1}`);
    expect(sentAuth(`${p}?plain`, other)[0]).toBeUndefined();
    expect(sentAuth(`${p}?listed`, other)[0]).toBe(`Bearer ${T1}`);
  });
});

// ---------------------------------------------------------------------------------------
describe("3.5 The caller's own signal", () => {
  it('cancels just that request; the others of the session go on (over the wire)', async () => {
    const { store, api } = signedIn();
    const mine = new AbortController();
    const p = path('/hang/own-signal');
    const cancelled = settle(api.get(`${p}?mine`, { signal: mine.signal }));
    const kept = settle(api.get(`${p}?kept`));
    await waitFor(() => server.matching(p).length === 2, 'both on the wire');
    mine.abort();
    const out = await cancelled;
    expectCancelled(out);
    if (!out.ok) {
      // told apart from a logout
      expect(getSessionEnd(out.error)).toBeUndefined();
      expect(isSessionError(signalReason(out.error))).toBe(false);
    }
    await waitFor(() => server.matching(`${p}?mine`)[0]?.aborted === true, 'server sees that abort');
    expect(store.session.token).toBe(T1);
    server.matching(`${p}?kept`)[0]?.release(200);
    expect((await kept).ok).toBe(true);
    expect(server.matching(`${p}?kept`)[0]?.aborted).toBe(false);
    expect(store.inFlight).toBe(0);
    expect(getEventListeners(mine.signal, 'abort')).toHaveLength(0);
  });

  it("the caller's abort reason is the one the caller gave", async () => {
    // ambiguous: the spec requires only that it be told apart from logout; the caller's
    // own reason is read as surviving on config.signal.reason.
    const fake = holdingAdapter();
    const { store, api } = onAdapter(fake.adapter);
    store.login(T1);
    const mine = new AbortController();
    const res = settle(api.get('/x', { signal: mine.signal }));
    await waitFor(() => fake.configs.length === 1, 'adapter called');
    const why = new Error('user navigated away');
    mine.abort(why);
    const out = await res;
    expect(out.ok).toBe(false);
    if (!out.ok) expect(signalReason(out.error)).toBe(why);
  });

  it('an already-aborted signal: the request rejects with CanceledError and never reaches the adapter', async () => {
    const fake = recordingAdapter();
    const { store, api } = onAdapter(fake.adapter);
    store.login(T1);
    expectCancelled(await settle(api.get('/x', { signal: AbortSignal.abort() })));
    expect(fake.configs).toHaveLength(0);
    expect(store.inFlight).toBe(0);
  });

  it('after 10,000 requests sharing one caller signal, its listeners and the tracked requests are back to zero, and it never nears the warning threshold', async () => {
    const shared = new AbortController();
    let maxListeners = 0;
    let maxInFlight = 0;
    const { store, api } = onAdapter(async (config) => {
      maxListeners = Math.max(maxListeners, getEventListeners(shared.signal, 'abort').length);
      maxInFlight = Math.max(maxInFlight, store.inFlight);
      await Promise.resolve();
      return okResponse(config, null);
    });
    store.login(T1);
    // (process 'warning' events do not reach jest's sandboxed `process`, so the listener
    // count itself is sampled inside the adapter instead.)
    const batch = 500;
    for (let i = 0; i < 10_000; i += batch) {
      const all: Array<Promise<unknown>> = [];
      for (let j = 0; j < batch; j++) all.push(api.get('/x', { signal: shared.signal }));
      await Promise.all(all);
    }
    await tick();
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(store.inFlight).toBe(0);
    // tracking is real: during a batch the store counted the concurrent requests
    expect(maxInFlight).toBeGreaterThan(1);
    // "no listener per request ... on a shared signal (Node warns at 11)"
    expect(maxListeners).toBeLessThan(11);
  });

  it('tracked requests and listeners return to zero whatever the outcome (success, HTTP error, own abort, logout), over the wire', async () => {
    const store = new SessionStore();
    const { api } = bound(store);
    const shared = new AbortController();
    store.login(T1);
    const p = path('/mixed');
    const settled: Array<Promise<unknown>> = [];
    for (let i = 0; i < 20; i++) {
      settled.push(settle(api.get(`/ok${p}/${i}`, { signal: shared.signal })));
      settled.push(settle(api.get(`/fail${p}/${i}`, { signal: shared.signal })));
    }
    await Promise.all(settled);
    expect(store.inFlight).toBe(0);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);

    const own = new AbortController();
    const ownReq = settle(api.get(`/hang${p}/own`, { signal: own.signal }));
    const sessionReqs = Array.from({ length: 5 }, (_, i) => settle(api.get(`/hang${p}/s${i}`, { signal: shared.signal })));
    await waitFor(() => server.matching(`/hang${p}`).length === 6, 'six on the wire');
    expect(store.inFlight).toBe(6);
    own.abort();
    await ownReq;
    expect(store.inFlight).toBe(5);
    store.logout();
    await Promise.all(sessionReqs);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(own.signal, 'abort')).toHaveLength(0);
    expect(store.inFlight).toBe(0);
    expect(shared.signal.aborted).toBe(false); // the session never aborts the caller's signal
  });

  it('a caller abort while the request waits in the interceptor chain cancels it as the caller, and leaves nothing behind', async () => {
    const { store, api, g } = heldAfterStamp();
    const mine = new AbortController();
    const p = path('/ok/own-in-chain');
    const out = await pastTheGate(g, api.get(p, { signal: mine.signal }), () => mine.abort());
    expectCancelled(out);
    if (!out.ok) expect(getSessionEnd(out.error)).toBeUndefined();
    await sleep(20);
    expect(server.matching(p)).toHaveLength(0);
    expect(store.inFlight).toBe(0);
    expect(getEventListeners(mine.signal, 'abort')).toHaveLength(0);
    expect(store.session.token).toBe(T1);
  });

  it('after 2,000 requests sharing one caller signal were cancelled by logouts, its listeners are back to zero', async () => {
    const fake = holdingAdapter();
    const { store, api } = onAdapter(fake.adapter);
    const shared = new AbortController();
    for (let round = 0; round < 4; round++) {
      store.login(round % 2 ? T1 : T2);
      const all = Array.from({ length: 500 }, () => settle(api.get('/x', { signal: shared.signal })));
      await waitFor(() => fake.configs.length === 500 * (round + 1), 'all dispatched');
      expect(store.inFlight).toBe(500);
      expect(getEventListeners(shared.signal, 'abort').length).toBeLessThan(11);
      store.logout();
      const outs = await Promise.all(all);
      expect(outs.every((o) => !o.ok && axios.isCancel(o.error))).toBe(true);
      expect(store.inFlight).toBe(0);
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(shared.signal.aborted).toBe(false);
  });

  it('does not use AbortSignal.any to compose signals', async () => {
    const spy = jest.spyOn(AbortSignal, 'any');
    try {
      const { store, api } = onAdapter(recordingAdapter().adapter);
      store.login(T1);
      const mine = new AbortController();
      await api.get('/x', { signal: mine.signal });
      await api.get('/y');
      store.logout();
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

// ---------------------------------------------------------------------------------------
describe('3.6 Redaction', () => {
  function serialised(err: unknown): string[] {
    if (!axios.isAxiosError(err)) throw new Error('expected an AxiosError');
    return [JSON.stringify(err), JSON.stringify(err.toJSON()), err.message];
  }

  /** Signs in as T1 and GETs a fresh path under `prefix` (a failing route). */
  async function failedGet(prefix: string, options?: BindOptions, request?: AxiosRequestConfig) {
    const { api } = signedIn(options);
    const p = path(prefix);
    const out = await settle(api.get(p, request));
    return { p, out };
  }

  it('JSON.stringify(error) and error.toJSON() of a failed request never show the token (over the wire)', async () => {
    const { p, out } = await failedGet('/fail/redact');
    expect(sentAuth(p)[0]).toBe(`Bearer ${T1}`); // it was sent
    expect(out.ok).toBe(false);
    if (out.ok) return;
    for (const s of serialised(out.error)) expect(s).not.toContain(T1);
    // the config is still serialised, just with the header redacted
    expect(JSON.stringify(out.error)).toContain('/fail/redact');
    expect(JSON.stringify(out.error)).toMatch(/REDACTED/);
  });

  it('redacts a custom header carrying the raw token', async () => {
    const { p, out } = await failedGet('/fail/redact-custom', { header: 'X-Api-Key', scheme: '' });
    expect(server.matching(p)[0]?.headers['x-api-key']).toBe(T1);
    expect(out.ok).toBe(false);
    if (!out.ok) for (const s of serialised(out.error)) expect(s).not.toContain(T1);
  });

  it('a request cancelled by logout serialises without the token, and its messages never contain it', async () => {
    const { store, api } = signedIn();
    const { res } = await heldGet(api, '/hang/redact-cancel');
    store.logout();
    const out = await res;
    expect(out.ok).toBe(false);
    if (out.ok) return;
    for (const s of serialised(out.error)) expect(s).not.toContain(T1);
    const why = signalReason(out.error);
    expect(isSessionError(why)).toBe(true);
    if (isSessionError(why)) {
      expect(why.message).not.toContain(T1);
      expect(JSON.stringify(why)).not.toContain(T1);
    }
  });

  it('redacts even when the request brings its own redact list', async () => {
    // ambiguous: "never show the token" read as holding when the app sets `redact` too.
    const { out } = await failedGet('/fail/redact-own', undefined, {
      redact: ['X-Other'],
      headers: { 'X-Other': 'o-secret' },
    });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    for (const s of serialised(out.error)) {
      expect(s).not.toContain(T1);
      expect(s).not.toContain('o-secret');
    }
  });
});

// ---------------------------------------------------------------------------------------
describe('bindAxios: bad options and bad input (3.7)', () => {
  const cases: Array<[string, unknown, string]> = [
    ['an empty header', { header: '' }, 'header'],
    ['a header with a space', { header: 'Bad Header' }, 'header'],
    ['a header with CR/LF', { header: 'X-Auth\r\nX-Evil' }, 'header'],
    ['a non-string header', { header: 42 }, 'header'],
    ['a non-string scheme', { scheme: 42 }, 'scheme'],
    ['a scheme with CR/LF', { scheme: 'Bearer\r\nX-Evil: 1' }, 'scheme'],
    ['allowedOrigins as a string', { allowedOrigins: 'https://a.com' }, 'allowedOrigins'],
    ['allowedOrigins with a non-URL', { allowedOrigins: ['not a url'] }, 'allowedOrigins'],
    ['allowedOrigins with a non-string', { allowedOrigins: [42] }, 'allowedOrigins'],
    // ambiguous: an unknown key (a typo) is read as a bad option
    ['an unknown option', { headr: 'X-Auth' }, 'headr'],
  ];

  it.each(cases)('%s throws a TypeError naming the option, and leaves the instance unbound', (_label, options, name) => {
    const store = new SessionStore();
    const api = axios.create({ baseURL: 'https://api.x.com' });
    const err = caught(() => bindAxios(store, api, options as BindOptions));
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toContain(name);
    store.login(T1);
    expect(Object.keys(common(api))).not.toContain('Authorization');
    expect(Object.keys(common(api))).not.toContain('X-Auth');
  });

  it('options that are not an object throw a TypeError', () => {
    const store = new SessionStore();
    const api = axios.create();
    expect(() => bindAxios(store, api, 'Authorization' as unknown as BindOptions)).toThrow(TypeError);
  });

  it('something that is not an axios instance is refused with a TypeError', () => {
    // ambiguous: not spelled out in the spec; a clear TypeError is the reasonable reading.
    const store = new SessionStore();
    expect(() => bindAxios(store, {} as unknown as AxiosInstance)).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------------------------------
describe('Messages never contain the token', () => {
  it('errors thrown around a live session never include its token', async () => {
    const fake = holdingAdapter();
    const { store, api } = onAdapter(fake.adapter);
    store.login(T1);
    const messages: string[] = [];
    const grab = (fn: () => unknown): void => {
      try {
        fn();
      } catch (e) {
        messages.push(String((e as { message?: unknown }).message), String((e as Error).stack));
      }
    };
    grab(() => store.update({ token: `${T1}\r\n` }));
    grab(() => store.login({ token: T2, expiresAt: Number.NaN }));
    grab(() => bindAxios(store, api)); // bound twice
    const res = settle(api.get('/x'));
    await waitFor(() => fake.configs.length === 1, 'adapter called');
    store.logout();
    const out = await res;
    if (!out.ok) {
      messages.push(String((out.error as { message?: unknown }).message));
      const why = signalReason(out.error);
      if (why instanceof Error) messages.push(why.message, String(why.stack));
    }
    grab(() => store.update({ token: T2 }));
    store.dispose();
    grab(() => store.login(T2));
    grab(() => store.update({ token: T2 }));
    expect(messages.length).toBeGreaterThanOrEqual(6);
    for (const m of messages) {
      expect(m).not.toContain(T1);
      expect(m).not.toContain(T2);
    }
  });
});
