/**
 * Acceptance: the token lifecycle (expiry, proactive refresh, single-flight 401 recovery,
 * failure policy, epoch fencing, events, request holding). Written from the issue text and
 * the README only; the library is treated as a black box.
 */
import { inspect } from 'node:util';
import axios, {
  AxiosError,
  type AxiosAdapter,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { VirtualTimeScheduler } from 'rxjs';
import {
  SessionStore,
  bindAxios,
  getSessionEnd,
  isSessionError,
  type AuthenticatedSession,
  type Credentials,
  type LogoutEvent,
  type RefreshContext,
  type SessionEvent,
  type SessionStoreOptions,
} from '../../lib/index';
import {
  VirtualClock,
  deadOrigin,
  flush,
  gate,
  jwt,
  jwtExpiringAt,
  settle,
  startApiServer,
  track,
  waitFor,
  type ApiServer,
} from './lifecycle-support';

interface User {
  name: string;
}

type RefreshResult = string | Credentials<User>;

interface ManualCall {
  readonly session: AuthenticatedSession<User>;
  readonly ctx: RefreshContext;
  resolve(value: RefreshResult): void;
  reject(error: unknown): void;
}

/** A refresh function whose calls the test answers by hand. */
function manualRefresh(): {
  fn: (session: AuthenticatedSession<User>, ctx: RefreshContext) => Promise<RefreshResult>;
  calls: ManualCall[];
} {
  const calls: ManualCall[] = [];
  const fn = (session: AuthenticatedSession<User>, ctx: RefreshContext): Promise<RefreshResult> =>
    new Promise<RefreshResult>((resolve, reject) => calls.push({ session, ctx, resolve, reject }));
  return { fn, calls };
}

// ------------------------------------------------------------------------------------------
// Bookkeeping: every store is disposed, every server closed.
// ------------------------------------------------------------------------------------------

const stores: SessionStore<User>[] = [];
const servers: ApiServer[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) {
    try {
      s.dispose();
    } catch {
      /* already disposed */
    }
  }
  for (const s of servers.splice(0)) await s.close();
  jest.useRealTimers();
  jest.restoreAllMocks();
});

function makeStore(options: SessionStoreOptions<User> = {}): { store: SessionStore<User>; vc: VirtualClock } {
  const vc = new VirtualClock();
  const store = new SessionStore<User>({ clock: vc.clock, ...options });
  stores.push(store);
  return { store, vc };
}

function record(store: SessionStore<User>) {
  const log = {
    events: [] as SessionEvent[],
    logouts: [] as LogoutEvent<User>[],
    tokens: [] as Array<string | null>,
    refreshing: [] as boolean[],
  };
  store.events$.subscribe((e) => log.events.push(e));
  store.logout$.subscribe((e) => log.logouts.push(e));
  store.token$.subscribe((t) => log.tokens.push(t));
  store.refreshing$.subscribe((r) => log.refreshing.push(r));
  return log;
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

const typesOf = (events: SessionEvent[]): string[] => events.map((e) => e.type);

/** An adapter fake that holds every request until the test answers it. */
function holdingAdapter(): {
  adapter: AxiosAdapter;
  held: { config: InternalAxiosRequestConfig; answer: (status: number) => void }[];
} {
  const held: { config: InternalAxiosRequestConfig; answer: (status: number) => void }[] = [];
  const adapter: AxiosAdapter = (config) =>
    new Promise<AxiosResponse>((resolve, reject) => {
      const onAbort = (): void => reject(new axios.CanceledError(undefined, config));
      if (config.signal?.aborted) {
        onAbort();
        return;
      }
      config.signal?.addEventListener?.('abort', onAbort);
      held.push({
        config,
        answer: (status) => {
          const response: AxiosResponse = { data: {}, status, statusText: String(status), headers: {}, config, request: {} };
          if (status >= 200 && status < 300) resolve(response);
          else reject(new AxiosError(`Request failed with status code ${status}`, 'ERR_BAD_REQUEST', config, {}, response));
        },
      });
    });
  return { adapter, held };
}

// ------------------------------------------------------------------------------------------
// Over-the-wire fixture.
// ------------------------------------------------------------------------------------------

interface Wire {
  server: ApiServer;
  store: SessionStore<User>;
  vc: VirtualClock;
  api1: AxiosInstance;
  api2: AxiosInstance;
  /** How many times the app's refresh function was called. */
  refreshCalls: () => number;
  log: ReturnType<typeof record>;
}

/**
 * A server, a store whose refresh posts to `/refresh` through an unbound instance with
 * `ctx.config` (the documented way), and two bound instances.
 */
async function wire(
  options: { valid?: string[]; storeOptions?: SessionStoreOptions<User>; bind?: Parameters<typeof bindAxios>[2] } = {},
): Promise<Wire> {
  const server = await startApiServer(options.valid ?? []);
  servers.push(server);
  const auth = axios.create({ baseURL: server.origin });
  let calls = 0;
  const { store, vc } = makeStore({
    refresh: async (session, ctx) => {
      calls += 1;
      const res = await auth.post<{ access_token: string; refresh_token: string }>(
        '/refresh',
        { refresh_token: session.refreshToken },
        ctx.config,
      );
      return { token: res.data.access_token, refreshToken: res.data.refresh_token };
    },
    ...options.storeOptions,
  });
  const api1 = axios.create({ baseURL: server.origin });
  const api2 = axios.create({ baseURL: server.origin });
  bindAxios(store, api1, options.bind);
  bindAxios(store, api2, options.bind);
  return { server, store, vc, api1, api2, refreshCalls: () => calls, log: record(store) };
}

const realWait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ==========================================================================================
// 1. store.refresh()
// ==========================================================================================

describe('store.refresh(): single flight', () => {
  it('concurrent refresh() calls share one call of the refresh function and resolve with the same new session', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    store.login({ token: 'tok-A', refreshToken: 'rt-A', user: { name: 'ann' } });

    const all = Promise.all([store.refresh(), store.refresh(), store.refresh()]);
    await flush();
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]?.session.token).toBe('tok-A');
    expect(r.calls[0]?.session.refreshToken).toBe('rt-A');

    r.calls[0]?.resolve('tok-B');
    const sessions = await all;
    for (const s of sessions) expect(s.token).toBe('tok-B');
    expect(r.calls).toHaveLength(1);
    // A refreshToken or user the refresh did not return is kept.
    expect(store.session).toMatchObject({ status: 'authenticated', token: 'tok-B', refreshToken: 'rt-A', user: { name: 'ann' } });
  });

  it('a refresh() after the previous one settled starts a new call', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    store.login('tok-A');
    const first = store.refresh();
    await flush();
    r.calls[0]?.resolve('tok-B');
    await first;
    const second = store.refresh();
    await flush();
    expect(r.calls).toHaveLength(2);
    expect(r.calls[1]?.session.token).toBe('tok-B');
    r.calls[1]?.resolve('tok-C');
    expect((await second).token).toBe('tok-C');
  });

  it('refresh() while signed out rejects with NOT_AUTHENTICATED and never calls the refresh function', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    const result = await settle(store.refresh());
    expect(result.ok).toBe(false);
    expect(!result.ok && isSessionError(result.error, 'NOT_AUTHENTICATED')).toBe(true);
    expect(r.calls).toHaveLength(0);
  });

  it('refresh() on a store without a refresh option rejects with REFRESH_UNAVAILABLE and keeps the session', async () => {
    const { store } = makeStore();
    store.login('tok-A');
    const result = await settle(store.refresh());
    expect(!result.ok && isSessionError(result.error, 'REFRESH_UNAVAILABLE')).toBe(true);
    expect(store.session.token).toBe('tok-A');
  });

  it('a successful refresh stays in the epoch: in-flight bound requests are not cancelled, no logout$, token$ emits the new token', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    const log = record(store);
    const { adapter, held } = holdingAdapter();
    const api = axios.create({ adapter });
    bindAxios(store, api);
    store.login('tok-A');

    const inflight = track(api.get('/slow'));
    await flush();
    expect(held).toHaveLength(1);
    expect(held[0]?.config.headers.get('Authorization')).toBe('Bearer tok-A');

    const p = store.refresh();
    await flush();
    r.calls[0]?.resolve('tok-B');
    await p;
    held[0]?.answer(200);
    const outcome = await inflight.result;
    expect(outcome.ok).toBe(true);
    expect(log.logouts).toEqual([]);
    expect(log.tokens).toEqual([null, 'tok-A', 'tok-B']);
    expect(api.defaults.headers.common['Authorization']).toBe('Bearer tok-B');
  });

  it('the refresh function gets the current session and a ctx whose config is { skipAuth: true, signal } with a live AbortSignal', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    store.login({ token: 'tok-A', refreshToken: 'rt-A' });
    const p = store.refresh();
    await flush();
    const ctx = r.calls[0]?.ctx;
    expect(r.calls[0]?.session.status).toBe('authenticated');
    expect(ctx?.signal).toBeInstanceOf(AbortSignal);
    expect(ctx?.signal.aborted).toBe(false);
    expect(ctx?.config.skipAuth).toBe(true);
    expect(ctx?.config.signal).toBe(ctx?.signal);
    r.calls[0]?.resolve('tok-B');
    await p;
  });

  it('credentials returned by the refresh set the new expiresAt, refreshToken and user', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn });
    store.login({ token: 'tok-A', refreshToken: 'rt-A', user: { name: 'ann' }, expiresAt: vc.now() + 3_600_000 });
    const p = store.refresh();
    await flush();
    const expiresAt = vc.now() + 7_200_000;
    r.calls[0]?.resolve({ token: 'tok-B', refreshToken: 'rt-B', user: { name: 'bob' }, expiresAt });
    const s = await p;
    expect(s).toMatchObject({ status: 'authenticated', token: 'tok-B', refreshToken: 'rt-B', user: { name: 'bob' }, expiresAt });
  });

  it('the proactive timer and the app share one refresh call', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn, refreshMargin: 1_000 });
    store.login({ token: 'tok-A', expiresAt: vc.now() + 10_000 });
    await vc.advance(9_000);
    expect(r.calls).toHaveLength(1);
    const p = store.refresh();
    await flush();
    expect(r.calls).toHaveLength(1);
    r.calls[0]?.resolve({ token: 'tok-B', expiresAt: vc.now() + 60_000 });
    expect((await p).token).toBe('tok-B');
  });
});

