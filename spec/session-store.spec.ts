import axios from 'axios';
import { firstValueFrom, toArray } from 'rxjs';
import { fakeAdapter } from './support/fake-adapter';
import { bindAxios, isSessionError, SessionStore, type LogoutEvent, type Session } from '../lib/index';

function record<T>(subscribe: (next: (value: T) => void) => unknown): T[] {
  const values: T[] = [];
  subscribe((v) => values.push(v));
  return values;
}

function expectSessionError(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isSessionError(thrown, code as never)).toBe(true);
}

describe('SessionStore', () => {
  describe('streams', () => {
    it('starts anonymous and replays the current session to every new subscriber', () => {
      const store = new SessionStore();
      expect(store.session).toEqual({ status: 'anonymous', token: null });
      store.login('t1');
      const late = record<Session>((next) => store.session$.subscribe(next));
      expect(late).toEqual([expect.objectContaining({ status: 'authenticated', token: 't1' })]);
    });

    it('emits every change on session$ in order', () => {
      const store = new SessionStore<{ name: string }>();
      const seen = record<Session<{ name: string }>>((next) => store.session$.subscribe(next));
      store.login({ token: 'a', user: { name: 'Ada' } });
      store.update({ token: 'b' });
      store.logout();
      expect(seen.map((s) => s.token)).toEqual([null, 'a', 'b', null]);
      expect(seen[1]).toEqual({
        status: 'authenticated',
        token: 'a',
        refreshToken: undefined,
        expiresAt: undefined,
        user: { name: 'Ada' },
      });
    });

    it('derives token$ and isAuthenticated$ without repeats', () => {
      const store = new SessionStore<{ name: string }>();
      const tokens = record<string | null>((next) => store.token$.subscribe(next));
      const flags = record<boolean>((next) => store.isAuthenticated$.subscribe(next));
      store.login('a');
      store.update({ user: { name: 'x' } }); // same token: no token$ emission
      store.update({ token: 'b' }); // still authenticated: no isAuthenticated$ emission
      store.logout();
      expect(tokens).toEqual([null, 'a', 'b', null]);
      expect(flags).toEqual([false, true, false]);
    });

    it('emits once on logout$ per real logout, with the reason and the session that ended', () => {
      const store = new SessionStore();
      const events = record<LogoutEvent>((next) => store.logout$.subscribe(next));
      const session = store.login('a');
      store.logout('expired');
      store.logout();
      store.logout('user');
      expect(events).toEqual([{ reason: 'expired', session }]);
    });

    it('does not replay logout$ to late subscribers', () => {
      const store = new SessionStore();
      store.login('a');
      store.logout();
      expect(record((next) => store.logout$.subscribe(next))).toEqual([]);
    });

    it('hands out frozen session snapshots', () => {
      const store = new SessionStore();
      const session = store.login('a');
      expect(Object.isFrozen(session)).toBe(true);
      expect(Object.isFrozen(store.session)).toBe(true);
    });
  });

  describe('login()', () => {
    it('returns the new session and accepts a bare token or credentials', () => {
      const store = new SessionStore<{ id: number }>();
      expect(store.login('abc')).toEqual(expect.objectContaining({ status: 'authenticated', token: 'abc' }));
      const expiresAt = Date.now() + 3_600_000;
      const s = store.login({ token: 'def', refreshToken: 'r', expiresAt, user: { id: 1 } });
      expect(s).toEqual({ status: 'authenticated', token: 'def', refreshToken: 'r', expiresAt, user: { id: 1 } });
      expect(store.session).toBe(s);
    });

    it('a login while signed in emits the new session without a logout event', () => {
      const store = new SessionStore();
      const seen = record<Session>((next) => store.session$.subscribe(next));
      const events = record((next) => store.logout$.subscribe(next));
      store.login('a');
      store.login('b');
      expect(seen.map((s) => s.token)).toEqual([null, 'a', 'b']);
      expect(events).toEqual([]);
    });

    it.each([
      ['an empty string', ''],
      ['whitespace only', '   '],
      ['a tab only', '\t'],
      ['CR/LF (header injection)', 'abc\r\nX-Evil: 1'],
      ['a bare LF', 'abc\ndef'],
      ['a NUL byte', 'abc\u0000def'],
      ['DEL', 'abc\u007fdef'],
      ['a non-ASCII character', 'abcé'],
      ['leading whitespace', ' abc'],
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['an object without token', { user: 'x' }],
      ['credentials with an empty token', { token: '' }],
      ['credentials with a CR/LF token', { token: 'a\r\nb' }],
    ])('refuses %s with INVALID_TOKEN and changes nothing', (_label, input) => {
      const store = new SessionStore();
      store.login('good');
      const seen = record<Session>((next) => store.session$.subscribe(next));
      expectSessionError(() => store.login(input as string), 'INVALID_TOKEN');
      expect(store.session.token).toBe('good');
      expect(seen).toHaveLength(1);
    });

    it('never puts the token value in its error message', () => {
      const store = new SessionStore();
      const secret = 'sEcReT-tOkEn\r\nX-Injected: yes';
      try {
        store.login(secret);
        throw new Error('login() did not throw');
      } catch (err) {
        expect(isSessionError(err, 'INVALID_TOKEN')).toBe(true);
        expect(String((err as { message?: unknown }).message)).not.toContain('sEcReT');
        expect(JSON.stringify(err)).not.toContain('sEcReT');
        expect((err as Error).message).toMatch(/`login\(\)` needs a token/);
        expect((err as Error).message).toMatch(/line break/);
      }
    });

    it.each([
      ['a negative expiresAt', { token: 'a', expiresAt: -1 }],
      ['a string expiresAt', { token: 'a', expiresAt: 'soon' }],
      ['NaN expiresAt', { token: 'a', expiresAt: Number.NaN }],
      ['an unknown field', { token: 'a', tokne: 'b' }],
    ])('refuses credentials with %s with INVALID_CREDENTIALS', (_label, input) => {
      const store = new SessionStore();
      expectSessionError(() => store.login(input as never), 'INVALID_CREDENTIALS');
      expect(store.session.token).toBeNull();
    });

    it('refuses an unsafe refresh token with INVALID_TOKEN', () => {
      const store = new SessionStore();
      expectSessionError(() => store.login({ token: 'a', refreshToken: 'r\nX' }), 'INVALID_TOKEN');
      expect(store.session.token).toBeNull();
    });
  });

  describe('update()', () => {
    it('changes the session within its epoch and returns it', () => {
      const store = new SessionStore<{ name: string }>();
      store.login({ token: 'a', refreshToken: 'r1' });
      const next = store.update({ token: 'b', user: { name: 'Bo' } });
      expect(next).toEqual(expect.objectContaining({ token: 'b', refreshToken: 'r1', user: { name: 'Bo' } }));
      expect(store.session).toBe(next);
    });

    it('does not emit when nothing changed', () => {
      const store = new SessionStore();
      store.login({ token: 'a', expiresAt: Date.now() + 3_600_000 });
      const seen = record<Session>((next) => store.session$.subscribe(next));
      store.update({ token: 'a' });
      store.update({});
      expect(seen).toHaveLength(1);
    });

    it('throws NOT_AUTHENTICATED when there is no session', () => {
      const store = new SessionStore();
      expectSessionError(() => store.update({ token: 'x' }), 'NOT_AUTHENTICATED');
      expect(store.session.token).toBeNull();
    });

    it('validates the changes and changes nothing on bad input', () => {
      const store = new SessionStore();
      store.login('a');
      expectSessionError(() => store.update({ token: '' }), 'INVALID_TOKEN');
      expectSessionError(() => store.update({ token: undefined } as never), 'INVALID_TOKEN');
      expectSessionError(() => store.update(null as never), 'INVALID_CREDENTIALS');
      expect(store.session.token).toBe('a');
    });
  });

  describe('logout()', () => {
    it('is idempotent: a second call emits nothing', () => {
      const store = new SessionStore();
      store.login('a');
      const seen = record<Session>((next) => store.session$.subscribe(next));
      store.logout();
      store.logout();
      expect(seen.map((s) => s.token)).toEqual(['a', null]);
    });

    it('refuses a reason that is not a non-empty string with a TypeError', () => {
      const store = new SessionStore();
      store.login('a');
      expect(() => store.logout('')).toThrow(TypeError);
      expect(() => store.logout(3 as never)).toThrow(/`logout\(reason\)`/);
      expect(store.session.token).toBe('a');
    });

    it('accepts any custom reason string', () => {
      const store = new SessionStore();
      const events = record<LogoutEvent>((next) => store.logout$.subscribe(next));
      store.login('a');
      store.logout('password-changed');
      expect(events[0]?.reason).toBe('password-changed');
    });
  });

  describe('reentrancy', () => {
    it('a subscriber that logs out during the login emission keeps every subscriber in order', () => {
      const store = new SessionStore();
      const first: (string | null)[] = [];
      const last: (string | null)[] = [];
      store.session$.subscribe((s) => {
        first.push(s.token);
        if (s.token === 'a') store.logout();
      });
      store.session$.subscribe((s) => last.push(s.token));
      store.login('a');
      expect(store.session.token).toBeNull();
      expect(first).toEqual([null, 'a', null]);
      expect(last).toEqual([null, 'a', null]);
    });

    it('a subscriber that logs in again from logout$ leaves a consistent state', () => {
      const store = new SessionStore();
      const seen = record<string | null>((next) => store.token$.subscribe(next));
      store.logout$.subscribe((e) => {
        if (e.reason === 'expired') store.login('fresh');
      });
      store.login('old');
      store.logout('expired');
      expect(store.session.token).toBe('fresh');
      expect(seen).toEqual([null, 'old', null, 'fresh']);
    });

    it('a subscriber that logs in during a logout emission is heard after the logout by all', () => {
      const store = new SessionStore();
      const a: (string | null)[] = [];
      const b: (string | null)[] = [];
      store.login('one');
      store.session$.subscribe((s) => {
        a.push(s.token);
        if (s.token === null && a.length === 2) store.login('two');
      });
      store.session$.subscribe((s) => b.push(s.token));
      store.logout();
      expect(a).toEqual(['one', null, 'two']);
      expect(b).toEqual(['one', null, 'two']);
    });
  });

  describe('reentrancy through logout$ and abort listeners', () => {
    it('emits logout$ right after the anonymous session, before a login made by a session$ subscriber', () => {
      const store = new SessionStore();
      const heard: string[] = [];
      store.session$.subscribe((s) => {
        heard.push(`session$ ${s.token}`);
        if (s.token === null && heard.length > 2) store.login('two');
      });
      store.logout$.subscribe((e) => heard.push(`logout$ ${e.reason} (store: ${store.session.token})`));
      store.login('one');
      store.logout();
      expect(heard).toEqual(['session$ null', 'session$ one', 'session$ null', 'logout$ user (store: two)', 'session$ two']);
      expect(store.session.token).toBe('two');
    });

    it('subscribers hear of a logout only after the old session’s requests were aborted', async () => {
      const store = new SessionStore();
      const fake = fakeAdapter({ hold: true });
      const api = axios.create({ adapter: fake.adapter });
      bindAxios(store, api);
      store.login('t');
      const caught = api.get('/x').catch((e: unknown) => e);
      await Promise.resolve();
      const signal = fake.held[0]?.config.signal;
      const abortedWhenHeard: boolean[] = [];
      store.session$.subscribe((s) => {
        if (s.token === null) abortedWhenHeard.push(signal?.aborted === true);
      });
      store.logout();
      expect(abortedWhenHeard).toEqual([true]);
      expect(axios.isCancel(await caught)).toBe(true);
    });

    it('an abort listener that logs out during a replacing login leaves the last emission equal to the state', async () => {
      const store = new SessionStore();
      const fake = fakeAdapter({ hold: true });
      const api = axios.create({ adapter: fake.adapter });
      bindAxios(store, api);
      store.login('one');
      const seen = record<string | null>((next) => store.token$.subscribe(next));
      const caught = api.get('/x').catch((e: unknown) => e);
      await Promise.resolve();
      // A listener on the old session's request that calls back into the store when it is cancelled.
      fake.held[0]?.config.signal?.addEventListener?.('abort', () => store.logout('reentrant'));
      store.login('two');
      expect(axios.isCancel(await caught)).toBe(true);
      expect(store.session.token).toBeNull();
      expect(seen).toEqual(['one', 'two', null]);
      expect(api.defaults.headers.common['Authorization']).toBeUndefined();
    });
  });

  describe('dispose()', () => {
    it('completes every stream, and every later call except dispose() throws DISPOSED', async () => {
      const store = new SessionStore();
      store.login('a');
      const all = firstValueFrom(store.session$.pipe(toArray()));
      const logouts = firstValueFrom(store.logout$.pipe(toArray()));
      const tokens = firstValueFrom(store.token$.pipe(toArray()));
      store.dispose();
      await expect(all).resolves.toHaveLength(1);
      await expect(logouts).resolves.toEqual([]);
      await expect(tokens).resolves.toEqual(['a']);
      expectSessionError(() => store.login('b'), 'DISPOSED');
      expectSessionError(() => store.update({ token: 'b' }), 'DISPOSED');
      expectSessionError(() => store.logout(), 'DISPOSED');
      expect(() => store.dispose()).not.toThrow();
    });

    it('a subscriber that comes after dispose() gets only the completion, also from inside a callback', () => {
      const store = new SessionStore();
      const late: (string | null)[] = [];
      let completed = false;
      store.session$.subscribe((s) => {
        if (s.token !== 'a') return;
        store.dispose();
        store.token$.subscribe({ next: (t) => late.push(t), complete: () => (completed = true) });
      });
      store.login('a');
      expect(completed).toBe(true);
      expect(late).toEqual([]);
    });

    it('a subscriber that comes from inside a callback right after a change gets the current session, as store.session says, then only later changes', () => {
      const store = new SessionStore();
      const late: { snapshot: boolean; heard: boolean[] }[] = [];
      const all: (string | null)[] = [];
      store.token$.subscribe((t) => all.push(t));
      store.session$.subscribe((s) => {
        if (s.token !== 'a') return;
        store.logout(); // queued behind the emission of 'a'
        const heard: boolean[] = [];
        store.isAuthenticated$.subscribe((yes) => heard.push(yes));
        late.push({ snapshot: store.session.status === 'authenticated', heard });
      });
      store.login('a');
      store.login('b');
      expect(late).toEqual([{ snapshot: false, heard: [false, true] }]);
      // Subscribers that were there hear every state in order.
      expect(all).toEqual([null, 'a', null, 'b']);
    });
  });

  describe('options', () => {
    it('starts signed in with `initial`', () => {
      const store = new SessionStore({ initial: { token: 'restored', user: 'u' } });
      expect(store.session).toEqual(expect.objectContaining({ status: 'authenticated', token: 'restored', user: 'u' }));
    });

    it('refuses bad options with a TypeError naming them', () => {
      expect(() => new SessionStore(null as never)).toThrow(TypeError);
      expect(() => new SessionStore({ intial: 'x' } as never)).toThrow(/unknown option `intial`/);
      expectSessionError(() => new SessionStore({ initial: '' }), 'INVALID_TOKEN');
    });
  });
});
