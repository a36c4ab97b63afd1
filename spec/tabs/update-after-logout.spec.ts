import { SessionStore, syncTabs } from '../../lib';

describe('a refresh in another tab crosses this tab’s logout', () => {
  it('the other tab’s update, sent before it heard of the logout, does not sign this tab back in', async () => {
    const channel = 'rx-session-spec-update-after-logout';
    const store = new SessionStore();
    const others = new BroadcastChannel(channel);
    const heard: unknown[] = [];
    others.onmessage = (event: MessageEvent) => heard.push(event.data);
    const stop = syncTabs(store, { channel });
    try {
      store.login('token-1');
      await new Promise((resolve) => setTimeout(resolve, 20));
      store.logout(); // tells the other tabs
      // Tab 2 refreshed just before it heard of the logout.
      others.postMessage({
        rx: 'rx-session',
        v: 1,
        from: 'tab-2',
        kind: 'update',
        session: JSON.stringify({ v: 1, token: 'token-2' }),
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(store.session.status).toBe('anonymous');
      // …and it does not tell the other tabs to sign in again either.
      expect(heard.map((m) => (m as { kind: string }).kind).filter((k) => k !== 'ask')).toEqual(['login', 'logout']);
    } finally {
      stop();
      others.close();
      store.dispose();
    }
  });
});