// ==========================================================================================
// 2. Expiry and proactive refresh
// ==========================================================================================

describe('expiry', () => {
  it('without a refresher, the session ends with logout("expired") at expiresAt and not before', async () => {
    const { store, vc } = makeStore();
    const log = record(store);
    const expiresAt = vc.now() + 90_000;
    store.login({ token: 'tok-A', expiresAt });
    expect(store.session.expiresAt).toBe(expiresAt);
    await vc.advance(89_999);
    expect(store.session.status).toBe('authenticated');
    await vc.advance(1);
    expect(store.session.status).toBe('anonymous');
    expect(log.logouts.map((e) => e.reason)).toEqual(['expired']);
    expect(log.logouts[0]?.session.token).toBe('tok-A');
  });

  it('reads the JWT exp claim as expiresAt and expires the session then', async () => {
    const { store, vc } = makeStore();
    const log = record(store);
    const expMs = Math.floor((vc.now() + 120_000) / 1000) * 1000;
    store.login(jwtExpiringAt(expMs));
    expect(store.session.expiresAt).toBe(expMs);
    await vc.advance(expMs - vc.now() - 1);
    expect(store.session.status).toBe('authenticated');
    await vc.advance(1);
    expect(log.logouts.map((e) => e.reason)).toEqual(['expired']);
  });

  it('decodes a JWT payload that uses base64url characters (- and _)', () => {
    const { store, vc } = makeStore();
    const expMs = Math.floor((vc.now() + 600_000) / 1000) * 1000;
    let token = '';
    for (let i = 0; i < 200; i++) {
      token = jwtExpiringAt(expMs, { name: '\u00ff\u00fe?>'.repeat(1 + (i % 7)), n: i });
      const payload = token.split('.')[1] ?? '';
      if (/[-_]/.test(payload)) break;
    }
    expect(token.split('.')[1]).toMatch(/[-_]/);
    store.login(token);
    expect(store.session.expiresAt).toBe(expMs);
  });

  it('an explicit expiresAt in the credentials wins over the JWT exp', () => {
    const { store, vc } = makeStore();
    const explicit = vc.now() + 30_000;
    store.login({ token: jwtExpiringAt(vc.now() + 3_600_000), expiresAt: explicit });
    expect(store.session.expiresAt).toBe(explicit);
  });

  it.each([
    ['an opaque token', 'opaque-token-123'],
    ['three dots of garbage', 'a.b.c'],
    ['a payload that is not JSON', `x.${Buffer.from('not json').toString('base64url')}.y`],
    ['a JWT without exp', jwt({ sub: 'u' })],
    ['a JWT whose exp is not a number', jwt({ sub: 'u', exp: 'tomorrow' })],
  ])('%s has no expiry and never logs out by time', async (_label, token) => {
    const { store, vc } = makeStore();
    const log = record(store);
    store.login(token);
    expect(store.session.expiresAt == null).toBe(true);
    await vc.advance(24 * 3_600_000);
    expect(store.session.token).toBe(token);
    expect(log.logouts).toEqual([]);
  });

  it('login with an already-expired token and no refresher is refused with EXPIRED, and nothing changes', () => {
    const { store, vc } = makeStore();
    const log = record(store);
    const err = thrownBy(() => store.login({ token: 'tok-A', expiresAt: vc.now() - 1 }));
    expect(isSessionError(err, 'EXPIRED')).toBe(true);
    expect(String(err)).not.toContain('tok-A');
    expect(store.session.status).toBe('anonymous');
    expect(log.tokens).toEqual([null]);
    expect(log.events).toEqual([]);
  });

  it('an expired JWT (exp in the past) is refused with EXPIRED on a store without a refresher', () => {
    const { store, vc } = makeStore();
    const token = jwtExpiringAt(vc.now() - 60_000);
    const err = thrownBy(() => store.login(token));
    expect(isSessionError(err, 'EXPIRED')).toBe(true);
    expect((err as Error).message).not.toContain(token);
  });

  it('`initial` with an already-expired token and no refresher throws EXPIRED', () => {
    const vc = new VirtualClock();
    const err = thrownBy(
      () => new SessionStore<User>({ clock: vc.clock, initial: { token: 'tok-A', expiresAt: vc.now() - 1_000 } }),
    );
    expect(isSessionError(err, 'EXPIRED')).toBe(true);
  });

  it('update() to an already-expired token without a refresher throws EXPIRED and keeps the session', () => {
    const { store, vc } = makeStore();
    store.login({ token: 'tok-A', expiresAt: vc.now() + 60_000 });
    const err = thrownBy(() => store.update({ token: 'tok-B', expiresAt: vc.now() - 1 }));
    expect(isSessionError(err, 'EXPIRED')).toBe(true);
    expect(store.session.token).toBe('tok-A');
  });

  it('login with an already-expired token and a refresher is accepted and refreshed at once', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn });
    store.login({ token: 'tok-A', refreshToken: 'rt-A', expiresAt: vc.now() - 5_000 });
    expect(store.session.status).toBe('authenticated');
    await flush();
    expect(r.calls).toHaveLength(1);
    r.calls[0]?.resolve({ token: 'tok-B', expiresAt: vc.now() + 3_600_000 });
    await flush();
    expect(store.session.token).toBe('tok-B');
  });

  it('update() with a new expiresAt moves the expiry', async () => {
    const { store, vc } = makeStore();
    const log = record(store);
    store.login({ token: 'tok-A', expiresAt: vc.now() + 10_000 });
    store.update({ expiresAt: vc.now() + 60_000 });
    await vc.advance(30_000);
    expect(store.session.status).toBe('authenticated');
    await vc.advance(30_000);
    expect(log.logouts.map((e) => e.reason)).toEqual(['expired']);
  });

  it('after the machine sleeps past expiresAt, expiry is found when the timer fires late (within 30 s of waking)', async () => {
    const { store, vc } = makeStore();
    const log = record(store);
    store.login({ token: 'tok-A', expiresAt: vc.now() + 3_600_000 });
    await vc.advance(1_000);
    vc.sleep(2 * 3_600_000); // wall clock jumps, no timer fired
    await vc.advance(30_000);
    expect(log.logouts.map((e) => e.reason)).toEqual(['expired']);
  });

  it('after the machine sleeps past the refresh point, the proactive refresh starts when the timer fires late', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn });
    store.login({ token: 'tok-A', expiresAt: vc.now() + 3_600_000 });
    await vc.advance(1_000);
    vc.sleep(3_600_000 - 30_000); // now 29 s before expiry: inside the default margin
    await vc.advance(30_000);
    expect(r.calls.length).toBeGreaterThanOrEqual(1);
  });

  it('no timer waits more than 30 s at a time', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn });
    store.login({ token: 'tok-A', expiresAt: vc.now() + 24 * 3_600_000 });
    await vc.advance(120_000);
    expect(vc.requested.length).toBeGreaterThan(0);
    expect(Math.max(...vc.requested)).toBeLessThanOrEqual(30_000);
  });
});

