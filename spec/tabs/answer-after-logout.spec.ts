import { SessionStore, syncTabs } from '../../lib';

describe('a new tab that asked for the session hears of a logout first', () => {
  it('does not then take an answer that was sent before the logout (the ended session)', async () => {
    const channel = 'rx-session-spec-stale-answer';
    const store = new SessionStore();
    const others = new BroadcastChannel(channel);
    const stop = syncTabs(store, { channel }); // signed out: asks the open tabs
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Tab 3 logs the user out; tab 2 had answered the ask just before it heard of that.
      others.postMessage({ rx: 'rx-session', v: 1, from: 'tab-3', kind: 'logout' });
      others.postMessage({
        rx: 'rx-session',
        v: 1,
        from: 'tab-2',
        kind: 'answer',
        session: JSON.stringify({ v: 1, token: 'ended-token' }),
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(store.session.status).toBe('anonymous');
    } finally {
      stop();
      others.close();
      store.dispose();
    }
  });
});
