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
  /** Posts a message as another tab would. */
  readonly post: (from: string, kind: string, token?: string) => void;
  /** Resolves once every message posted before has arrived (a final login from another tab). */
  readonly settled: () => Promise<void>;
}

async function withTabs(test: (tabs: Tabs) => Promise<void>): Promise<void> {
  const channel = `rx-session-crossed-${++channelCount}`;
  const store = new SessionStore();
  const others = new BroadcastChannel(channel);
  const heard: string[] = [];
  others.onmessage = (event: MessageEvent<{ kind: string; session?: string }>) => {
    const token = event.data.session === undefined ? '' : ` ${(JSON.parse(event.data.session) as { token: string }).token}`;
    heard.push(event.data.kind + token);
  };
  const sessions: Session[] = [];
  store.session$.subscribe((session) => sessions.push(session));
  const stop = syncTabs(store, { channel }); // signed out: asks the open tabs
  const post = (from: string, kind: string, token?: string): void =>
    others.postMessage({
      rx: 'rx-session',
      v: 1,
      from,
      kind,
      ...(token === undefined ? {} : { session: JSON.stringify({ v: 1, token }) }),
    });
  try {
    await test({
      store,
      sessions,
      heard,
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
    withTabs(async ({ store, sessions, heard, post, settled }) => {
      store.login('token-1');
      store.logout(); // tells the other tabs
      // Tab 2 refreshed just before it heard of the logout.
      post('tab-2', 'update', 'token-2');
      await settled();
      expect(tokens(sessions)).toEqual([null, 'token-1', null, 'last']);
      // …and it does not tell the other tabs to sign in again either.
      expect(heard).toEqual(['ask', 'login token-1', 'logout']);
    }));
});