describe('proactive refresh', () => {
  it('starts at expiresAt - refreshMargin, not before', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn, refreshMargin: 5_000 });
    store.login({ token: 'tok-A', expiresAt: vc.now() + 60_000 });
    await vc.advance(54_999);
    expect(r.calls).toHaveLength(0);
    await vc.advance(1);
    expect(r.calls).toHaveLength(1);
    r.calls[0]?.resolve({ token: 'tok-B', expiresAt: vc.now() + 60_000 });
    await flush();
    expect(store.session.token).toBe('tok-B');
  });

  it('the default refreshMargin is 60 s', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn });
    store.login({ token: 'tok-A', expiresAt: vc.now() + 600_000 });
    await vc.advance(539_999);
    expect(r.calls).toHaveLength(0);
    await vc.advance(1);
    expect(r.calls).toHaveLength(1);
  });

  it('a token whose lifetime is shorter than the margin is refreshed halfway through its life, once, not in a loop', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn }); // default margin 60 s
    store.login({ token: 'tok-A', expiresAt: vc.now() + 20_000 });
    await vc.advance(9_999);
    expect(r.calls).toHaveLength(0);
    await vc.advance(1);
    expect(r.calls).toHaveLength(1);
    r.calls[0]?.resolve({ token: 'tok-B', expiresAt: vc.now() + 20_000 });
    await flush();
    await vc.advance(9_999);
    expect(r.calls).toHaveLength(1);
    await vc.advance(1);
    expect(r.calls).toHaveLength(2);
    expect(store.session.token).toBe('tok-B');
  });

  it('a refresh that does not extend the expiry is not repeated before expiry (no spinning)', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn, refreshMargin: 10_000 });
    const expiresAt = vc.now() + 30_000;
    store.login({ token: 'tok-A', expiresAt });
    await vc.advance(20_000);
    expect(r.calls).toHaveLength(1);
    r.calls[0]?.resolve({ token: 'tok-B', expiresAt });
    await flush();
    await vc.advance(9_999);
    expect(r.calls).toHaveLength(1);
    expect(store.session.token).toBe('tok-B');
    await vc.advance(1);
    expect(r.calls).toHaveLength(2);
  });
});

describe('time sources', () => {
  it('with jest modern fake timers, the default clock drives the proactive refresh', async () => {
    jest.useFakeTimers({ now: Date.UTC(2031, 5, 1), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const r = manualRefresh();
    const store = new SessionStore<User>({ refresh: r.fn });
    stores.push(store);
    store.login({ token: 'tok-A', expiresAt: Date.now() + 120_000 });
    await jest.advanceTimersByTimeAsync(59_999);
    expect(r.calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(r.calls).toHaveLength(1);
  });

  it('with jest modern fake timers and no refresher, the default clock expires the session', async () => {
    jest.useFakeTimers({ now: Date.UTC(2031, 5, 1), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const store = new SessionStore<User>();
    stores.push(store);
    const log = record(store);
    store.login(jwtExpiringAt(Date.now() + 90_000));
    await jest.advanceTimersByTimeAsync(89_999);
    expect(store.session.status).toBe('authenticated');
    await jest.advanceTimersByTimeAsync(1);
    expect(log.logouts.map((e) => e.reason)).toEqual(['expired']);
  });

  it('an RxJS SchedulerLike can supply the time', () => {
    const scheduler = new VirtualTimeScheduler();
    const store = new SessionStore<User>({ scheduler });
    stores.push(store);
    const log = record(store);
    store.login({ token: 'tok-A', expiresAt: scheduler.now() + 5_000 });
    expect(store.session.status).toBe('authenticated');
    scheduler.flush();
    expect(log.logouts.map((e) => e.reason)).toEqual(['expired']);
    const logoutEvent = log.events.find((e) => e.type === 'logout');
    expect(logoutEvent?.at).toBe(5_000);
  });

  it.each([
    ['refreshMargin', { refreshMargin: -1 }],
    ['refreshMargin', { refreshMargin: Number.NaN }],
    ['refreshTimeout', { refreshTimeout: -5 }],
    ['refresh', { refresh: 'not a function' }],
  ])('a bad %s option throws a TypeError that names it', (name, options) => {
    const err = thrownBy(() => new SessionStore<User>(options as unknown as SessionStoreOptions<User>));
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toContain(name);
  });
});

describe('timers are not leaked', () => {
  it('logout clears every timer of the session', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn });
    store.login({ token: 'tok-A', expiresAt: vc.now() + 3_600_000 });
    await flush();
    store.logout();
    await flush();
    expect(vc.pending()).toBe(0);
  });

  it('dispose clears every timer, including a running refresh’s timeout', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn });
    store.login({ token: 'tok-A', expiresAt: vc.now() + 3_600_000 });
    void settle(store.refresh());
    await flush();
    store.dispose();
    await flush();
    expect(vc.pending()).toBe(0);
    expect(r.calls[0]?.ctx.signal.aborted).toBe(true);
  });

  it('logout during a network-error backoff clears the retry timer and no attempt follows', async () => {
    let attempts = 0;
    const { store, vc } = makeStore({
      refresh: () => {
        attempts += 1;
        return Promise.reject(networkError());
      },
    });
    store.login({ token: 'tok-A', expiresAt: vc.now() + 3_600_000 });
    void settle(store.refresh());
    await flush();
    expect(attempts).toBe(1);
    expect(store.session.status).toBe('authenticated');
    store.logout();
    await flush();
    expect(vc.pending()).toBe(0);
    await vc.advance(120_000);
    expect(attempts).toBe(1);
  });

  it('with jest fake timers, no timer is left after logout or dispose', () => {
    jest.useFakeTimers({ now: Date.UTC(2031, 5, 1), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const r = manualRefresh();
    const store = new SessionStore<User>({ refresh: r.fn });
    stores.push(store);
    store.login({ token: 'tok-A', expiresAt: Date.now() + 3_600_000 });
    expect(jest.getTimerCount()).toBeGreaterThan(0);
    store.logout();
    expect(jest.getTimerCount()).toBe(0);
    store.login({ token: 'tok-B', expiresAt: Date.now() + 3_600_000 });
    store.dispose();
    expect(jest.getTimerCount()).toBe(0);
  });

  it("the default clock's timers are unref'd: a session never keeps Node alive", () => {
    const real = globalThis.setTimeout;
    const handles: NodeJS.Timeout[] = [];
    jest.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const h = real(fn, ms, ...args);
      handles.push(h);
      return h;
    }) as unknown as typeof setTimeout);
    const r = manualRefresh();
    const store = new SessionStore<User>({ refresh: r.fn });
    stores.push(store);
    store.login({ token: 'tok-A', expiresAt: Date.now() + 3_600_000 });
    expect(handles.length).toBeGreaterThan(0);
    expect(handles.every((h) => !h.hasRef())).toBe(true);
    store.logout();
  });
});

