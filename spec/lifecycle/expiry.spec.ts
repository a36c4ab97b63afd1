import { spawnSync } from 'node:child_process';
import axios from 'axios';
import { VirtualTimeScheduler } from 'rxjs';
import { bindAxios, getSessionEnd, isSessionError, SessionStore, type LogoutEvent } from '../../lib';
import { fakeAdapter } from '../support/fake-adapter';
import { outcome } from '../support/outcome';
import { jwt, refresher } from '../support/refresher';
import { settle, virtualClock } from '../support/virtual-clock';

const MIN = 60_000;
const HOUR = 60 * MIN;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('expiry from the token', () => {
  it('reads expiresAt from a JWT exp claim', () => {
    const store = new SessionStore();
    const exp = Date.now() + HOUR;
    expect(store.login(jwt(exp)).expiresAt).toBe(Math.floor(exp / 1000) * 1000);
    expect(store.login({ token: jwt(exp), user: 'u' }).expiresAt).toBe(Math.floor(exp / 1000) * 1000);
  });

  it('an explicit expiresAt wins over the JWT claim', () => {
    const store = new SessionStore();
    const explicit = Date.now() + 2 * HOUR;
    expect(store.login({ token: jwt(Date.now() + HOUR), expiresAt: explicit }).expiresAt).toBe(explicit);
  });

  it.each([
    ['an opaque token', 'opaque-token-123'],
    ['three parts that are not base64url JSON', 'a.b.c'],
    ['a JWT without exp', `${Buffer.from('{}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.s`],
    ['a JWT whose exp is a string', `e30.${Buffer.from('{"exp":"tomorrow"}').toString('base64url')}.s`],
    ['a payload with characters outside base64url', 'e30.e30=+/.s'],
  ])('%s simply has no expiry', (_, token) => {
    const store = new SessionStore();
    expect(store.login(token).expiresAt).toBeUndefined();
  });

  it('a rotated JWT brings its own exp through update()', () => {
    const store = new SessionStore();
    store.login(jwt(Date.now() + HOUR));
    const later = Date.now() + 3 * HOUR;
    expect(store.update({ token: jwt(later) }).expiresAt).toBe(Math.floor(later / 1000) * 1000);
  });
});

