/**
 * `syncTabs` in Node, whose `BroadcastChannel` delivers between instances of one process:
 * two stores stand for two tabs. The two-tab specs in Chromium are in spec/browser/.
 */
import axios from 'axios';
import { bindAxios, getSessionEnd, SessionStore, syncTabs, type LogoutEvent, type TabSync } from '../../lib';
import { fakeAdapter } from '../support/fake-adapter';

let channelCount = 0;
let stops: TabSync[] = [];
const stores: SessionStore[] = [];

afterEach(() => {
  for (const stop of stops) stop();
  for (const store of stores) store.dispose();
  stops = [];
  stores.length = 0;
});

/** A fresh channel name per test, so no message leaks into the next one. */
const channelName = (): string => `rx-session-spec-${++channelCount}`;

function tab(channel: string, options: { initial?: string } = {}): SessionStore {
  const store = new SessionStore(options.initial === undefined ? {} : { initial: options.initial });
  stores.push(store);
  stops.push(syncTabs(store, { channel }));
  return store;
}

function boundApi(store: SessionStore): { get: (url: string) => Promise<unknown>; held: ReturnType<typeof fakeAdapter>['held'] } {
  const fake = fakeAdapter({ hold: true });
  const api = axios.create({ baseURL: 'https://api.test', adapter: fake.adapter });
  bindAxios(store, api);
  return { get: (url) => api.get(url), held: fake.held };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets messages in flight arrive (a few macrotask turns). */
const quiet = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

describe('syncTabs: what a tab does when another tab changes the session', () => {
  it('another tab logs in: this tab is signed in with that session as a new epoch, and its requests of the previous session are cancelled', async () => {
    const channel = channelName();
    const a = tab(channel);
    const b = tab(channel, { initial: 'old-b' });
    const api = boundApi(b);
    const pending = api.get('/slow').catch((err: unknown) => err);
    await until('the request is out', () => api.held.length === 1);
    a.login({ token: 'from-a', user: { id: 1 } });
    await until('b takes the session', () => b.session.token === 'from-a');
    expect(b.session).toMatchObject({ token: 'from-a', user: { id: 1 } });
    expect(getSessionEnd(await pending)?.reason).toBe('replaced');
  });

  it('another tab refreshes or updates: this tab takes the new token in the same epoch, and nothing is cancelled', async () => {
    const channel = channelName();
    const a = tab(channel);
    const b = tab(channel);
    a.login('first');
    await until('b signs in', () => b.session.token === 'first');
    const api = boundApi(b);
    const pending = api.get('/slow');
    await until('the request is out', () => api.held.length === 1);
    a.update({ token: 'rotated', refreshToken: 'rt-2' });
    await until('b takes the new token', () => b.session.token === 'rotated');
    expect(b.session.refreshToken).toBe('rt-2');
    expect(b.inFlight).toBe(1);
    api.held[0]?.respond(200);
    await expect(pending).resolves.toMatchObject({ status: 200 });
  });

  it("another tab logs out: this tab logs out with reason 'remote', its in-flight requests are cancelled, and none leaves with the old token", async () => {
    const channel = channelName();
    const a = tab(channel);
    const b = tab(channel);
    a.login('shared');
    await until('b signs in', () => b.session.token === 'shared');
    const api = boundApi(b);
    const logouts: LogoutEvent[] = [];
    b.logout$.subscribe((e) => logouts.push(e));
    const pending = api.get('/slow').catch((err: unknown) => err);
    await until('the request is out', () => api.held.length === 1);
    a.logout();
    await until('b logs out', () => b.session.status === 'anonymous');
    expect(logouts.map((e) => e.reason)).toEqual(['remote']);
    expect(getSessionEnd(await pending)?.reason).toBe('remote');
    void api.get('/after');
    await until('the next request is out', () => api.held.length === 2);
    expect(api.held[1]?.config.headers.Authorization).toBeUndefined();
  });

  it('a tab that opens while another is signed in gets the session from it, with no storage at all', async () => {
    const channel = channelName();
    const a = tab(channel);
    a.login({ token: 'open-tab', refreshToken: 'rt' });
    await quiet();
    const started = Date.now();
    const b = tab(channel);
    await until('b gets the session', () => b.session.token === 'open-tab');
    expect(Date.now() - started).toBeLessThan(500);
    expect(b.session.refreshToken).toBe('rt');
  });

  it('a tab does not hear its own messages, nor echo what it heard', async () => {
    const channel = channelName();
    const spy = new BroadcastChannel(channel);
    const seen: unknown[] = [];
    spy.onmessage = (e: MessageEvent) => seen.push((e.data as { kind: string }).kind);
    try {
      const a = tab(channel);
      const b = tab(channel);
      const events: string[] = [];
      a.events$.subscribe((e) => events.push(e.type));
      a.login('once');
      await until('b signs in', () => b.session.token === 'once');
      await quiet();
      // Each asked at start, and a answered b's ask; b took the login without sending it back.
      expect(seen.filter((kind) => kind !== 'ask' && kind !== 'answer')).toEqual(['login']);
      expect(events).toEqual(['login']);
    } finally {
      spy.close();
    }
  });
});

describe('syncTabs: messages', () => {
  it.each([
    ['garbage', 'not a message'],
    [
      'another version',
      { rx: 'rx-session', v: 2, from: 'x', kind: 'login', session: JSON.stringify({ v: 1, token: 'v2', id: 'x' }) },
    ],
    [
      'a token with CR/LF',
      { rx: 'rx-session', v: 1, from: 'x', kind: 'login', session: JSON.stringify({ v: 1, token: 'a\r\nX: 1', id: 'x' }) },
    ],
    ['a wrong shape', { rx: 'rx-session', v: 1, from: 'x', kind: 'login', session: '{"v":1,"id":"x"}' }],
    [
      'a session without the id of its login',
      { rx: 'rx-session', v: 1, from: 'x', kind: 'login', session: JSON.stringify({ v: 1, token: 't' }) },
    ],
    [
      'an unknown kind',
      { rx: 'rx-session', v: 1, from: 'x', kind: 'takeover', session: JSON.stringify({ v: 1, token: 't', id: 'x' }) },
    ],
  ])('%s: ignored, and a signed-out tab sends no token', async (_name, message) => {
    const channel = channelName();
    const b = tab(channel);
    const api = boundApi(b);
    const sender = new BroadcastChannel(channel);
    try {
      sender.postMessage(message);
      await quiet();
      expect(b.session.status).toBe('anonymous');
      void api.get('/me');
      await until('the request is out', () => api.held.length === 1);
      expect(api.held[0]?.config.headers.Authorization).toBeUndefined();
    } finally {
      sender.close();
    }
  });

  it('carries no more than persistSession would store: fields: [] sends the token alone, with the id of its login', async () => {
    const channel = channelName();
    const spy = new BroadcastChannel(channel);
    const sessions: string[] = [];
    spy.onmessage = (e: MessageEvent) => {
      const data = e.data as { session?: string };
      if (data.session !== undefined) sessions.push(data.session);
    };
    try {
      const a = new SessionStore();
      stores.push(a);
      stops.push(syncTabs(a, { channel, fields: [] }));
      a.login({ token: 'tok', refreshToken: 'secret-refresh', user: { id: 1 } });
      await until('the message', () => sessions.length === 1);
      expect(JSON.parse(sessions[0] ?? '')).toEqual({ v: 1, token: 'tok', id: expect.any(String) as string });
    } finally {
      spy.close();
    }
  });

  it('stop() (or calling the result) stops following the other tabs', async () => {
    const channel = channelName();
    const a = tab(channel);
    const b = new SessionStore();
    stores.push(b);
    const sync = syncTabs(b, { channel });
    sync.stop();
    a.login('unheard');
    await quiet();
    expect(b.session.status).toBe('anonymous');
  });

  it('closes its BroadcastChannel when the store is disposed, without telling the other tabs of a logout', async () => {
    const Original = globalThis.BroadcastChannel;
    const open = new Set<BroadcastChannel>();
    globalThis.BroadcastChannel = class extends Original {
      constructor(name: string) {
        super(name);
        open.add(this);
      }
      override close(): void {
        open.delete(this);
        super.close();
      }
    };
    const channel = channelName();
    let b: SessionStore;
    try {
      b = new SessionStore({ initial: 'shared' });
      syncTabs(b, { channel });
    } finally {
      globalThis.BroadcastChannel = Original;
    }
    const a = tab(channel, { initial: 'shared' });
    expect(open.size).toBe(1);
    b.dispose();
    expect(open.size).toBe(0);
    await quiet();
    expect(a.session).toMatchObject({ status: 'authenticated', token: 'shared' });
  });
});

describe('syncTabs: its input', () => {
  it.each([
    ['an empty channel', { channel: '' }, /option `channel` must be a non-empty string/],
    ['an unknown field', { fields: ['token'] }, /option `fields` must be/],
    ['an unknown option', { chanel: 'x' }, /unknown option `chanel`/],
    ['options that are not an object', 'rx-session', /options must be an object/],
  ])('%s: a TypeError naming it, and the store unchanged', (_name, options, message) => {
    const store = new SessionStore({ initial: 'kept' });
    stores.push(store);
    expect(() => syncTabs(store, options as never)).toThrow(TypeError);
    expect(() => syncTabs(store, options as never)).toThrow(message);
    expect(store.session.token).toBe('kept');
  });
});