// ==========================================================================================
// 3. Failure policy
// ==========================================================================================

/** An axios error with no response: what a network failure looks like. */
function networkError(): AxiosError {
  return new AxiosError('connect ECONNREFUSED', 'ECONNREFUSED', undefined, {});
}

describe('failure policy', () => {
  it('an HTTP 400 invalid_grant from the token endpoint ends the session at once with "refresh-failed", without retry', async () => {
    const w = await wire();
    w.server.onRefresh = () => ({ status: 400, body: { error: 'invalid_grant' } });
    w.store.login({ token: 'tok-A', refreshToken: 'rt-A' });
    const result = await settle(w.store.refresh());
    expect(!result.ok && isSessionError(result.error, 'REFRESH_FAILED')).toBe(true);
    expect(w.store.session.status).toBe('anonymous');
    expect(w.log.logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
    await w.vc.advance(120_000);
    await realWait(20);
    expect(w.server.refreshCount()).toBe(1);
    expect(w.refreshCalls()).toBe(1);
  });

  it('an HTTP 401 invalid_grant from the token endpoint ends the session at once', async () => {
    const w = await wire();
    w.server.onRefresh = () => ({ status: 401, body: { error: 'invalid_grant' } });
    w.store.login({ token: 'tok-A', refreshToken: 'rt-A' });
    const result = await settle(w.store.refresh());
    expect(!result.ok && isSessionError(result.error, 'REFRESH_FAILED')).toBe(true);
    expect(w.log.logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
    expect(w.server.refreshCount()).toBe(1);
  });

  it('a non-network error ends the session at once with "refresh-failed"', async () => {
    let attempts = 0;
    const { store, vc } = makeStore({
      refresh: () => {
        attempts += 1;
        return Promise.reject(new TypeError('boom'));
      },
    });
    const log = record(store);
    store.login('tok-A');
    const result = await settle(store.refresh());
    expect(!result.ok && isSessionError(result.error, 'REFRESH_FAILED')).toBe(true);
    expect(log.logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
    await vc.advance(60_000);
    expect(attempts).toBe(1);
  });

  it.each([
    ['an empty string', ''],
    ['a token with a newline', 'tok\nB'],
    ['credentials without a token', { refreshToken: 'rt' }],
  ])('a refresh that returns unusable credentials (%s) ends the session with "refresh-failed"', async (_label, value) => {
    const { store } = makeStore({ refresh: () => Promise.resolve(value as unknown as RefreshResult) });
    const log = record(store);
    store.login('tok-A');
    const result = await settle(store.refresh());
    expect(!result.ok && isSessionError(result.error, 'REFRESH_FAILED')).toBe(true);
    expect(log.logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
  });

  it('a real network error (connection refused) is retried after 1 s, then 2 s, and a later success keeps the session', async () => {
    const server = await startApiServer();
    servers.push(server);
    const dead = await deadOrigin();
    let attempts = 0;
    let running = 0;
    const { store, vc } = makeStore({
      refresh: async (_s, ctx) => {
        attempts += 1;
        running += 1;
        try {
          const base = attempts <= 2 ? dead : server.origin;
          const res = await axios.post<{ access_token: string }>(`${base}/refresh`, {}, ctx.config);
          return res.data.access_token;
        } finally {
          running -= 1;
        }
      },
    });
    const log = record(store);
    store.login({ token: 'tok-A', expiresAt: vc.now() + 3_600_000 });
    const p = track(store.refresh());
    await waitFor(() => attempts === 1 && running === 0, 3000, 'first attempt');
    await flush();
    expect(store.session.status).toBe('authenticated');
    await vc.advance(999);
    expect(attempts).toBe(1);
    await vc.advance(1);
    await waitFor(() => attempts === 2 && running === 0, 3000, 'second attempt');
    await flush();
    await vc.advance(1_999);
    expect(attempts).toBe(2);
    await vc.advance(1);
    await waitFor(() => p.settled(), 3000, 'refresh to settle');
    const result = await p.result;
    expect(result.ok && result.value.token).toBe('fresh-1');
    expect(store.session.token).toBe('fresh-1');
    expect(log.logouts).toEqual([]);
    const errors = log.events.filter((e): e is Extract<SessionEvent, { type: 'refresh-error' }> => e.type === 'refresh-error');
    expect(errors.map((e) => e.retryIn)).toEqual([1_000, 2_000]);
  });

  it('a network error that lasts until the token expires is retried while the token has life, then ends the session with "refresh-failed"', async () => {
    let attempts = 0;
    const { store, vc } = makeStore({
      refresh: () => {
        attempts += 1;
        return Promise.reject(networkError());
      },
    });
    const log = record(store);
    store.login({ token: 'tok-A', expiresAt: vc.now() + 5_000 });
    const p = track(store.refresh());
    // The token still has life until 5 000: the session must not end before then.
    await vc.advance(4_999);
    expect(store.session.status).toBe('authenticated');
    await vc.advance(31_001);
    await flush();
    expect(p.settled()).toBe(true);
    const result = await p.result;
    expect(!result.ok && isSessionError(result.error, 'REFRESH_FAILED')).toBe(true);
    expect(log.logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(5);
    const last = log.events.filter((e) => e.type === 'refresh-error').pop();
    expect(last?.retryIn).toBeUndefined();
  });

  it('a refresh that takes longer than the default refreshTimeout (10 s) fails: ctx.signal aborts and the session ends', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn });
    const log = record(store);
    store.login('tok-A');
    const p = track(store.refresh());
    await flush();
    await vc.advance(9_999);
    expect(r.calls[0]?.ctx.signal.aborted).toBe(false);
    expect(store.session.status).toBe('authenticated');
    await vc.advance(1);
    expect(r.calls[0]?.ctx.signal.aborted).toBe(true);
    expect(log.logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
    const result = await p.result;
    expect(!result.ok && isSessionError(result.error, 'REFRESH_FAILED')).toBe(true);
    // A late answer changes nothing.
    r.calls[0]?.resolve('tok-late');
    await flush();
    expect(store.session.status).toBe('anonymous');
    expect(log.tokens).not.toContain('tok-late');
  });

  it('a custom refreshTimeout is honoured', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn, refreshTimeout: 2_000 });
    const log = record(store);
    store.login('tok-A');
    void settle(store.refresh());
    await vc.advance(1_999);
    expect(store.session.status).toBe('authenticated');
    await vc.advance(1);
    expect(log.logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
  });
});

// ==========================================================================================
// 4. Epoch fencing
// ==========================================================================================

describe('epoch fencing', () => {
  it('logout during a pending refresh aborts ctx.signal, discards its late result, and refresh() rejects with SESSION_ENDED', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    const log = record(store);
    store.login('tok-A');
    const p = track(store.refresh());
    await flush();
    store.logout();
    expect(r.calls[0]?.ctx.signal.aborted).toBe(true);
    r.calls[0]?.resolve('tok-zombie');
    const result = await p.result;
    expect(!result.ok && isSessionError(result.error, 'SESSION_ENDED')).toBe(true);
    await flush();
    expect(store.session.status).toBe('anonymous');
    expect(log.tokens).toEqual([null, 'tok-A', null]);
    expect(typesOf(log.events)).not.toContain('refresh');
  });

  it('a new login during a pending refresh keeps the new session; the old result is discarded and a new refresh() does not join the old one', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    store.login('tok-A');
    const old = track(store.refresh());
    await flush();
    store.login('tok-C');
    expect(r.calls[0]?.ctx.signal.aborted).toBe(true);
    const fresh = track(store.refresh());
    await flush();
    expect(r.calls).toHaveLength(2);
    expect(r.calls[1]?.session.token).toBe('tok-C');
    r.calls[0]?.resolve('tok-B');
    const oldResult = await old.result;
    expect(oldResult.ok).toBe(false);
    await flush();
    expect(store.session.token).toBe('tok-C');
    r.calls[1]?.resolve('tok-D');
    const freshResult = await fresh.result;
    expect(freshResult.ok && freshResult.value.token).toBe('tok-D');
  });

  it('dispose during a pending refresh aborts ctx.signal and refresh() rejects', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    store.login('tok-A');
    const p = track(store.refresh());
    await flush();
    store.dispose();
    expect(r.calls[0]?.ctx.signal.aborted).toBe(true);
    r.calls[0]?.resolve('tok-B');
    const result = await p.result;
    expect(result.ok).toBe(false);
  });

  it('a refresh rejected after logout does not emit a second logout', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    const log = record(store);
    store.login('tok-A');
    void settle(store.refresh());
    await flush();
    store.logout('user');
    r.calls[0]?.reject(new Error('aborted'));
    await flush();
    expect(log.logouts.map((e) => e.reason)).toEqual(['user']);
    expect(store.session.status).toBe('anonymous');
  });
});

