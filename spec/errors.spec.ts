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
