/**
 * A tab that opens while another logs out, and reads its stored session from an async
 * storage (IndexedDB, Capacitor Preferences): the read may return the session the other tab
 * has just ended. Two stores stand for two tabs (Node's `BroadcastChannel`).
 */
import { persistSession, SessionStore, syncTabs, type Session, type SessionStorageLike } from '../../lib';

const quiet = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

describe('syncTabs with persistSession: a logout heard while an async storage is read', () => {
  it('the session read afterwards is not restored, so neither this tab nor the others are signed back in with it', async () => {
    const channel = 'rx-session-restore-after-remote-logout';
    const a = new SessionStore();
    const stopA = syncTabs(a, { channel });
    a.login({ token: 'ended-token', user: { id: 1 } });

    // Tab B opens: its storage still holds tab A's session, and answers slowly.
    let answer!: (value: string | null) => void;
    const removed: string[] = [];
    const storage: SessionStorageLike = {
      getItem: () => new Promise<string | null>((resolve) => (answer = resolve)),
      setItem: () => undefined,
      removeItem: (key) => void removed.push(key),
    };
    const b = new SessionStore();
    const sessions: (string | null)[] = [];
    b.session$.subscribe((session: Session) => sessions.push(session.token));
    const persisted = persistSession(b, { storage });
    const stopB = syncTabs(b, { channel }); // asks the open tabs
    // The user logs out in tab A before its answer could leave.
    a.logout();
    await quiet(); // tab B hears of the logout

    answer(JSON.stringify({ v: 1, token: 'ended-token', user: { id: 1 } }));
    await persisted.ready;
    await quiet();

    try {
      expect(sessions).toEqual([null]);
      expect(a.session.status).toBe('anonymous');
      expect(removed).toEqual(['rx-session']); // the ended session is not left in the storage
    } finally {
      stopA();
      stopB();
      a.dispose();
      b.dispose();
    }
  });
});