describe('proactive refresh', () => {
  it('starts refreshMargin before expiresAt', async () => {
    const clock = virtualClock();
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, clock, refreshMargin: 30_000 });
    store.login({ token: 'old', expiresAt: clock.now() + 10 * MIN });
    await clock.advance(10 * MIN - 30_001);
    expect(r.calls).toHaveLength(0);
    await clock.advance(1);
    expect(r.calls).toHaveLength(1);
    r.calls[0]?.resolve({ token: 'new', expiresAt: clock.now() + 10 * MIN });
    await settle();
    expect(store.session.token).toBe('new');
    // and the next one is planned from the new expiry
    await clock.advance(10 * MIN - 30_000);
    expect(r.calls).toHaveLength(2);
  });

  it('defaults refreshMargin to one minute', async () => {
    const clock = virtualClock();
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, clock });
    store.login(jwt(clock.now() + HOUR));
    await clock.advance(HOUR - MIN - 1);
    expect(r.calls).toHaveLength(0);
    await clock.advance(1);
    expect(r.calls).toHaveLength(1);
  });

  it('refreshes a token that lives shorter than the margin halfway through its life, not in a loop', async () => {
    const clock = virtualClock();
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, clock, refreshMargin: MIN });
    store.login({ token: 't0', expiresAt: clock.now() + 4_000 });
    await clock.advance(1_999);
    expect(r.calls).toHaveLength(0);
    await clock.advance(1);
    expect(r.calls).toHaveLength(1);
    for (let i = 1; i <= 20; i++) {
      r.calls[r.calls.length - 1]?.resolve({ token: `t${i}`, expiresAt: clock.now() + 4_000 });
      await clock.advance(2_000);
    }
    // one refresh per 2 s over 40 s
    expect(r.calls).toHaveLength(21);
    expect(store.session.status).toBe('authenticated');
  });

  it('never refreshes before half the token’s life: one that lives just over the margin is not refreshed right away, over and over', async () => {
    const clock = virtualClock();
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, clock, refreshMargin: MIN });
    store.login({ token: 't0', expiresAt: clock.now() + MIN + 1_000 });
    await clock.advance(30_499);
    expect(r.calls).toHaveLength(0);
    await clock.advance(1);
    expect(r.calls).toHaveLength(1);
    for (let i = 1; i <= 3; i++) {
      r.calls[r.calls.length - 1]?.resolve({ token: `t${i}`, expiresAt: clock.now() + MIN + 1_000 });
      await clock.advance(30_500);
    }
    // one refresh per 30.5 s, not one per second
    expect(r.calls).toHaveLength(4);
    // and a token that lives twice the margin or more is refreshed refreshMargin before expiry
    r.calls[r.calls.length - 1]?.resolve({ token: 'long', expiresAt: clock.now() + 2 * MIN });
    await clock.advance(MIN - 1);
    expect(r.calls).toHaveLength(4);
    await clock.advance(1);
    expect(r.calls).toHaveLength(5);
    store.dispose();
  });

  it('a refresh that does not extend the expiry is not repeated early: no spinning', async () => {
    const clock = virtualClock();
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, clock, refreshMargin: MIN });
    const logouts: LogoutEvent[] = [];
    store.logout$.subscribe((e) => logouts.push(e));
    const expiresAt = clock.now() + 8_000;
    store.login({ token: 't0', expiresAt });
    await clock.advance(4_000);
    r.calls[0]?.resolve({ token: 't1', expiresAt }); // same expiry again
    await clock.advance(3_999);
    expect(r.calls).toHaveLength(1);
    await clock.advance(1); // at expiry, the token is dead: one more try
    expect(r.calls).toHaveLength(2);
    r.calls[1]?.resolve({ token: 't2', expiresAt }); // already expired: that refresh failed
    await settle();
    expect(store.session.status).toBe('anonymous');
    expect(logouts.map((e) => e.reason)).toEqual(['refresh-failed']);
  });

  it('a token already expired at login is refreshed at once when the store has a refresh', async () => {
    const clock = virtualClock();
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, clock });
    store.login({ token: 'stale', expiresAt: clock.now() - 1 });
    expect(store.session.status).toBe('authenticated');
    await settle();
    expect(r.calls).toHaveLength(1);
    r.calls[0]?.resolve({ token: 'fresh', expiresAt: clock.now() + HOUR });
    await settle();
    expect(store.session.token).toBe('fresh');
  });
});

describe('expiry without a refresh', () => {
  it('ends the session with logout("expired") at expiresAt', async () => {
    const clock = virtualClock();
    const store = new SessionStore({ clock });
    const logouts: LogoutEvent[] = [];
    store.logout$.subscribe((e) => logouts.push(e));
    store.login({ token: 'tok', expiresAt: clock.now() + 90 * MIN });
    await clock.advance(90 * MIN - 1);
    expect(store.session.status).toBe('authenticated');
    await clock.advance(1);
    expect(store.session.status).toBe('anonymous');
    expect(logouts.map((e) => e.reason)).toEqual(['expired']);
  });

  it('refuses a token that has already expired with EXPIRED, and changes nothing', () => {
    const clock = virtualClock();
    const store = new SessionStore({ clock });
    store.login('current');
    const err = thrown(() => store.login({ token: 'stale', expiresAt: clock.now() - 1_000 }));
    expect(isSessionError(err, 'EXPIRED')).toBe(true);
    expect((err as Error).message).not.toContain('stale');
    expect(store.session.token).toBe('current');
    expect(
      isSessionError(
        thrown(() => store.login(jwt(clock.now() - 5_000))),
        'EXPIRED',
      ),
    ).toBe(true);
    expect(
      isSessionError(
        thrown(() => store.update({ expiresAt: clock.now() })),
        'EXPIRED',
      ),
    ).toBe(true);
    expect(store.session.token).toBe('current');
    expect(
      isSessionError(
        thrown(() => new SessionStore({ clock, initial: jwt(clock.now() - 1_000) })),
        'EXPIRED',
      ),
    ).toBe(true);
  });

  it('re-checks expiry when timers fire late (a machine that slept)', async () => {
    const clock = virtualClock();
    const store = new SessionStore({ clock });
    store.login({ token: 'tok', expiresAt: clock.now() + 2 * HOUR });
    await clock.advance(10 * MIN);
    clock.jump(3 * HOUR); // the wall clock moved on while timers stood still
    await clock.advance(30_000);
    expect(store.session.status).toBe('anonymous');
  });

  it('clears its timer on logout and on a login without expiry', async () => {
    const clock = virtualClock();
    const store = new SessionStore({ clock });
    store.login({ token: 'a', expiresAt: clock.now() + HOUR });
    expect(clock.pending()).toBe(1);
    store.logout();
    expect(clock.pending()).toBe(0);
    store.login({ token: 'b', expiresAt: clock.now() + HOUR });
    store.login('no-expiry');
    expect(clock.pending()).toBe(0);
    await clock.advance(2 * HOUR);
    expect(store.session.token).toBe('no-expiry');
  });
});

