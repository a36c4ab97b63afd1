import type { SessionError } from './errors';
import type { LogoutReason } from './session';

/** What every {@link SessionEvent} has. */
export interface SessionEventBase<TType extends string> {
  /** What happened. */
  readonly type: TType;
  /** When it happened, in milliseconds since the epoch, from the store's clock. */
  readonly timestamp: number;
  /** The same as `timestamp`, in short. */
  readonly at: number;
}

/** A session started (`login()`). */
export interface SessionLoginEvent extends SessionEventBase<'login'> {
  /** When its token expires, if known. */
  readonly expiresAt: number | undefined;
  /** Present when the session was restored (`login(…, { restored: true })`, `persistSession()`). */
  readonly restored?: true;
}

/** `update()` changed the session. */
export interface SessionUpdateEvent extends SessionEventBase<'update'> {
  /** When its token expires, if known. */
  readonly expiresAt: number | undefined;
}

/** A refresh succeeded: the session has a new token. */
export interface SessionRefreshEvent extends SessionEventBase<'refresh'> {
  /** When the new token expires, if known. */
  readonly expiresAt: number | undefined;
}

/** A refresh attempt failed. */
export interface SessionRefreshErrorEvent extends SessionEventBase<'refresh-error'> {
  /** A `REFRESH_FAILED` error saying what went wrong, without any token. */
  readonly error: SessionError;
  /**
   * Milliseconds until the next attempt (which `store.refresh()` brings forward), or
   * `undefined` when the failure is final (the session then ends with `'refresh-failed'`,
   * and a `logout` event follows).
   */
  readonly retryIn: number | undefined;
  /** The HTTP status the refresh call got, if a response came back (400 for `invalid_grant`, say). */
  readonly status: number | undefined;
  /** Whether it failed on the network, with no response (the failures that are retried). */
  readonly network: boolean;
}

/** The session ended. */
export interface SessionLogoutEvent extends SessionEventBase<'logout'> {
  /** Why it ended. */
  readonly reason: LogoutReason;
}

/**
 * `persistSession()` could not read, use or write the stored session. The store goes on
 * (signed out, or in memory). Never carries the stored value nor the storage's message.
 */
export interface SessionStorageErrorEvent extends SessionEventBase<'storage-error'> {
  /** What failed: reading the key, or writing or removing it. */
  readonly operation: 'read' | 'write' | 'remove';
  /**
   * Why: `'unreadable'` (the storage threw or rejected), `'invalid-json'`, `'invalid-shape'`
   * (not a session this version wrote), `'invalid-session'` (a field `login()` refuses, such
   * as a token with control characters), or `'unwritable'` (the storage threw or rejected).
   */
  readonly problem: 'unreadable' | 'invalid-json' | 'invalid-shape' | 'invalid-session' | 'unwritable';
  /** The name of the storage's error when it threw one (`'QuotaExceededError'`, `'SecurityError'`). */
  readonly errorName: string | undefined;
}

/**
 * What `events$` emits: one event per thing that happened to the session, with the time
 * it happened. For logging and analytics. No event ever carries a token's value, nor the
 * session object.
 */
export type SessionEvent =
  | SessionLoginEvent
  | SessionUpdateEvent
  | SessionRefreshEvent
  | SessionRefreshErrorEvent
  | SessionLogoutEvent
  | SessionStorageErrorEvent;

/** The `type` of a {@link SessionEvent}. */
export type SessionEventType = SessionEvent['type'];

/** @internal The time fields of an event. */
export function when(now: number): { timestamp: number; at: number } {
  return { timestamp: now, at: now };
}