// ==========================================================================================
// 5. Events
// ==========================================================================================

describe('refreshing$ and events$', () => {
  it('refreshing$ starts false, is true while a refresh runs and false after, emitting only changes', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    const log = record(store);
    store.login('tok-A');
    expect(log.refreshing).toEqual([false]);
    const p = store.refresh();
    const q = store.refresh();
    await flush();
    expect(log.refreshing).toEqual([false, true]);
    r.calls[0]?.resolve('tok-B');
    await Promise.all([p, q]);
    expect(log.refreshing).toEqual([false, true, false]);
  });

  it('events$ reports login, update, refresh and logout with `at` from the store clock and expiresAt, and never a token', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn });
    const log = record(store);
    const t0 = vc.now();
    const loginToken = jwtExpiringAt(t0 + 3_600_000);
    store.login({ token: loginToken, refreshToken: 'rt-SECRET-1' });
    await vc.advance(1_000);
    store.update({ token: 'tok-UPDATED-SECRET', expiresAt: t0 + 7_200_000 });
    await vc.advance(1_000);
    const p = store.refresh();
    await flush();
    r.calls[0]?.resolve({ token: 'tok-REFRESHED-SECRET', refreshToken: 'rt-SECRET-2', expiresAt: t0 + 9_000_000 });
    await p;
    await vc.advance(1_000);
    store.logout();

    expect(typesOf(log.events)).toEqual(['login', 'update', 'refresh', 'logout']);
    const [login, update, refresh, logout] = log.events;
    expect(login).toMatchObject({ type: 'login', at: t0, expiresAt: Math.floor((t0 + 3_600_000) / 1000) * 1000 });
    expect(update).toMatchObject({ type: 'update', at: t0 + 1_000, expiresAt: t0 + 7_200_000 });
    expect(refresh).toMatchObject({ type: 'refresh', at: t0 + 2_000, expiresAt: t0 + 9_000_000 });
    expect(logout).toMatchObject({ type: 'logout', at: t0 + 3_000, reason: 'user' });

    const dump = inspect(log.events, { depth: 10 }) + JSON.stringify(log.events);
    for (const secret of [loginToken, 'rt-SECRET-1', 'tok-UPDATED-SECRET', 'tok-REFRESHED-SECRET', 'rt-SECRET-2']) {
      expect(dump).not.toContain(secret);
    }
    for (const e of log.events) {
      expect(Object.keys(e)).not.toContain('session');
      expect(Object.keys(e)).not.toContain('token');
    }
  });

  it('an expiry logout is reported as a logout event with reason "expired"', async () => {
    const { store, vc } = makeStore();
    const log = record(store);
    store.login({ token: 'tok-A', expiresAt: vc.now() + 1_000 });
    await vc.advance(1_000);
    expect(log.events[log.events.length - 1]).toMatchObject({ type: 'logout', reason: 'expired', at: vc.now() });
  });

  it('refresh-error events have retryIn for a network retry, undefined when final, and never quote a token from the error', async () => {
    let attempts = 0;
    const { store, vc } = makeStore({
      refresh: (session) => {
        attempts += 1;
        if (attempts === 1) return Promise.reject(networkError());
        return Promise.reject(new Error(`refresh rejected for ${String(session.refreshToken)} / ${session.token}`));
      },
    });
    const log = record(store);
    store.login({ token: 'tok-LEAKY-SECRET', refreshToken: 'rt-LEAKY-SECRET' });
    const p = track(store.refresh());
    await flush();
    await vc.advance(1_000); // the 1 s retry
    const result = await p.result;
    expect(!result.ok && isSessionError(result.error, 'REFRESH_FAILED')).toBe(true);
    const errors = log.events.filter((e): e is Extract<SessionEvent, { type: 'refresh-error' }> => e.type === 'refresh-error');
    expect(errors).toHaveLength(2);
    expect(errors[0]?.retryIn).toBe(1_000);
    expect(errors[1]?.retryIn).toBeUndefined();
    const dump = inspect(log.events, { depth: 10 }) + JSON.stringify(log.events);
    expect(dump).not.toContain('LEAKY-SECRET');
    if (!result.ok) {
      const err = result.error as Error;
      expect(err.message).not.toContain('LEAKY-SECRET');
      expect(JSON.stringify(err)).not.toContain('LEAKY-SECRET');
      expect(String(err)).not.toContain('LEAKY-SECRET');
    }
  });

  it('a refresh-error for an HTTP failure describes it by status', async () => {
    const w = await wire();
    w.server.onRefresh = () => ({ status: 400, body: { error: 'invalid_grant' } });
    w.store.login({ token: 'tok-A', refreshToken: 'rt-A' });
    await settle(w.store.refresh());
    const errors = w.log.events.filter((e) => e.type === 'refresh-error');
    expect(errors).toHaveLength(1);
    // README: "refresh errors describe the failure by status and code".
    expect(JSON.stringify(errors[0])).toContain('400');
  });
});