describe('injected time', () => {
  afterEach(() => jest.useRealTimers());

  it('jest modern fake timers drive the default clock', () => {
    jest.useFakeTimers({ now: Date.UTC(2030, 0, 1) });
    const store = new SessionStore();
    store.login({ token: 'tok', expiresAt: Date.now() + HOUR });
    jest.advanceTimersByTime(HOUR - 1);
    expect(store.session.status).toBe('authenticated');
    jest.advanceTimersByTime(1);
    expect(store.session.status).toBe('anonymous');
    store.login({ token: 'tok', expiresAt: Date.now() + HOUR });
    store.dispose();
    expect(jest.getTimerCount()).toBe(0);
  });

  it("under jest's default fake timers, a token restored expired is refreshed without advancing time", async () => {
    jest.useFakeTimers({ now: Date.UTC(2030, 0, 1) });
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn });
    store.login({ token: 'stale', expiresAt: Date.now() - 1 });
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(r.calls).toHaveLength(1);
    store.logout();
    expect(jest.getTimerCount()).toBe(0);
    store.login({ token: 'stale-again', expiresAt: Date.now() - 1 });
    store.dispose();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('an RxJS scheduler can be the clock', () => {
    const scheduler = new VirtualTimeScheduler();
    const store = new SessionStore({ scheduler });
    store.login({ token: 'tok', expiresAt: scheduler.now() + 5 * MIN });
    scheduler.flush();
    expect(store.session.status).toBe('anonymous');
    expect(scheduler.now()).toBe(5 * MIN);
  });

  it('its timers never keep a Node process alive', () => {
    const script = `
      const { SessionStore } = require('./lib');
      const store = new SessionStore({ refresh: () => new Promise(() => {}) });
      store.login({ token: 'tok', expiresAt: Date.now() + 3_600_000 });
      void store.refresh();
      const idle = new SessionStore();
      idle.login({ token: 'tok', expiresAt: Date.now() + 3_600_000 });
      setTimeout(() => {}, 50);
    `;
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: `${__dirname}/../..`,
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('options', () => {
  it.each([
    [{ refresh: 'https://x/refresh' }, /`refresh` must be a function/],
    [{ refreshMargin: -1 }, /`refreshMargin` must be a finite number/],
    [{ refreshMargin: Number.NaN }, /`refreshMargin`/],
    [{ refreshTimeout: 0 }, /`refreshTimeout` must be a finite number/],
    [{ refreshTimeout: '10s' }, /`refreshTimeout`/],
    [{ refreshTimeout: 2 ** 31 }, /`refreshTimeout` must be a finite number of milliseconds from 1 to 2147483647/],
    [{ clock: { now: (): number => 0 } }, /`clock` must have/],
    [{ scheduler: {} }, /`scheduler` must be an RxJS SchedulerLike/],
    [{ clock: virtualClock(), scheduler: new VirtualTimeScheduler() }, /`clock` or `scheduler`, not both/],
    [{ refreshMargn: 5 }, /unknown option `refreshMargn`/],
  ])('rejects %p with a TypeError naming the option', (options, message) => {
    expect(() => new SessionStore(options as never)).toThrow(TypeError);
    expect(() => new SessionStore(options as never)).toThrow(message);
  });
});

describe('expiry seen by a bound instance', () => {
  it('a request on a token found expired (its timer late) ends the session and is cancelled, not sent', async () => {
    const clock = virtualClock();
    const store = new SessionStore({ clock });
    const fake = fakeAdapter();
    const api = axios.create({ adapter: fake.adapter });
    bindAxios(store, api);
    store.login({ token: 'tok', expiresAt: clock.now() + HOUR });
    clock.jump(2 * HOUR); // asleep: no timer has fired yet
    const result = await outcome(api.get('/me'));
    expect(result.cancel).toBe(true);
    expect(getSessionEnd(result.error)?.reason).toBe('expired');
    expect(fake.sent).toHaveLength(0);
    expect(store.session.status).toBe('anonymous');
  });
});

describe('a clock that is off', () => {
  // The server's time; this machine's clock runs 10 minutes ahead of it.
  const SERVER_NOW = Date.UTC(2030, 0, 1);
  const AHEAD = 10 * MIN;
  const seconds = (ms: number): number => Math.floor(ms / 1000);

  it('reads the expiry of a token the refresh returns on this clock when its iat shows the skew: a phone minutes ahead keeps its session', async () => {
    const clock = virtualClock(SERVER_NOW + AHEAD);
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, clock });
    const logouts: LogoutEvent[] = [];
    store.logout$.subscribe((e) => logouts.push(e));
    // Issued by the server just now, for 5 minutes: on this clock it looks expired already.
    store.login(jwt(SERVER_NOW + 5 * MIN, { iat: seconds(SERVER_NOW) }));
    await settle();
    expect(r.calls).toHaveLength(1); // refreshed at once, as any token that looks expired
    r.calls[0]?.resolve(jwt(SERVER_NOW + 5 * MIN, { iat: seconds(SERVER_NOW), jti: 'refreshed' }));
    await settle();
    expect(store.session.status).toBe('authenticated');
    expect(store.session.expiresAt).toBe(clock.now() + 5 * MIN);
    expect(logouts).toEqual([]);
    // and the next refresh comes a margin before that expiry, not at once
    await clock.advance(4 * MIN - 1);
    expect(r.calls).toHaveLength(1);
    await clock.advance(1);
    expect(r.calls).toHaveLength(2);
    store.dispose();
  });

  it('takes the JWT exp as it is within 30 s of skew, and an expiresAt the refresh gives whatever the iat says', async () => {
    const clock = virtualClock(SERVER_NOW + 20_000);
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, clock });
    store.login('opaque');
    void store.refresh();
    await settle();
    r.calls[0]?.resolve(jwt(SERVER_NOW + HOUR, { iat: seconds(SERVER_NOW) }));
    await settle();
    expect(store.session.expiresAt).toBe(SERVER_NOW + HOUR);
    void store.refresh();
    await settle();
    r.calls[1]?.resolve({ token: jwt(SERVER_NOW + HOUR, { iat: seconds(SERVER_NOW - HOUR) }), expiresAt: SERVER_NOW + 2 * HOUR });
    await settle();
    expect(store.session.expiresAt).toBe(SERVER_NOW + 2 * HOUR);
    // The very token the session has, handed back by a server while it is still valid: not
    // issued now, so its exp is taken as it is, whatever its iat says.
    const kept = jwt(SERVER_NOW + HOUR, { iat: seconds(SERVER_NOW - 30 * MIN) });
    store.update({ token: kept, expiresAt: SERVER_NOW + HOUR });
    void store.refresh();
    await settle();
    r.calls[2]?.resolve(kept);
    await settle();
    expect(store.session.expiresAt).toBe(SERVER_NOW + HOUR);
    store.dispose();
  });

  it('a refresh that hands back the token it corrected keeps the corrected expiry: the session goes on', async () => {
    const clock = virtualClock(SERVER_NOW + AHEAD);
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, clock });
    const logouts: LogoutEvent[] = [];
    store.logout$.subscribe((e) => logouts.push(e));
    store.login('opaque');
    const issued = jwt(SERVER_NOW + 5 * MIN, { iat: seconds(SERVER_NOW) });
    void store.refresh();
    await settle();
    r.calls[0]?.resolve(issued);
    await settle();
    const corrected = clock.now() + 5 * MIN;
    expect(store.session.expiresAt).toBe(corrected);
    // The server says that token is still good and hands it back: its raw exp is in this clock's past.
    void store.refresh();
    await settle();
    r.calls[1]?.resolve(issued);
    await settle();
    expect(logouts).toEqual([]);
    expect(store.session).toMatchObject({ status: 'authenticated', token: issued, expiresAt: corrected });
    store.dispose();
  });
});

