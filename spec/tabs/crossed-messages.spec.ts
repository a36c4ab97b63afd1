/**
 * Messages that cross a logout on the tabs' channel: sent by another tab before it heard of
 * the logout, they arrive after it. A tab that stands for "the others" posts them raw; a
 * login it posts last tells when everything before it has arrived (one sender's messages
 * arrive in order).
 */
import { SessionStore, syncTabs, type Session } from '../../lib';

let channelCount = 0;

interface Tabs {
  /** The tab under test, and every session it went through. */
  readonly store: SessionStore;
  readonly sessions: Session[];
  /** What the tab under test posted, by kind and token. */
  readonly heard: string[];
  /** The login ids of the sessions the tab under test posted. */
  readonly ids: string[];
  /** Posts a message as another tab would; a session belongs to the login `id` (by default the sender's own). */
  readonly post: (from: string, kind: string, token?: string, id?: string) => void;
  /** Resolves once every message posted before has arrived (a final login from another tab). */
  readonly settled: () => Promise<void>;
}

async function withTabs(test: (tabs: Tabs) => Promise<void>): Promise<void> {
  const channel = `rx-session-crossed-${++channelCount}`;
  const store = new SessionStore();
  const others = new BroadcastChannel(channel);
  const heard: string[] = [];
  const ids: string[] = [];
  others.onmessage = (event: MessageEvent<{ kind: string; session?: string }>) => {
    const session =
      event.data.session === undefined ? undefined : (JSON.parse(event.data.session) as { token: string; id: string });
    heard.push(event.data.kind + (session === undefined ? '' : ` ${session.token}`));
    if (session !== undefined) ids.push(session.id);
  };
  const sessions: Session[] = [];
  store.session$.subscribe((session) => sessions.push(session));
  const stop = syncTabs(store, { channel }); // signed out: asks the open tabs
  const post = (from: string, kind: string, token?: string, id = `login-of-${from}`): void =>
    others.postMessage({
      rx: 'rx-session',
      v: 1,
      from,
      kind,
      ...(token === undefined ? {} : { session: JSON.stringify({ v: 1, token, id }) }),
    });
  try {
    await test({
      store,
      sessions,
      heard,
      ids,
      post,
      settled: async () => {
        post('tab-9', 'login', 'last');
        while (store.session.token !== 'last') await new Promise((resolve) => setTimeout(resolve, 2));
      },
    });
  } finally {
    stop();
    others.close();
    store.dispose();
  }
}

const tokens = (sessions: Session[]): (string | null)[] => sessions.map((s) => s.token);

describe('syncTabs: messages that cross a logout', () => {
  it('a new tab that asked for the session and then hears of a logout takes no answer sent before it', () =>
    withTabs(async ({ sessions, post, settled }) => {
      // Tab 3 logs the user out; tab 2 had answered the ask just before it heard of that.
      post('tab-3', 'logout');
      post('tab-2', 'answer', 'ended-token');
      await settled();
      expect(tokens(sessions)).toEqual([null, 'last']);
    }));

  it('a tab that logged out is not signed back in by an update another tab sent before it heard of the logout', () =>
    withTabs(async ({ store, sessions, heard, ids, post, settled }) => {
      store.login('token-1');
      store.logout(); // tells the other tabs
      while (ids.length === 0) await new Promise((resolve) => setTimeout(resolve, 2)); // the login reached tab 2
      // Tab 2 refreshed that login just before it heard of the logout.
      post('tab-2', 'update', 'token-2', ids[0]);
      await settled();
      expect(tokens(sessions)).toEqual([null, 'token-1', null, 'last']);
      // …and it does not tell the other tabs to sign in again either.
      expect(heard).toEqual(['ask', 'login token-1', 'logout']);
    }));

  it('an update of an ended login does not change the login that followed it', () =>
    withTabs(async ({ store, sessions, ids, post, settled }) => {
      store.login('token-1');
      store.logout();
      store.login('token-3'); // another login (perhaps another user's) in this tab
      while (ids.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
      // Tab 2 refreshed the first login before it heard of the logout and the new login.
      post('tab-2', 'update', 'token-2', ids[0]);
      await settled();
      expect(tokens(sessions)).toEqual([null, 'token-1', null, 'token-3', 'last']);
    }));

  it('an update of the current login is taken (the case above is not vacuous)', () =>
    withTabs(async ({ store, sessions, ids, post, settled }) => {
      store.login('token-1');
      while (ids.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      post('tab-2', 'update', 'token-2', ids[0]);
      await settled();
      expect(tokens(sessions)).toEqual([null, 'token-1', 'token-2', 'last']);
    }));
});
