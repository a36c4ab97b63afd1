import { memoryStorage, persistSession, SessionStore } from '../../lib/index';

describe('persistSession with `fields` narrowed after a session was stored with more', () => {
  it('a restored session is written again without what `fields` leaves out: the stored refresh token does not stay', () => {
    const storage = memoryStorage();
    // Stored by the previous release of the app, which kept every field.
    storage.setItem(
      'rx-session',
      JSON.stringify({ v: 1, token: 'at-1', refreshToken: 'long-lived-rt', expiresAt: Date.now() + 60_000 }),
    );
    const store = new SessionStore();
    persistSession(store, { storage, fields: ['expiresAt', 'user'] });

    expect(store.session).toMatchObject({ token: 'at-1', refreshToken: undefined });
    expect(JSON.parse(storage.getItem('rx-session') as string)).toEqual({
      v: 1,
      token: 'at-1',
      id: expect.any(String) as string,
      expiresAt: store.session.expiresAt,
    });
    store.dispose();
  });
});