describe('a refresh that hands back the token the session has', () => {
  it('an expiry the app moved up to refresh now is not kept: the token’s own exp is', async () => {
    const clock = virtualClock();
    const r = refresher();
    const store = new SessionStore({ clock, refresh: r.fn });
    const logouts: LogoutEvent[] = [];
    store.logout$.subscribe((e) => logouts.push(e));
    const exp = clock.now() + HOUR;
    const token = jwt(exp);
    store.login(token);
    store.update({ expiresAt: clock.now() }); // renew now (told so by another tab, say)
    await settle();
    expect(r.calls).toHaveLength(1);
    r.calls[0]?.resolve(token); // the server says it is still good
    await settle();
    expect(logouts).toEqual([]);
    expect(store.session.expiresAt).toBe(Math.floor(exp / 1000) * 1000);
    store.dispose();
  });

  it('an expiry given at login, still ahead, is kept; at that expiry the token is refreshed again', async () => {
    const clock = virtualClock();
    const r = refresher();
    const store = new SessionStore({ clock, refresh: r.fn });
    const logouts: LogoutEvent[] = [];
    store.logout$.subscribe((e) => logouts.push(e));
    const expiresAt = clock.now() + 10 * MIN;
    store.login({ token: 'opaque', expiresAt });
    await clock.advance(9 * MIN); // refreshMargin before it
    expect(r.calls).toHaveLength(1);
    r.calls[0]?.resolve('opaque');
    await settle();
    expect(store.session.expiresAt).toBe(expiresAt);
    await clock.advance(MIN);
    expect(r.calls).toHaveLength(2);
    r.calls[1]?.resolve('opaque'); // handed back again: its expiry is no longer known
    await settle();
    expect(store.session).toMatchObject({ token: 'opaque', expiresAt: undefined });
    expect(logouts).toEqual([]);
    store.dispose();
  });
});

