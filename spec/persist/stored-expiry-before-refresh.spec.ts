import { memoryStorage, persistSession, SessionStore } from '../../lib/index';
import { jwt, refresher } from '../support/refresher';
import { virtualClock } from '../support/virtual-clock';

describe('a newer session taken from the storage before a refresh', () => {
  it('keeps the stored JWT’s own expiry (it was not issued just now)', async () => {
    const clock = virtualClock();
    const now = clock.now();
    const r = refresher();
    const store = new SessionStore({ refresh: r.fn, clock });
    const storage = memoryStorage();
    // The security trade-off the docs describe, here also leaving the expiry to the JWT.
    persistSession(store, { storage, fields: ['refreshToken', 'user'] });
    store.login({ token: jwt(now + 60_000, { iat: (now - 540_000) / 1000 }), refreshToken: 'r1' });

    // Another tab refreshed 5 minutes ago: its token lives 10 minutes, until now + 5 min.
    const otherTabToken = jwt(now + 300_000, { iat: Math.floor((now - 300_000) / 1000) });
    storage.setItem('rx-session', JSON.stringify({ v: 1, token: otherTabToken, refreshToken: 'r2' }));

    const session = await store.refresh();
    expect(r.calls).toHaveLength(0); // taken from the storage, as documented
    expect(session.token).toBe(otherTabToken);
    // Its JWT says it expires at now + 5 min; the store believes now + 10 min.
    expect(session.expiresAt).toBe(Math.floor((now + 300_000) / 1000) * 1000);
    store.dispose();
  });
});
