import type axios from 'axios';
import { getSessionEnd, isSessionError, SessionError, SessionStore, type Session, type SessionErrorCode } from '../lib/index';

describe('SessionError', () => {
  it('has a fixed name, a code, a cause and, for SESSION_ENDED, the reason', () => {
    const cause = new Error('root');
    const err = new SessionError('SESSION_ENDED', 'ended', { cause, reason: 'expired' });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('SessionError');
    expect(err.code).toBe('SESSION_ENDED');
    expect(err.cause).toBe(cause);
    expect(err.reason).toBe('expired');
  });

  it('isSessionError() narrows by code', () => {
    const err = new SessionError('DISPOSED', 'gone');
    expect(isSessionError(err)).toBe(true);
    expect(isSessionError(err, 'DISPOSED')).toBe(true);
    expect(isSessionError(err, 'INVALID_TOKEN')).toBe(false);
    expect(isSessionError(new Error('x'))).toBe(false);
    expect(isSessionError(null)).toBe(false);
    expect(isSessionError('SessionError')).toBe(false);
  });

  it('isSessionError() recognises an error from another bundled copy by its brand', () => {
    const foreign = Object.assign(new Error('from another copy'), { code: 'DISPOSED' });
    Object.defineProperty(foreign, Symbol.for('rx-session.SessionError'), { value: true });
    expect(foreign).not.toBeInstanceOf(SessionError);
    expect(isSessionError(foreign, 'DISPOSED')).toBe(true);
  });

  it('getSessionEnd() tells a logout cancellation from other failures', () => {
    expect(getSessionEnd(new Error('x'))).toBeUndefined();
    expect(getSessionEnd(undefined)).toBeUndefined();
    const ended = new SessionError('SESSION_ENDED', 'ended', { reason: 'user' });
    expect(getSessionEnd({ config: { signal: { reason: ended } } })).toBe(ended);
    const notEnded = new SessionError('DISPOSED', 'x');
    expect(getSessionEnd({ config: { signal: { reason: notEnded } } })).toBeUndefined();
  });
});

describe('public types', () => {
  it('pins the contract of Session and the error codes at compile time', () => {
    const store = new SessionStore<{ id: number }>();
    const session: Session<{ id: number }> = store.session;
    if (session.status === 'authenticated') {
      expect(session.token satisfies string).not.toBe('');
    } else {
      expect(session.token satisfies null).toBeNull();
    }
    // @ts-expect-error: a token must be a string or credentials
    expect(() => store.login(42)).toThrow();
    // @ts-expect-error: update() takes partial credentials, not a bare token
    expect(() => store.update('t')).toThrow();
    // @ts-expect-error: the user type is enforced
    expect(() => store.login({ token: 't', user: { id: 'x' } })).not.toThrow();
    const code: SessionErrorCode = 'NOT_AUTHENTICATED';
    // @ts-expect-error: the codes are a closed set
    const wrong: SessionErrorCode = 'NOPE';
    expect([code, wrong]).toHaveLength(2);
    // skipAuth is part of axios' request config by module augmentation, not `as any`.
    const config: Parameters<typeof axios.get>[1] = { skipAuth: true };
    expect(config.skipAuth).toBe(true);
  });
});

describe('error messages that point at the likely mistake', () => {
  const thrown = (fn: () => unknown): SessionError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof SessionError) return err;
      throw err;
    }
    throw new Error('did not throw');
  };

  it('an expiresAt in seconds (as a JWT exp is) is refused with EXPIRED, saying it looks like seconds', () => {
    const store = new SessionStore();
    const err = thrown(() => store.login({ token: 'sEcReT-1', expiresAt: 1_700_000_000 }));
    expect(err.code).toBe('EXPIRED');
    expect(err.message).toMatch(/^`login\(\)` got a token that expired \d+ ms ago/);
    expect(err.message).toMatch(
      /; `expiresAt` 1700000000 looks like seconds, not milliseconds since the epoch: multiply it by 1000$/,
    );
    expect(err.message).not.toContain('sEcReT');
    expect(store.session.token).toBeNull();
  });

  it('an expiresAt in ms that has passed is refused with EXPIRED, without the hint about seconds', () => {
    const store = new SessionStore();
    const err = thrown(() => store.login({ token: 'a', expiresAt: Date.now() - 60_000 }));
    expect(err.code).toBe('EXPIRED');
    expect(err.message).not.toContain('seconds');
  });

  it('credentials with an unknown field instead of a token are refused with INVALID_TOKEN naming the field, not its value', () => {
    const store = new SessionStore();
    const err = thrown(() => store.login({ access_token: 'sEcReT-2' } as never));
    expect(err.code).toBe('INVALID_TOKEN');
    expect(err.message).toBe(
      '`login()` got no `token` and an unknown field `access_token`; expected token, refreshToken, expiresAt or user',
    );
    expect(store.session.token).toBeNull();
  });

  it('credentials with a token and unknown fields are refused with INVALID_CREDENTIALS naming every one', () => {
    const store = new SessionStore();
    const err = thrown(() => store.login({ token: 'a', refresh_token: 'sEcReT-3', expires_in: 3600 } as never));
    expect(err.code).toBe('INVALID_CREDENTIALS');
    expect(err.message).toBe(
      '`login()` got unknown fields `refresh_token`, `expires_in`; expected token, refreshToken, expiresAt or user',
    );
    expect(err.message).not.toContain('sEcReT');
  });

  it('update() with an unknown field is refused with INVALID_CREDENTIALS naming it', () => {
    const store = new SessionStore();
    store.login('a');
    const err = thrown(() => store.update({ access_token: 'sEcReT-4' } as never));
    expect(err.code).toBe('INVALID_CREDENTIALS');
    expect(err.message).toBe('`update()` got an unknown field `access_token`; expected token, refreshToken, expiresAt or user');
    expect(store.session.token).toBe('a');
  });
});