// ==========================================================================================
// 6. bindAxios over the wire
// ==========================================================================================

describe('bindAxios: 401 recovery over the wire', () => {
  it('50 parallel 401s across two bound instances give exactly one refresh call, and all 50 succeed with the new token', async () => {
    const w = await wire();
    w.store.login({ token: 'tok-OLD', refreshToken: 'rt-0' });
    const requests = Array.from({ length: 50 }, (_, i) =>
      (i % 2 === 0 ? w.api1 : w.api2).get<{ authorization: string }>(`/api/item/${i}`),
    );
    const results = await Promise.all(requests.map((r) => settle(r)));
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    for (const r of results) expect(r.ok && r.value.data.authorization).toBe('Bearer fresh-1');
    expect(w.refreshCalls()).toBe(1);
    expect(w.server.refreshCount()).toBe(1);
    expect(w.store.session.token).toBe('fresh-1');
    const apiCalls = w.server.calls('/api');
    expect(apiCalls.filter((c) => c.authorization === 'Bearer fresh-1')).toHaveLength(50);
    expect(apiCalls.every((c) => c.authorization === 'Bearer fresh-1' || c.authorization === 'Bearer tok-OLD')).toBe(true);
    expect(w.log.logouts).toEqual([]);
  });

  it('a retried request is stamped afresh: the server sees the old token, then the new one', async () => {
    const w = await wire();
    w.store.login({ token: 'tok-OLD', refreshToken: 'rt-0' });
    const res = await w.api1.get<{ authorization: string }>('/api/me');
    expect(res.data.authorization).toBe('Bearer fresh-1');
    expect(w.server.calls('/api').map((c) => c.authorization)).toEqual(['Bearer tok-OLD', 'Bearer fresh-1']);
    expect(w.store.session).toMatchObject({ token: 'fresh-1', refreshToken: 'rt-1' });
    expect(w.server.calls('/refresh')[0]?.authorization).toBeUndefined();
  });

  it('a 401 for a token already rotated by another call is retried at once with the current token, without a refresh', async () => {
    const w = await wire({ valid: ['tok-A'] });
    const held = gate();
    w.server.apiGate = (call) => (call.authorization === 'Bearer tok-A' ? held.promise : Promise.resolve());
    w.store.login('tok-A');
    const req = track(w.api1.get<{ authorization: string }>('/api/x'));
    await waitFor(() => w.server.calls('/api').length === 1, 3000, 'first request');
    w.store.update({ token: 'tok-B' });
    w.server.valid.clear();
    w.server.valid.add('tok-B');
    held.open();
    const result = await req.result;
    expect(result.ok && result.value.data.authorization).toBe('Bearer tok-B');
    expect(w.server.calls('/api').map((c) => c.authorization)).toEqual(['Bearer tok-A', 'Bearer tok-B']);
    expect(w.refreshCalls()).toBe(0);
    expect(w.server.refreshCount()).toBe(0);
  });

  it('a second 401 after the retry is final: it reaches the caller as an axios 401 error, with one refresh and no loop', async () => {
    const w = await wire();
    w.store.login({ token: 'tok-OLD', refreshToken: 'rt-0' });
    const result = await settle(w.api1.get('/forbidden'));
    expect(result.ok).toBe(false);
    const err = !result.ok ? result.error : undefined;
    expect(axios.isAxiosError(err)).toBe(true);
    expect(axios.isCancel(err)).toBe(false);
    expect((err as AxiosError).response?.status).toBe(401);
    await realWait(50);
    expect(w.server.calls('/forbidden').map((c) => c.authorization)).toEqual(['Bearer tok-OLD', 'Bearer fresh-1']);
    expect(w.refreshCalls()).toBe(1);
    expect(w.store.session.token).toBe('fresh-1');
    expect(w.log.logouts).toEqual([]);
  });

  it('the app’s store.refresh() joins a refresh started by a 401', async () => {
    const w = await wire();
    const g = gate();
    w.server.refreshGate = g.promise;
    w.store.login({ token: 'tok-OLD', refreshToken: 'rt-0' });
    const req = track(w.api1.get<{ authorization: string }>('/api/x'));
    await waitFor(() => w.server.refreshCount() === 1, 3000, 'refresh to start');
    const fromApp = track(w.store.refresh());
    g.open();
    const [a, b] = await Promise.all([req.result, fromApp.result]);
    expect(a.ok && a.value.data.authorization).toBe('Bearer fresh-1');
    expect(b.ok && b.value.token).toBe('fresh-1');
    expect(w.refreshCalls()).toBe(1);
  });

  it('without a refresh option, a 401 with the current token goes to the caller and the session stays', async () => {
    const server = await startApiServer();
    servers.push(server);
    const { store } = makeStore();
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    store.login('tok-A');
    const result = await settle(api.get('/api/x'));
    expect(!result.ok && (result.error as AxiosError).response?.status).toBe(401);
    expect(server.calls('/api')).toHaveLength(1);
    expect(store.session.token).toBe('tok-A');
  });

  it('a 401 on a request that carried no token (signed out) starts no refresh', async () => {
    const w = await wire();
    const result = await settle(w.api1.get('/api/x'));
    expect(!result.ok && (result.error as AxiosError).response?.status).toBe(401);
    expect(w.refreshCalls()).toBe(0);
    expect(w.server.calls('/api')).toHaveLength(1);
  });
});

