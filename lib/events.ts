import type { SessionError } from './errors';
import type { LogoutReason } from './session';

/**
 * What `events$` emits: one event per thing that happened to the session, with the time
 * it happened (`at`, milliseconds since the epoch, from the store's clock). For logging
 * and analytics. No event ever carries a token's value, nor the session object.
 *
 * - `login`: a session started (`expiresAt`: when its token expires, if known).
 * - `update`: `update()` changed the session.
 * - `refresh`: a refresh succeeded; the session has a new token.
 * - `refresh-error`: a refresh attempt failed. `retryIn` is the delay before the next
 *   attempt, or `undefined` when the failure is final (the session then ends with
 *   `'refresh-failed'`, and a `logout` event follows).
 * - `logout`: the session ended, and why.
 */
export type SessionEvent =
  | { readonly type: 'login'; readonly at: number; readonly expiresAt: number | undefined }
  | { readonly type: 'update'; readonly at: number; readonly expiresAt: number | undefined }
  | { readonly type: 'refresh'; readonly at: number; readonly expiresAt: number | undefined }
  | {
      readonly type: 'refresh-error';
      readonly at: number;
      /** A `REFRESH_FAILED` error saying what went wrong, without any token. */
      readonly error: SessionError;
      /** Milliseconds until the next attempt, or `undefined` if none will be made. */
      readonly retryIn: number | undefined;
      /** The HTTP status the refresh call got, if a response came back (400 for `invalid_grant`, say). */
      readonly status: number | undefined;
      /** Whether it failed on the network, with no response (the failures that are retried). */
      readonly network: boolean;
    }
  | { readonly type: 'logout'; readonly at: number; readonly reason: LogoutReason };

/** The `type` of a {@link SessionEvent}. */
export type SessionEventType = SessionEvent['type'];