describe('timers and session changes', () => {
  it('with a clock that cannot cancel timers, session changes leave one timer chain, not one per change', async () => {
    const clock = virtualClock();
    let fired = 0;
    const store = new SessionStore({
      refresh: refresher().fn,
      clock: {
        now: () => clock.now(),
        setTimeout: (fn, ms) =>
          clock.setTimeout(() => {
            fired++;
            fn();
          }, ms),
        clearTimeout: () => undefined,
      },
    });
    store.login({ token: 'T', expiresAt: clock.now() + HOUR, user: { n: 0 } });
    for (let i = 1; i <= 20; i++) store.update({ user: { n: i } });
    await clock.advance(30_000); // every timer set so far has fired (each waits at most 30 s)
    fired = 0;
    await clock.advance(5 * MIN);
    // One chain looking at the clock every 30 s: 10 callbacks in 5 minutes (21 chains made 210).
    expect(fired).toBeLessThanOrEqual(10);
    expect(clock.pending()).toBe(1);
    store.dispose();
  });

  it('an update() from a session$ listener as a refresh that did not extend the expiry is applied gets its proactive refresh', async () => {
    const clock = virtualClock();
    const r = refresher();
    const store = new SessionStore({ clock, refresh: r.fn, refreshMargin: MIN });
    const first = clock.now() + 10 * MIN;
    const later = clock.now() + 60 * MIN;
    store.login({ token: 'a', expiresAt: first });
    // The app learns the real expiry elsewhere and sets it as the refreshed session arrives.
    store.session$.subscribe((s) => {
      if (s.token === 'b' && s.expiresAt === first) store.update({ expiresAt: later });
    });
    const refreshed = store.refresh();
    await settle();
    r.calls[0]?.resolve({ token: 'b', expiresAt: first }); // a new token, the same expiry
    await refreshed;
    expect(store.session).toMatchObject({ token: 'b', expiresAt: later });
    await clock.advance(later - MIN - clock.now() + 1);
    expect(r.calls).toHaveLength(2); // refreshMargin before the new expiry, not at it
    store.dispose();
  });
});