describe('bindAxios: refresh failure and epoch fencing over the wire', () => {
  it('when the refresh fails for good, every waiting request rejects promptly (401 error or cancel with "refresh-failed"); none hangs', async () => {
    const w = await wire();
    w.server.onRefresh = () => ({ status: 400, body: { error: 'invalid_grant' } });
    w.store.login({ token: 'tok-OLD', refreshToken: 'rt-0' });
    const reqs = Array.from({ length: 10 }, (_, i) => track((i % 2 ? w.api1 : w.api2).get(`/api/${i}`)));
    await waitFor(() => reqs.every((r) => r.settled()), 3000, 'all requests to settle');
    for (const r of reqs) {
      const res = await r.result;
      expect(res.ok).toBe(false);
      if (res.ok) continue;
      if (axios.isCancel(res.error)) {
        expect(getSessionEnd(res.error)?.reason).toBe('refresh-failed');
      } else {
        expect((res.error as AxiosError).response?.status).toBe(401);
      }
    }
    expect(w.server.refreshCount()).toBe(1);
    expect(w.log.logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
    // Afterwards, requests leave without a token.
    await settle(w.api1.get('/api/after'));
    expect(w.server.calls('/api/after')[0]?.authorization).toBeUndefined();
  });

  it('logout during a pending refresh: the waiting request is cancelled with the logout, no session comes back, the server never sees the refreshed token', async () => {
    const w = await wire();
    const g = gate();
    w.server.refreshGate = g.promise;
    w.store.login({ token: 'tok-OLD', refreshToken: 'rt-0' });
    const req = track(w.api1.get('/api/x'));
    await waitFor(() => w.server.refreshCount() === 1, 3000, 'refresh to start');
    w.store.logout();
    await waitFor(() => req.settled(), 3000, 'request to settle');
    const res = await req.result;
    expect(!res.ok && axios.isCancel(res.error)).toBe(true);
    expect(!res.ok && getSessionEnd(res.error)?.reason).toBe('user');
    g.open();
    await realWait(30);
    await settle(w.api2.get('/api/after'));
    expect(w.store.session.status).toBe('anonymous');
    expect(w.log.tokens).not.toContain('fresh-1');
    expect(w.server.seen.some((c) => c.authorization === 'Bearer fresh-1')).toBe(false);
    expect(w.server.calls('/refresh')[0]?.aborted).toBe(true);
  });

  it('logout while a refresh that ignores its signal is pending: its late token never reaches the session or the server', async () => {
    const server = await startApiServer();
    servers.push(server);
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    const log = record(store);
    const api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    store.login('tok-OLD');
    const req = track(api.get('/api/x'));
    await waitFor(() => r.calls.length === 1, 3000, 'refresh to start');
    store.logout();
    r.calls[0]?.resolve('tok-ZOMBIE');
    server.valid.add('tok-ZOMBIE');
    await waitFor(() => req.settled(), 3000, 'request to settle');
    await flush();
    await settle(api.get('/api/after'));
    expect(store.session.status).toBe('anonymous');
    expect(log.tokens).not.toContain('tok-ZOMBIE');
    expect(server.seen.some((c) => (c.authorization ?? '').includes('tok-ZOMBIE'))).toBe(false);
    expect(api.defaults.headers.common['Authorization']).toBeUndefined();
  });
});

describe('bindAxios: held requests', () => {
  it('while a refresh runs, new requests on every bound instance wait and leave with the new token', async () => {
    const w = await wire({ valid: ['tok-A'] });
    const g = gate();
    w.server.refreshGate = g.promise;
    w.store.login({ token: 'tok-A', refreshToken: 'rt-0' });
    const refreshing = track(w.store.refresh());
    await waitFor(() => w.server.refreshCount() === 1, 3000, 'refresh to start');
    const a = track(w.api1.get<{ authorization: string }>('/api/a'));
    const b = track(w.api2.get<{ authorization: string }>('/api/b'));
    await realWait(100);
    expect(w.server.calls('/api')).toHaveLength(0);
    expect(a.settled() || b.settled()).toBe(false);
    g.open();
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(ra.ok && ra.value.data.authorization).toBe('Bearer fresh-1');
    expect(rb.ok && rb.value.data.authorization).toBe('Bearer fresh-1');
    expect(w.server.calls('/api').map((c) => c.authorization)).toEqual(['Bearer fresh-1', 'Bearer fresh-1']);
    expect((await refreshing.result).ok).toBe(true);
  });

  it('a request made while the token is known to be expired waits for the refresh instead of leaving with the expired token', async () => {
    const w = await wire();
    const g = gate();
    w.server.refreshGate = g.promise;
    w.store.login({ token: 'tok-EXPIRED', refreshToken: 'rt-0', expiresAt: w.vc.now() - 1_000 });
    const req = track(w.api1.get<{ authorization: string }>('/api/x'));
    await realWait(100);
    expect(w.server.calls('/api')).toHaveLength(0);
    g.open();
    const res = await req.result;
    expect(res.ok && res.value.data.authorization).toBe('Bearer fresh-1');
    expect(w.server.seen.some((c) => c.authorization === 'Bearer tok-EXPIRED')).toBe(false);
    expect(w.refreshCalls()).toBe(1);
  });

  it("a caller's own signal cancels a request waiting for the refresh, with the caller's reason and not a session end", async () => {
    const w = await wire({ valid: ['tok-A'] });
    const g = gate();
    w.server.refreshGate = g.promise;
    w.store.login({ token: 'tok-A', refreshToken: 'rt-0' });
    void settle(w.store.refresh());
    await waitFor(() => w.server.refreshCount() === 1, 3000, 'refresh to start');
    const ac = new AbortController();
    const req = track(w.api1.get('/api/x', { signal: ac.signal }));
    await realWait(20);
    ac.abort();
    await waitFor(() => req.settled(), 3000, 'request to settle');
    const res = await req.result;
    expect(!res.ok && axios.isCancel(res.error)).toBe(true);
    expect(!res.ok && getSessionEnd(res.error)).toBeUndefined();
    expect(w.store.session.status).toBe('authenticated');
    g.open();
    await waitFor(() => w.store.session.token === 'fresh-1', 3000, 'refresh to finish');
    expect(w.server.calls('/api')).toHaveLength(0);
  });

  it('a skipAuth request is not held while a refresh runs and carries no token', async () => {
    const w = await wire({ valid: ['tok-A'] });
    const g = gate();
    w.server.refreshGate = g.promise;
    w.store.login({ token: 'tok-A', refreshToken: 'rt-0' });
    void settle(w.store.refresh());
    await waitFor(() => w.server.refreshCount() === 1, 3000, 'refresh to start');
    const res = await settle(w.api1.get('/forbidden', { skipAuth: true }));
    expect(!res.ok && (res.error as AxiosError).response?.status).toBe(401);
    expect(w.server.calls('/forbidden').map((c) => c.authorization)).toEqual([undefined]);
    g.open();
  });

  it('a skipAuth request that gets a 401 is neither refreshed nor retried', async () => {
    const w = await wire();
    w.store.login({ token: 'tok-OLD', refreshToken: 'rt-0' });
    const res = await settle(w.api1.get('/api/public', { skipAuth: true }));
    expect(!res.ok && (res.error as AxiosError).response?.status).toBe(401);
    await realWait(30);
    expect(w.server.calls('/api')).toHaveLength(1);
    expect(w.refreshCalls()).toBe(0);
    expect(w.store.session.token).toBe('tok-OLD');
  });
});

describe('bindAxios: the refresh call itself', () => {
  it('the documented way (ctx.config through a bound instance) sends no stale token and does not deadlock', async () => {
    const server = await startApiServer();
    servers.push(server);
    // eslint-disable-next-line prefer-const -- assigned after the store whose refresh closes over it
    let api!: AxiosInstance;
    const { store } = makeStore({
      refresh: async (_s, ctx) => {
        const res = await api.post<{ access_token: string }>('/refresh', {}, ctx.config);
        return res.data.access_token;
      },
    });
    api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    store.login('tok-OLD');
    const res = await api.get<{ authorization: string }>('/api/x');
    expect(res.data.authorization).toBe('Bearer fresh-1');
    expect(server.calls('/refresh').map((c) => c.authorization)).toEqual([undefined]);
  });

  it('a careless refresh through a bound instance (no ctx.config) ends within refreshTimeout with "refresh-failed", without looping', async () => {
    const server = await startApiServer();
    servers.push(server);
    // eslint-disable-next-line prefer-const -- assigned after the store whose refresh closes over it
    let api!: AxiosInstance;
    let calls = 0;
    const { store, vc } = makeStore({
      refresh: async () => {
        calls += 1;
        const res = await api.post<{ access_token: string }>('/refresh', {});
        return res.data.access_token;
      },
    });
    const log = record(store);
    api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    store.login('tok-OLD');
    const req = track(api.get('/api/x'));
    await waitFor(() => calls === 1, 3000, 'refresh to start');
    await realWait(50);
    await vc.advance(10_000);
    await waitFor(() => req.settled(), 3000, 'request to settle');
    await realWait(30);
    expect(store.session.status).toBe('anonymous');
    expect(log.logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
    expect(calls).toBe(1);
    expect(server.refreshCount()).toBeLessThanOrEqual(1);
    const res = await req.result;
    expect(res.ok).toBe(false);
  });

  it('a refresh that passes ctx.signal through a bound instance and gets a 401 fails at once, without a loop', async () => {
    const server = await startApiServer();
    servers.push(server);
    server.onRefresh = () => ({ status: 401, body: { error: 'invalid_grant' } });
    // eslint-disable-next-line prefer-const -- assigned after the store whose refresh closes over it
    let api!: AxiosInstance;
    let calls = 0;
    const { store } = makeStore({
      refresh: async (_s, ctx) => {
        calls += 1;
        const res = await api.post<{ access_token: string }>('/refresh', {}, { signal: ctx.signal });
        return res.data.access_token;
      },
    });
    const log = record(store);
    api = axios.create({ baseURL: server.origin });
    bindAxios(store, api);
    store.login('tok-OLD');
    const p = track(store.refresh());
    await waitFor(() => p.settled(), 3000, 'refresh to settle');
    const result = await p.result;
    expect(!result.ok && isSessionError(result.error, 'REFRESH_FAILED')).toBe(true);
    expect(log.logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
    await realWait(30);
    expect(calls).toBe(1);
    expect(server.refreshCount()).toBe(1);
  });
});

describe('bindAxios: shouldRefresh', () => {
  it('a custom shouldRefresh lets a 419 mean "token expired": one refresh, one retry', async () => {
    const w = await wire({ bind: { shouldRefresh: (e: AxiosError) => e.response?.status === 419 } });
    w.store.login({ token: 'tok-OLD', refreshToken: 'rt-0' });
    const res = await w.api1.get('/teapot');
    expect(res.status).toBe(200);
    expect(w.server.calls('/teapot').map((c) => c.authorization)).toEqual(['Bearer tok-OLD', 'Bearer fresh-1']);
    expect(w.refreshCalls()).toBe(1);
  });

  it('a shouldRefresh that says no leaves the 401 to the caller without refreshing', async () => {
    const w = await wire({ bind: { shouldRefresh: () => false } });
    w.store.login({ token: 'tok-OLD', refreshToken: 'rt-0' });
    const res = await settle(w.api1.get('/api/x'));
    expect(!res.ok && (res.error as AxiosError).response?.status).toBe(401);
    await realWait(30);
    expect(w.refreshCalls()).toBe(0);
    expect(w.server.calls('/api')).toHaveLength(1);
    expect(w.store.session.token).toBe('tok-OLD');
  });
});

describe('proactive refresh over the wire', () => {
  it('refreshes before expiry, and later requests carry the new token', async () => {
    const w = await wire({ valid: ['tok-A'] });
    w.store.login({ token: 'tok-A', refreshToken: 'rt-0', expiresAt: w.vc.now() + 300_000 });
    await w.vc.advance(239_999);
    expect(w.server.refreshCount()).toBe(0);
    await w.vc.advance(1);
    await waitFor(() => w.store.session.token === 'fresh-1', 3000, 'proactive refresh');
    expect(w.server.refreshCount()).toBe(1);
    const res = await w.api1.get<{ authorization: string }>('/api/x');
    expect(res.data.authorization).toBe('Bearer fresh-1');
    expect(w.log.logouts).toEqual([]);
  });
});

describe('expiry and bound requests', () => {
  /** An adapter fake that answers 200 at once and records the Authorization header it saw. */
  function recordingAdapter(): { adapter: AxiosAdapter; seen: unknown[] } {
    const seen: unknown[] = [];
    const adapter: AxiosAdapter = (config) => {
      seen.push(config.headers.get('Authorization') ?? undefined);
      return Promise.resolve({ data: {}, status: 200, statusText: 'OK', headers: {}, config, request: {} });
    };
    return { adapter, seen };
  }

  it('expiry without a refresher cancels in-flight bound requests with a SESSION_ENDED whose reason is "expired"', async () => {
    const { store, vc } = makeStore();
    const { adapter, held } = holdingAdapter();
    const api = axios.create({ adapter });
    bindAxios(store, api);
    store.login({ token: 'tok-A', expiresAt: vc.now() + 10_000 });
    const req = track(api.get('/slow'));
    await flush();
    expect(held).toHaveLength(1);
    await vc.advance(10_000);
    await flush();
    const res = await req.result;
    expect(!res.ok && axios.isCancel(res.error)).toBe(true);
    expect(!res.ok && getSessionEnd(res.error)?.reason).toBe('expired');
  });

  it('after the machine slept past expiry (no timer fired yet), a request without a refresher never leaves with the expired token', async () => {
    const { store, vc } = makeStore();
    const { adapter, seen } = recordingAdapter();
    const api = axios.create({ adapter });
    bindAxios(store, api);
    store.login({ token: 'tok-A', expiresAt: vc.now() + 3_600_000 });
    vc.sleep(2 * 3_600_000);
    await settle(api.get('/after-sleep'));
    expect(seen).not.toContain('Bearer tok-A');
  });

  it('after the machine slept past expiry, a request with a refresher waits for the refresh and leaves with the new token', async () => {
    const r = manualRefresh();
    const { store, vc } = makeStore({ refresh: r.fn });
    const { adapter, seen } = recordingAdapter();
    const api = axios.create({ adapter });
    bindAxios(store, api);
    store.login({ token: 'tok-A', expiresAt: vc.now() + 3_600_000 });
    vc.sleep(2 * 3_600_000);
    const req = track(api.get('/after-sleep'));
    await flush();
    expect(seen).toEqual([]);
    expect(r.calls).toHaveLength(1);
    r.calls[0]?.resolve({ token: 'tok-B', expiresAt: vc.now() + 3_600_000 });
    const res = await req.result;
    expect(res.ok).toBe(true);
    expect(seen).toEqual(['Bearer tok-B']);
  });

  it('requests held behind a refresh that then fails reject at once with a CanceledError whose session end is "refresh-failed", and never leave', async () => {
    const r = manualRefresh();
    const { store } = makeStore({ refresh: r.fn });
    const { adapter, seen } = recordingAdapter();
    const api1 = axios.create({ adapter });
    const api2 = axios.create({ adapter });
    bindAxios(store, api1);
    bindAxios(store, api2);
    store.login('tok-A');
    void settle(store.refresh());
    await flush();
    const a = track(api1.get('/a'));
    const b = track(api2.get('/b'));
    await flush();
    expect(seen).toEqual([]);
    r.calls[0]?.reject(
      new AxiosError(
        'Request failed with status code 400',
        'ERR_BAD_REQUEST',
        undefined,
        {},
        {
          data: { error: 'invalid_grant' },
          status: 400,
          statusText: 'Bad Request',
          headers: {},
          config: { headers: new axios.AxiosHeaders() },
        },
      ),
    );
    await flush();
    expect(a.settled() && b.settled()).toBe(true);
    for (const t of [a, b]) {
      const res = await t.result;
      expect(!res.ok && axios.isCancel(res.error)).toBe(true);
      expect(!res.ok && getSessionEnd(res.error)?.reason).toBe('refresh-failed');
    }
    expect(seen).toEqual([]);
  });

  it('a 401-triggered refresh shows on refreshing$ and as a refresh event', async () => {
    const w = await wire();
    w.store.login({ token: 'tok-OLD', refreshToken: 'rt-0' });
    await w.api1.get('/api/x');
    expect(w.log.refreshing).toEqual([false, true, false]);
    expect(typesOf(w.log.events)).toEqual(['login', 'refresh']);
  });
});
