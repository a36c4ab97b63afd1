import type { LogoutReason } from './session';

/**
 * The closed set of reasons a {@link SessionError} is thrown for.
 *
 * - `INVALID_TOKEN`: a token or refresh token was empty, not a string, or unsafe to put in a header.
 * - `INVALID_CREDENTIALS`: another field of the credentials was malformed.
 * - `NOT_AUTHENTICATED`: the call needs a session and there is none.
 * - `DISPOSED`: the store was disposed; only `dispose()` may still be called.
 * - `SESSION_ENDED`: the reason a request of an ended session was cancelled with.
 * - `ALREADY_BOUND`: an axios instance was bound a second time.
 * - `EXPIRED`: a token already expired was given to a store that has no `refresh`.
 * - `REFRESH_FAILED`: the refresh call failed (an HTTP error, a non-network error,
 *   `refreshTimeout`, retries exhausted, or no usable credentials returned); the session
 *   was ended with `logout('refresh-failed')`.
 * - `REFRESH_UNAVAILABLE`: `refresh()` was called on a store created without `refresh`.
 */
export type SessionErrorCode =
  | 'INVALID_TOKEN'
  | 'INVALID_CREDENTIALS'
  | 'NOT_AUTHENTICATED'
  | 'DISPOSED'
  | 'SESSION_ENDED'
  | 'ALREADY_BOUND'
  | 'EXPIRED'
  | 'REFRESH_FAILED'
  | 'REFRESH_UNAVAILABLE';

// A registered symbol, so that two bundled copies of rx-session recognise each other's errors.
const BRAND = Symbol.for('rx-session.SessionError');

/** Options of the {@link SessionError} constructor. */
export interface SessionErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
  /** For `SESSION_ENDED`: why the session ended. */
  reason?: LogoutReason;
}

/**
 * The one error class rx-session throws (besides `TypeError` for bad options).
 *
 * Its `code` tells the cases apart; its message says what was expected and what came,
 * and never contains a token's value.
 *
 * @example
 * ```ts
 * try {
 *   store.login(input);
 * } catch (err) {
 *   if (isSessionError(err, 'INVALID_TOKEN')) showLoginError();
 * }
 * ```
 */
export class SessionError extends Error {
  /** Always `'SessionError'`, also in minified builds. */
  override readonly name = 'SessionError';
  // `code` and `reason` are `declare`d: the constructor makes them, after `name`.
  /** What went wrong, as a stable string literal. */
  declare readonly code: SessionErrorCode;
  /** For `SESSION_ENDED`: the logout reason, or `'replaced'` / `'disposed'`. */
  declare readonly reason: LogoutReason | undefined;

  /**
   * Creates an error; rx-session throws these itself, an app rarely needs to.
   *
   * @param code - What went wrong (see {@link SessionErrorCode}).
   * @param message - What was expected and what came; never a token's value.
   * @param options - The `cause`, and for `SESSION_ENDED` the logout `reason`.
   */
  constructor(code: SessionErrorCode, message: string, options: SessionErrorOptions = {}) {
    // `Error` takes a `cause` only when `options` has one (even `undefined`), and ignores `reason`.
    super(message, options);
    this.code = code;
    this.reason = options.reason;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * Tells whether `value` is a {@link SessionError}, optionally of one `code`.
 *
 * It compares a registered brand rather than the class alone, so it also recognises
 * errors thrown by another bundled copy of rx-session.
 *
 * @example
 * ```ts
 * if (isSessionError(err.config?.signal?.reason, 'SESSION_ENDED')) return; // logged out
 * ```
 */
export function isSessionError(value: unknown, code?: SessionErrorCode): value is SessionError {
  // Every SessionError gets the brand in its constructor, this copy's and any other's; a
  // primitive's prototype has none.
  return (
    (value as { [BRAND]?: unknown } | null)?.[BRAND] === true && (code === undefined || (value as SessionError).code === code)
  );
}

/** Names a value's type for error messages, without ever printing the value itself. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of length ${value.length}`;
  return typeof value;
}

/**
 * An error's `name` when it is a plain word (`QuotaExceededError`, `TypeError`), else
 * `undefined`: what errors are told by, never their message (it may quote a token).
 */
export function errorName(err: unknown): string | undefined {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^\w{1,40}$/.test(name) ? name : undefined;
}

/** What a call on a disposed store throws. */
export function disposed(api: string): SessionError {
  return new SessionError('DISPOSED', `\`${api}\` was called on a disposed SessionStore; create a new one`);
}

/**
 * The `SessionError('SESSION_ENDED')` a request was cancelled with, or `undefined` when
 * the request was not cancelled because its session ended (it failed otherwise, or the
 * caller's own signal cancelled it).
 *
 * It takes what the request rejected with: axios' `CanceledError` (it reads
 * `error.config.signal.reason`, which axios' `GenericAbortSignal` type does not declare), or
 * what a fetch function of `createFetch` rejects with, its signal's reason (the
 * `SessionError` itself), or the `HttpErrorResponse` of `sessionInterceptor` (its `error`).
 *
 * @example
 * ```ts
 * api.get('/me').catch((err) => {
 *   if (getSessionEnd(err)) return; // signed out meanwhile: nothing to show
 *   throw err;
 * });
 * ```
 */
export function getSessionEnd(error: unknown): SessionError | undefined {
  if (isSessionError(error, 'SESSION_ENDED')) return error;
  const e = error as { config?: { signal?: { reason?: unknown } }; error?: unknown } | null | undefined;
  const reason = e?.config?.signal?.reason ?? e?.error;
  return isSessionError(reason, 'SESSION_ENDED') ? reason : undefined;
}
