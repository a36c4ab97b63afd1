import axios, { AxiosError } from 'axios';
import { VirtualTimeScheduler } from 'rxjs';
import { bindAxios, isSessionError, SessionStore, type LogoutEvent, type SessionEvent } from '../../lib';
import { fakeAdapter } from '../support/fake-adapter';
import { outcome } from '../support/outcome';
import { httpError, jwt, networkError, refresher } from '../support/refresher';
import { settle, virtualClock } from '../support/virtual-clock';

const HOUR = 3_600_000;

function setup(options: { margin?: number; timeout?: number } = {}) {
  const clock = virtualClock();
  const r = refresher();
  const store = new SessionStore({
    refresh: r.fn,
    clock,
    ...(options.margin !== undefined ? { refreshMargin: options.margin } : {}),
    ...(options.timeout !== undefined ? { refreshTimeout: options.timeout } : {}),
  });
  const logouts: LogoutEvent[] = [];
  store.logout$.subscribe((e) => logouts.push(e));
  return { clock, store, calls: r.calls, logouts };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('store.refresh()', () => {
  it('shares one call of `refresh` among concurrent callers', async () => {
    const { store, calls } = setup();
    store.login({ token: 'old', refreshToken: 'r1' });
    const all = [store.refresh(), store.refresh(), store.refresh()];
    await settle();
    expect(calls).toHaveLength(1);
    calls[0]?.resolve({ token: 'new' });
    const sessions = await Promise.all(all);
    expect(sessions.map((s) => s.token)).toEqual(['new', 'new', 'new']);
    expect(store.session.token).toBe('new');
  });

  it('starts a new call once the previous one has settled', async () => {
    const { store, calls } = setup();
    store.login('t0');
    const first = store.refresh();
    calls[0]?.resolve('t1');
    await first;
    const second = store.refresh();
    await settle();
    expect(calls).toHaveLength(2);
    calls[1]?.resolve('t2');
    await expect(second).resolves.toMatchObject({ token: 't2' });
  });

  it('rejects with NOT_AUTHENTICATED when signed out, and calls nothing', async () => {
    const { store, calls } = setup();
    const err = await rejection(store.refresh());
    expect(isSessionError(err, 'NOT_AUTHENTICATED')).toBe(true);
    expect(calls).toHaveLength(0);
  });

  it('rejects with REFRESH_UNAVAILABLE on a store without `refresh`, leaving the session as it was', async () => {
    const store = new SessionStore({ initial: 'tok' });
    const err = await rejection(store.refresh());
    expect(isSessionError(err, 'REFRESH_UNAVAILABLE')).toBe(true);
    expect(store.session.token).toBe('tok');
  });

  it('rejects with DISPOSED after dispose()', async () => {
    const { store } = setup();
    store.dispose();
    expect(isSessionError(await rejection(store.refresh()), 'DISPOSED')).toBe(true);
  });

  it('hands the refresh the current session, an AbortSignal and a skipAuth config', async () => {
    const { store, calls } = setup();
    store.login({ token: 'old', refreshToken: 'r1', user: { id: 7 } });
    void store.refresh();
    await settle();
    const call = calls[0];
    expect(call?.session).toMatchObject({ token: 'old', refreshToken: 'r1', user: { id: 7 } });
    expect(call?.ctx.signal).toBeInstanceOf(AbortSignal);
    expect(call?.ctx.signal.aborted).toBe(false);
    expect(call?.ctx.config).toEqual({ skipAuth: true, signal: call?.ctx.signal });
    expect(call?.ctx.attempt).toBe(0);
  });

  it('updates the session within its epoch: requests in flight are not cancelled', async () => {
    const { store, calls } = setup();
    const fake = fakeAdapter({ hold: true });
    const api = axios.create({ adapter: fake.adapter });
    bindAxios(store, api);
    store.login('old');
    const pending = outcome(api.get('/slow'));
    await settle();
    expect(store.inFlight).toBe(1);
    const refreshed = store.refresh();
    calls[0]?.resolve('new');
    await refreshed;
    fake.held[0]?.respond(200);
    expect(await pending).toMatchObject({ ok: true });
    expect(api.defaults.headers.common['Authorization']).toBe('Bearer new');
  });

  it('keeps the refresh token and user the refresh did not return, and takes the new expiry', async () => {
    const { store, calls, clock } = setup();
    store.login({ token: 'old', refreshToken: 'r1', user: { id: 7 }, expiresAt: clock.now() + HOUR });
    const refreshed = store.refresh();
    await settle();
    calls[0]?.resolve({ token: 'new', expiresAt: clock.now() + 2 * HOUR });
    expect(await refreshed).toEqual({
      status: 'authenticated',
      token: 'new',
      refreshToken: 'r1',
      user: { id: 7 },
      expiresAt: clock.now() + 2 * HOUR,
    });
  });

  it('a new token returned without an expiry does not inherit the old one', async () => {
    const { store, calls, clock } = setup();
    store.login({ token: 'old', expiresAt: clock.now() + HOUR });
    const refreshed = store.refresh();
    await settle();
    calls[0]?.resolve('opaque-new');
    expect((await refreshed).expiresAt).toBeUndefined();
  });
});

describe('failure policy', () => {
  it('an HTTP error (400 invalid_grant) ends the session at once with refresh-failed', async () => {
    const { store, calls, logouts } = setup();
    store.login('old');
    const refreshed = store.refresh();
    await settle();
    calls[0]?.reject(httpError(400, { error: 'invalid_grant' }));
    const err = await rejection(refreshed);
    expect(isSessionError(err, 'REFRESH_FAILED')).toBe(true);
    expect((err as Error).message).toContain('HTTP 400 invalid_grant');
    expect(calls).toHaveLength(1);
    expect(store.session.status).toBe('anonymous');
    expect(logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
  });

  it('a 401 from the refresh endpoint is not retried either', async () => {
    const { store, calls, clock, logouts } = setup();
    store.login('old');
    const refreshed = store.refresh();
    await settle();
    calls[0]?.reject(httpError(401));
    await rejection(refreshed);
    await clock.advance(60_000);
    expect(calls).toHaveLength(1);
    expect(logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
  });

  it('a non-network error (a bug in the refresh call) ends the session at once', async () => {
    const { store, calls, logouts } = setup();
    store.login('old');
    const refreshed = store.refresh();
    await settle();
    calls[0]?.reject(new RangeError('bad'));
    expect(isSessionError(await rejection(refreshed), 'REFRESH_FAILED')).toBe(true);
    expect(logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
  });

  it('a refresh function that throws synchronously fails like one that rejects', async () => {
    const clock = virtualClock();
    const store = new SessionStore({
      clock,
      refresh: () => {
        throw new Error('sync');
      },
    });
    store.login('old');
    expect(isSessionError(await rejection(store.refresh()), 'REFRESH_FAILED')).toBe(true);
    expect(store.session.status).toBe('anonymous');
  });

  it('retries a network error with growing backoff while the token has life, then succeeds', async () => {
    const { store, calls, clock } = setup({ margin: 60_000 });
    const events: SessionEvent[] = [];
    store.events$.subscribe((e) => events.push(e));
    store.login({ token: 'old', expiresAt: clock.now() + 5 * 60_000 });
    await clock.advance(4 * 60_000);
    expect(calls).toHaveLength(1);
    calls[0]?.reject(networkError());
    await settle();
    await clock.advance(999);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.ctx.attempt).toBe(1);
    calls[1]?.reject(networkError('ECONNRESET'));
    await clock.advance(2_000);
    expect(calls).toHaveLength(3);
    calls[2]?.resolve('new');
    await settle();
    expect(store.session).toMatchObject({ status: 'authenticated', token: 'new' });
    const errors = events.filter((e): e is Extract<SessionEvent, { type: 'refresh-error' }> => e.type === 'refresh-error');
    expect(errors.map((e) => e.retryIn)).toEqual([1_000, 2_000]);
  });

  it('store.refresh() while a network retry waits tries again at once; a 401 on a bound request does not', async () => {
    const { store, calls, clock } = setup({ margin: 60_000 });
    const fake = fakeAdapter({ hold: true });
    const api = axios.create({ adapter: fake.adapter });
    bindAxios(store, api);
    store.login({ token: 'old', expiresAt: clock.now() + 5 * 60_000 });
    await clock.advance(4 * 60_000);
    calls[0]?.reject(networkError());
    await settle();
    // A 401 during the backoff waits for the planned attempt, 1 s later.
    const request = outcome(api.get('/a'));
    await settle();
    expect(fake.held[0]?.config.headers.get('Authorization')).toBe('Bearer old');
    fake.held[0]?.respond(401);
    await settle();
    expect(calls).toHaveLength(1);
    // The app asks: the next attempt starts now, once, and the backoff timer starts no other.
    const refreshed = store.refresh();
    expect(calls).toHaveLength(2);
    expect(calls[1]?.ctx.attempt).toBe(1);
    void store.refresh();
    expect(calls).toHaveLength(2);
    calls[1]?.resolve('new');
    await expect(refreshed).resolves.toMatchObject({ token: 'new' });
    await settle();
    expect(fake.held[1]?.config.headers.get('Authorization')).toBe('Bearer new');
    fake.held[1]?.respond(200);
    expect(await request).toMatchObject({ ok: true });
    await clock.advance(1_000);
    expect(calls).toHaveLength(2);
    expect(fake.held).toHaveLength(2);
    store.dispose();
  });

  it('store.refresh() during a backoff starts that attempt once, even with a clock that cannot cancel timers', async () => {
    const clock = virtualClock();
    const r = refresher();
    // The planned retry's timer still fires: it must not start the same attempt again.
    const store = new SessionStore({ refresh: r.fn, clock: { ...clock, clearTimeout: () => undefined } });
    store.login('old');
    void store.refresh().catch(() => undefined);
    await settle();
    r.calls[0]?.reject(networkError());
    await settle();
    void store.refresh();
    await clock.advance(1_000);
    expect(r.calls.map((c) => c.ctx.attempt)).toEqual([0, 1]);
    r.calls[1]?.reject(networkError());
    await clock.advance(2_000);
    expect(r.calls.map((c) => c.ctx.attempt)).toEqual([0, 1, 2]);
    store.dispose();
  });

  it('with a clock that cannot cancel timers, a refresh that succeeded is not timed out afterwards', async () => {
    const clock = virtualClock();
    const r = refresher();
    // Its `refreshTimeout` timer still fires after the success: it must abort nothing, nor fail anything.
    const store = new SessionStore({ refresh: r.fn, clock: { ...clock, clearTimeout: () => undefined }, refreshTimeout: 5_000 });
    const events: SessionEvent[] = [];
    store.events$.subscribe((e) => events.push(e));
    store.login('old');
    const refreshed = store.refresh();
    await settle();
    r.calls[0]?.resolve('new');
    await refreshed;
    await clock.advance(5_000);
    expect(r.calls[0]?.ctx.signal.aborted).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['login', 'refresh']);
    expect(store.session.token).toBe('new');
    store.dispose();
  });

  it.each([
    ['an axios network error', () => new AxiosError('Network Error', 'ERR_NETWORK'), true],
    ['an axios timeout', () => new AxiosError('timeout of 5000ms exceeded', 'ECONNABORTED'), true],
    ['a Node socket error', () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ["fetch's TypeError", () => new TypeError('fetch failed'), true],
    ['an axios bad option', () => new AxiosError('bad', 'ERR_BAD_OPTION'), false],
    ['a 503 response', () => httpError(503), false],
  ])('%s: retried %p', async (_, error, retried) => {
    const { store, calls, clock } = setup();
    store.login({ token: 'old', expiresAt: clock.now() + 10 * 60_000 });
    void store.refresh().catch(() => undefined);
    await settle();
    calls[0]?.reject(error());
    await clock.advance(1_000);
    expect(calls.length).toBe(retried ? 2 : 1);
    expect(store.session.status).toBe(retried ? 'authenticated' : 'anonymous');
    store.logout();
  });

  it('ends the session with refresh-failed when network errors outlast the token, not before it expires', async () => {
    const { store, calls, clock, logouts } = setup({ margin: 5_000 });
    const events: SessionEvent[] = [];
    store.events$.subscribe((e) => events.push(e));
    store.login({ token: 'old', expiresAt: clock.now() + 60_000 });
    await clock.advance(55_000); // the proactive refresh starts 5 s before expiry
    calls[0]?.reject(networkError());
    await clock.advance(1_000); // retried at 56 s
    calls[1]?.reject(networkError());
    await clock.advance(2_000); // retried at 58 s
    calls[2]?.reject(networkError()); // 4 s would pass expiry: the last retry comes at expiry instead
    await clock.advance(1_999);
    expect(calls).toHaveLength(3);
    expect(store.session.status).toBe('authenticated');
    await clock.advance(1);
    expect(calls).toHaveLength(4);
    calls[3]?.reject(networkError()); // the token has no life left: final
    await settle();
    expect(store.session.status).toBe('anonymous');
    expect(logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
    const errors = events.flatMap((e) => (e.type === 'refresh-error' ? [[e.retryIn, e.network, e.status]] : []));
    expect(errors).toEqual([
      [1_000, true, undefined],
      [2_000, true, undefined],
      [2_000, true, undefined],
      [undefined, true, undefined],
    ]);
    await clock.advance(60_000);
    expect(calls).toHaveLength(4);
  });

  it('a token with no known expiry has refreshTimeout, from the first attempt, for network retries', async () => {
    const { store, calls, clock, logouts } = setup({ timeout: 10_000 });
    store.login('opaque');
    void store.refresh().catch(() => undefined);
    await settle();
    // attempts at 0, 1 s, 3 s, 7 s, and the last brought forward to 10 s; then no time is left
    for (const wait of [1_000, 2_000, 4_000, 3_000]) {
      calls[calls.length - 1]?.reject(networkError());
      await clock.advance(wait);
      expect(store.session.status).toBe('authenticated');
    }
    calls[calls.length - 1]?.reject(networkError());
    await settle();
    expect(calls).toHaveLength(5);
    expect(store.session.status).toBe('anonymous');
    expect(logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
  });

  it('a refresh slower than refreshTimeout has failed: its signal aborts and the session ends', async () => {
    const { store, calls, clock, logouts } = setup({ timeout: 3_000 });
    store.login('old');
    const refreshed = store.refresh();
    await clock.advance(2_999);
    expect(store.session.status).toBe('authenticated');
    await clock.advance(1);
    const err = await rejection(refreshed);
    expect(isSessionError(err, 'REFRESH_FAILED')).toBe(true);
    expect((err as Error).message).toContain('refreshTimeout');
    expect(calls[0]?.ctx.signal.aborted).toBe(true);
    expect(logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
    calls[0]?.resolve('too-late');
    await settle();
    expect(store.session.status).toBe('anonymous');
  });

  it('credentials that are not usable (empty token, already expired) fail the refresh', async () => {
    const { store, calls, clock } = setup();
    store.login('old');
    const a = store.refresh();
    await settle();
    calls[0]?.resolve('');
    expect(isSessionError(await rejection(a), 'REFRESH_FAILED')).toBe(true);
    store.login('again');
    const b = store.refresh();
    await settle();
    calls[1]?.resolve({ token: 'stale', expiresAt: clock.now() - 1 });
    expect(isSessionError(await rejection(b), 'REFRESH_FAILED')).toBe(true);
    expect(store.session.status).toBe('anonymous');
  });

  it('a refresh that returns expiresAt in seconds (a JWT exp passed on as it is) fails with a message that says so', async () => {
    const { store, calls, clock } = setup();
    store.login('old');
    const refreshed = store.refresh();
    await settle();
    const seconds = Math.floor(clock.now() / 1000) + 3600;
    calls[0]?.resolve({ token: 'new', expiresAt: seconds });
    const err = await rejection(refreshed);
    expect(isSessionError(err, 'REFRESH_FAILED')).toBe(true);
    expect((err as Error).message).toContain(`\`expiresAt\` ${seconds} looks like seconds, not milliseconds`);
    // A millisecond expiry in the past gets no such hint.
    store.login('again');
    const stale = store.refresh();
    await settle();
    calls[1]?.resolve({ token: 'stale', expiresAt: clock.now() - 1 });
    expect((await rejection(stale)) as Error).toHaveProperty('message', 'The refresh call returned an expired token');
  });
});

describe('epoch fencing', () => {
  it('logout during a refresh aborts ctx.signal and discards the result: no resurrection', async () => {
    const { store, calls } = setup();
    const sessions: (string | null)[] = [];
    store.session$.subscribe((s) => sessions.push(s.token));
    store.login('old');
    const refreshed = store.refresh();
    await settle();
    store.logout();
    expect(calls[0]?.ctx.signal.aborted).toBe(true);
    expect(isSessionError(calls[0]?.ctx.signal.reason, 'SESSION_ENDED')).toBe(true);
    calls[0]?.resolve('resurrected');
    const err = await rejection(refreshed);
    expect(isSessionError(err, 'SESSION_ENDED')).toBe(true);
    expect(store.session.status).toBe('anonymous');
    expect(sessions).toEqual([null, 'old', null]);
  });

  it('a refresh of a replaced session cannot overwrite the new login', async () => {
    const { store, calls } = setup();
    store.login('user-a');
    const refreshed = store.refresh();
    await settle();
    store.login('user-b');
    calls[0]?.resolve('user-a-refreshed');
    await rejection(refreshed);
    expect(store.session.token).toBe('user-b');
    // The new session gets its own refresh.
    const next = store.refresh();
    await settle();
    expect(calls).toHaveLength(2);
    expect(calls[1]?.session.token).toBe('user-b');
    calls[1]?.resolve('user-b-refreshed');
    await expect(next).resolves.toMatchObject({ token: 'user-b-refreshed' });
  });

  it('dispose() aborts a running refresh and clears every timer', async () => {
    const { store, calls, clock } = setup();
    store.login({ token: 'old', expiresAt: clock.now() + HOUR });
    const refreshed = store.refresh();
    await settle();
    store.dispose();
    expect(calls[0]?.ctx.signal.aborted).toBe(true);
    expect(isSessionError(await rejection(refreshed), 'SESSION_ENDED')).toBe(true);
    expect(clock.pending()).toBe(0);
  });
});

describe('refreshing$ and events$', () => {
  it('refreshing$ is true while a refresh runs, and emits only changes', async () => {
    const { store, calls } = setup();
    const seen: boolean[] = [];
    store.refreshing$.subscribe((r) => seen.push(r));
    store.login('old');
    const a = store.refresh();
    void store.refresh();
    await settle();
    calls[0]?.resolve('new');
    await a;
    const b = store.refresh();
    await settle();
    store.logout();
    await rejection(b);
    expect(seen).toEqual([false, true, false, true, false]);
  });

  it('the refreshed session reaches session$ before refreshing$ turns false', async () => {
    const { store, calls } = setup();
    const order: string[] = [];
    store.login('old');
    store.session$.subscribe((s) => order.push(`session:${String(s.token)}`));
    store.refreshing$.subscribe((r) => order.push(`refreshing:${String(r)}`));
    const done = store.refresh();
    await settle();
    calls[0]?.resolve('new');
    await done;
    expect(order).toEqual(['session:old', 'refreshing:false', 'refreshing:true', 'session:new', 'refreshing:false']);
  });

  it('events$ reports login, update, refresh, refresh-error and logout with timestamps', async () => {
    const { store, calls, clock } = setup();
    const events: SessionEvent[] = [];
    store.events$.subscribe((e) => events.push(e));
    const t0 = clock.now();
    store.login({ token: 'tok-1', expiresAt: t0 + HOUR });
    store.update({ user: { id: 1 } });
    const ok = store.refresh();
    await settle();
    calls[0]?.resolve({ token: 'tok-2', expiresAt: t0 + 2 * HOUR });
    await ok;
    const bad = store.refresh();
    await settle();
    calls[1]?.reject(httpError(400, { error: 'invalid_grant' }));
    await rejection(bad);
    expect(events.map((e) => e.type)).toEqual(['login', 'update', 'refresh', 'refresh-error', 'logout']);
    expect(events.every((e) => e.at === t0)).toBe(true);
    expect(events[0]).toEqual({ type: 'login', timestamp: t0, at: t0, expiresAt: t0 + HOUR });
    expect(events[2]).toEqual({ type: 'refresh', timestamp: t0, at: t0, expiresAt: t0 + 2 * HOUR });
    expect(events[3]).toMatchObject({ type: 'refresh-error', retryIn: undefined, status: 400, network: false });
    expect(events[4]).toEqual({ type: 'logout', timestamp: t0, at: t0, reason: 'refresh-failed' });
  });

  it('no event or refresh error carries a token, even when the failure quotes one', async () => {
    const { store, calls } = setup();
    const events: SessionEvent[] = [];
    store.events$.subscribe((e) => events.push(e));
    store.login({ token: 'ACCESS-SECRET', refreshToken: 'REFRESH-SECRET' });
    const done = store.refresh();
    await settle();
    calls[0]?.reject(new Error('refresh token REFRESH-SECRET was revoked (access ACCESS-SECRET)'));
    const err = (await rejection(done)) as Error;
    const text = [
      JSON.stringify(events),
      ...events.map((e) => (e.type === 'refresh-error' ? `${e.error.message} ${e.error.stack ?? ''}` : '')),
      err.message,
      String(err.stack),
      JSON.stringify(err),
    ].join('\n');
    expect(text).not.toContain('SECRET');
  });
});

describe('refreshes that would go wrong', () => {
  it('a refresh that returns the very same token and expiry does not spin', async () => {
    const { store, calls, clock } = setup({ margin: 60_000 });
    const token = 'same';
    const expiresAt = clock.now() + 10 * 60_000;
    store.login({ token, expiresAt });
    await clock.advance(9 * 60_000);
    expect(calls).toHaveLength(1);
    calls[0]?.resolve({ token, expiresAt });
    await settle();
    expect(calls).toHaveLength(1); // not again at once: next at expiry
    await clock.advance(59_999);
    expect(calls).toHaveLength(1);
  });

  it('a refreshing$ subscriber that logs out when a refresh starts leaves no refresh running and no timer', async () => {
    const { store, calls, clock } = setup();
    store.login({ token: 'old', refreshToken: 'r1' });
    store.refreshing$.subscribe((busy) => {
      if (busy) store.logout();
    });
    const err = await rejection(store.refresh());
    expect(isSessionError(err, 'SESSION_ENDED')).toBe(true);
    expect(calls.every((c) => c.ctx.signal.aborted)).toBe(true);
    expect(clock.pending()).toBe(0);
    expect(store.session.status).toBe('anonymous');
  });

  it('logout during a refresh works with an RxJS scheduler as the clock', async () => {
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, scheduler: new VirtualTimeScheduler() });
    store.login('old');
    const refreshed = store.refresh();
    store.refreshing$.subscribe(() => undefined);
    expect(() => store.logout()).not.toThrow();
    expect(isSessionError(await rejection(refreshed), 'SESSION_ENDED')).toBe(true);
  });

  it('refreshing$ stays true when a new refresh starts as the previous one ends', async () => {
    const { store, calls } = setup();
    const seen: boolean[] = [];
    store.refreshing$.subscribe((busy) => seen.push(busy));
    store.logout$.subscribe(() => store.login({ token: 'again', expiresAt: 1 })); // expired: refreshed at once
    store.login('old');
    const first = store.refresh();
    await settle();
    calls[0]?.reject(httpError(400));
    await rejection(first);
    await settle();
    expect(calls).toHaveLength(2);
    expect(seen[seen.length - 1]).toBe(true);
  });

  it('an update() with a newer token supersedes a running refresh: no logout, callers get the new session', async () => {
    const { store, calls, logouts } = setup();
    store.login({ token: 'old', refreshToken: 'r1' });
    const refreshed = store.refresh();
    await settle();
    store.update({ token: 'from-another-tab', refreshToken: 'r2' });
    expect(calls[0]?.ctx.signal.aborted).toBe(true);
    await expect(refreshed).resolves.toMatchObject({ token: 'from-another-tab' });
    calls[0]?.reject(httpError(400, { error: 'invalid_grant' })); // its refresh token was rotated: too late to matter
    await settle();
    expect(store.session.token).toBe('from-another-tab');
    expect(logouts).toEqual([]);
  });

  it('update() with a new JWT and expiresAt: undefined takes the JWT exp, as login() does', () => {
    const { store, clock } = setup();
    store.login({ token: 'opaque', expiresAt: clock.now() + 60_000 });
    const exp = clock.now() + 3_600_000;
    expect(store.update({ token: jwt(exp), expiresAt: undefined }).expiresAt).toBe(Math.floor(exp / 1000) * 1000);
  });
});

describe('races and listeners', () => {
  it('a refresh-error listener that calls store.refresh() starts the next attempt at once', async () => {
    const { store, calls } = setup();
    store.login('t0');
    let asked = false;
    store.events$.subscribe((e) => {
      if (e.type === 'refresh-error' && e.retryIn !== undefined && !asked) {
        asked = true;
        void store.refresh();
      }
    });
    const refreshed = store.refresh();
    await settle();
    calls[0]?.reject(networkError());
    await settle();
    expect(calls.map((c) => c.ctx.attempt)).toEqual([0, 1]);
    calls[1]?.resolve('t1');
    await expect(refreshed).resolves.toMatchObject({ token: 't1' });
    store.dispose();
  });

  it('an update() with a newer token just after the refresh call resolved: refresh() resolves with the updated session', async () => {
    const { store, calls, logouts } = setup();
    store.login('a');
    const refreshed = store.refresh();
    await settle();
    calls[0]?.resolve('b');
    queueMicrotask(() => store.update({ token: 'u' }));
    await expect(refreshed).resolves.toMatchObject({ token: 'u' });
    expect(store.session.token).toBe('u');
    expect(logouts).toHaveLength(0);
    store.dispose();
  });

  it('a final failure ends the session as its refresh-error event is heard: the logout follows before any other code runs', async () => {
    const { store, calls } = setup();
    store.login('a');
    const seen: string[] = [];
    store.events$.subscribe((e) => {
      seen.push(e.type);
      if (e.type === 'refresh-error') queueMicrotask(() => seen.push(`next microtask: ${store.session.status}`));
    });
    const refreshed = store.refresh();
    await settle();
    calls[0]?.reject(httpError(400, { error: 'invalid_grant' }));
    expect(isSessionError(await rejection(refreshed), 'REFRESH_FAILED')).toBe(true);
    expect(seen).toEqual(['refresh-error', 'logout', 'next microtask: anonymous']);
  });

  it('a refresh-error listener that puts a newer token in place on a final failure keeps the session: no logout, and refresh() resolves with it', async () => {
    const { store, calls, logouts } = setup();
    store.login({ token: 'a', refreshToken: 'r1' });
    store.events$.subscribe((e) => {
      // Another tab refreshed meanwhile, say: the app hands its token over.
      if (e.type === 'refresh-error' && e.retryIn === undefined) store.update({ token: 'b', refreshToken: 'r2' });
    });
    const refreshed = store.refresh();
    await settle();
    calls[0]?.reject(httpError(400, { error: 'invalid_grant' }));
    await expect(refreshed).resolves.toMatchObject({ token: 'b', refreshToken: 'r2' });
    expect(store.session).toMatchObject({ status: 'authenticated', token: 'b' });
    expect(logouts).toEqual([]);
    // The store goes on: the next refresh starts a new call, with the new refresh token.
    const next = store.refresh();
    await settle();
    expect(calls).toHaveLength(2);
    calls[1]?.resolve('c');
    await expect(next).resolves.toMatchObject({ token: 'c' });
  });

  it('dispose() from a listener of the refresh’s outcome: refreshing$ still turns false before it completes', async () => {
    for (const outcomeOf of ['success', 'failure'] as const) {
      const { store, calls } = setup();
      const values: (boolean | 'completed')[] = [];
      store.refreshing$.subscribe({ next: (v) => values.push(v), complete: () => values.push('completed') });
      store.login('a');
      if (outcomeOf === 'success') store.session$.subscribe((s) => s.token === 'b' && store.dispose());
      else store.logout$.subscribe(() => store.dispose());
      const refreshed = store.refresh().catch(() => undefined);
      await settle();
      if (outcomeOf === 'success') calls[0]?.resolve('b');
      else calls[0]?.reject(httpError(400));
      await refreshed;
      expect(values).toEqual([false, true, false, 'completed']);
    }
  });

  it('dispose() during a refresh: refreshing$ turns false before it completes', async () => {
    const { store } = setup();
    const values: boolean[] = [];
    let completed = false;
    store.refreshing$.subscribe({ next: (v) => values.push(v), complete: () => (completed = true) });
    store.login('a');
    const refreshed = store.refresh();
    await settle();
    store.dispose();
    expect(isSessionError(await rejection(refreshed), 'SESSION_ENDED')).toBe(true);
    expect(values).toEqual([false, true, false]);
    expect(completed).toBe(true);
  });
});

describe('bound requests while a refresh waits out a network backoff', () => {
  function bound(probeLimit: number) {
    const clock = virtualClock();
    const r = refresher();
    const store = new SessionStore({ clock, refresh: r.fn, probeLimit });
    const fake = fakeAdapter({ hold: true });
    const api = axios.create({ adapter: fake.adapter });
    bindAxios(store, api);
    return { clock, store, calls: r.calls, fake, api };
  }

  it('an untested (restored) token still goes out on at most probeLimit requests', async () => {
    const { store, calls, fake, api } = bound(6);
    store.login('a', { restored: true });
    void store.refresh().catch(() => undefined);
    await settle();
    calls[0]?.reject(networkError());
    await settle();
    const requests = Array.from({ length: 10 }, (_, i) => outcome(api.get(`/x/${i}`)));
    await settle();
    expect(fake.held).toHaveLength(6);
    store.logout();
    expect((await Promise.all(requests)).every((o) => o.cancel)).toBe(true);
  });

  it('a request held while an attempt ran goes when the attempt fails on the network, if the token may still work', async () => {
    const { clock, store, calls, fake, api } = bound(Infinity);
    store.login({ token: 'a', expiresAt: clock.now() + HOUR });
    void store.refresh().catch(() => undefined);
    await settle();
    const early = outcome(api.get('/early'));
    await settle();
    expect(fake.held).toHaveLength(0); // waits for the attempt
    calls[0]?.reject(networkError());
    await settle();
    expect(fake.held.map((h) => h.config.url)).toEqual(['/early']); // not for the whole backoff
    fake.held[0]?.respond(200);
    expect((await early).ok).toBe(true);
    store.dispose();
  });

  it('requests held for an expired token go as soon as update() says it works again, not after the backoff', async () => {
    const { clock, store, calls, fake, api } = bound(Infinity);
    store.login({ token: 'a', expiresAt: clock.now() + 120_000 });
    await clock.advance(60_000); // the proactive refresh starts
    calls[0]?.reject(networkError());
    await settle();
    clock.jump(60_000); // past expiry, with the next attempt 1 s away
    const held = outcome(api.get('/x'));
    await settle();
    expect(fake.held).toHaveLength(0);
    store.update({ expiresAt: clock.now() + 3_600_000 });
    await settle();
    expect(fake.held.map((h) => h.config.headers.get('Authorization'))).toEqual(['Bearer a']);
    fake.held[0]?.respond(200);
    expect((await held).ok).toBe(true);
    store.dispose();
  });
});
