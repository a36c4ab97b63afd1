import { memoryStorage, persistSession, SessionStore, type SessionEvent } from '../../lib/index';
import { refresher } from '../support/refresher';

describe('a write that failed (quota) leaves an older session in the storage', () => {
  it('the next refresh does not take that older session back as if another tab had refreshed', async () => {
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn });
    const inner = memoryStorage();
    let full = false;
    const storage = {
      getItem: (k: string) => inner.getItem(k),
      setItem: (k: string, v: string) => {
        if (full) throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
        inner.setItem(k, v);
      },
      removeItem: (k: string) => inner.removeItem(k),
    };
    const events: SessionEvent[] = [];
    store.events$.subscribe((e) => events.push(e));
    persistSession(store, { storage });
    store.login({ token: 'opaque-1', refreshToken: 'rt-1' });
    full = true;

    const first = store.refresh();
    r.calls[0]?.resolve({ token: 'opaque-2', refreshToken: 'rt-2' });
    await first;
    expect(events.some((e) => e.type === 'storage-error')).toBe(true); // "the session goes on in memory"

    const second = store.refresh();
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    // The store's own session is the newest: the refresh function is called with it.
    expect(r.calls).toHaveLength(2);
    expect(r.calls[1]?.session.refreshToken).toBe('rt-2');
    r.calls[1]?.resolve({ token: 'opaque-3', refreshToken: 'rt-3' });
    const session = await second;
    expect(session.token).toBe('opaque-3');
    store.dispose();
  });
});
