import { describe, SessionError } from './errors';
import { jwtTime } from './jwt';

/**
 * What an app hands to `login()`: the access token and, optionally, what goes with it.
 *
 * @example
 * ```ts
 * store.login({ token: res.access_token, refreshToken: res.refresh_token, user: res.user });
 * ```
 */
export interface Credentials<TUser = unknown> {
  /** The access token, sent as `<scheme> <token>` by every bound axios instance. */
  token: string;
  /** A refresh token, kept with the session for the app's refresh call. */
  refreshToken?: string | undefined;
  /**
   * When the access token expires, in milliseconds since the epoch. When absent, it is
   * read from the token's JWT `exp` claim, if the token is a JWT.
   */
  expiresAt?: number | undefined;
  /** Whatever the app keeps about the signed-in user. */
  user?: TUser | undefined;
}

/** The state when nobody is signed in. `token` is `null`. */
export interface AnonymousSession {
  /** The discriminant: nobody is signed in. */
  readonly status: 'anonymous';
  /** No token: bound instances send none. */
  readonly token: null;
  /** Absent while signed out. */
  readonly refreshToken?: undefined;
  /** Absent while signed out. */
  readonly expiresAt?: undefined;
  /** Absent while signed out. */
  readonly user?: undefined;
}

/** The state while signed in: the token and what came with it. */
export interface AuthenticatedSession<TUser = unknown> {
  /** The discriminant: someone is signed in. */
  readonly status: 'authenticated';
  /** The access token every bound axios instance sends. Do not log it. */
  readonly token: string;
  /** The refresh token given to `login()` or `update()`, if any. */
  readonly refreshToken: string | undefined;
  /** When the access token expires, in milliseconds since the epoch, if known. */
  readonly expiresAt: number | undefined;
  /** The user given to `login()` or `update()`, if any. */
  readonly user: TUser | undefined;
}

/**
 * The current session: a union discriminated by `status`, where `token === null`
 * means there is no session. Snapshots are frozen; every change is a new object.
 */
export type Session<TUser = unknown> = AnonymousSession | AuthenticatedSession<TUser>;

/**
 * Why a session ended. The named ones are those rx-session itself uses or documents;
 * any other non-empty string is accepted for an app's own reasons.
 */
export type LogoutReason =
  | 'user'
  | 'expired'
  | 'refresh-failed'
  | 'unauthorized'
  | 'remote'
  // `string & {}` keeps the named literals in editors' completion lists.
  | (string & {});

/** What `logout$` emits: why the session ended, and the session that ended. */
export interface LogoutEvent<TUser = unknown> {
  /** Why the session ended: the reason given to `logout()`. */
  readonly reason: LogoutReason;
  /** The session that ended, as it was last. */
  readonly session: AuthenticatedSession<TUser>;
}

/** The one anonymous session object; it is frozen, so it can be shared. */
export const ANONYMOUS: AnonymousSession = Object.freeze({ status: 'anonymous', token: null });

// Printable ASCII, no leading or trailing space: what fits in an HTTP header value
// without a CR/LF (header injection), a control character, or bytes a browser refuses.
const SAFE_TOKEN = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** Why a string cannot be a token, in words that never quote the string. */
function tokenProblem(token: string): string | undefined {
  if (SAFE_TOKEN.test(token)) return undefined;
  if (token.length === 0) return 'an empty string';
  return `a string with ${
    /^\s*$/.test(token)
      ? 'only whitespace'
      : /[\r\n]/.test(token)
        ? 'a line break'
        : // eslint-disable-next-line no-control-regex
          /[\x00-\x1f\x7f]/.test(token)
          ? 'a control character'
          : /[^\x20-\x7e]/.test(token)
            ? 'a non-ASCII character'
            : 'surrounding whitespace'
  }`;
}

/**
 * Checks that `token` can be sent in a header, or throws `SessionError('INVALID_TOKEN')`.
 * The message names the API and the problem, never the value.
 */
export function assertToken(token: unknown, api: string, field = 'token'): asserts token is string {
  const problem = typeof token === 'string' ? tokenProblem(token) : describe(token);
  if (problem !== undefined) {
    throw new SessionError(
      'INVALID_TOKEN',
      `\`${api}\` needs ${field === 'token' ? 'a token' : `\`${field}\``}: a non-empty string of printable ASCII, not padded with spaces; got ${problem}`,
    );
  }
}

// In the order they are validated.
const CREDENTIAL_KEYS = ['token', 'refreshToken', 'expiresAt', 'user'] as const;

/** A value for an error message: a number as it is (it cannot be a secret), anything else by its type. */
export function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : describe(value);
}

function invalid(api: string, message: string): SessionError {
  return new SessionError('INVALID_CREDENTIALS', `\`${api}\` ${message}`);
}

/** `NOT_AUTHENTICATED` for `api`, called while signed out. */
export function needsSession(api: string): SessionError {
  return new SessionError('NOT_AUTHENTICATED', `\`${api}\` needs a session; call \`login()\` first`);
}

/**
 * Reads the credential fields of `input` once each (a getter or Proxy cannot hand one
 * value to validation and another to the session) and validates them. `login` credentials
 * need a token: without one, the message names the fields that came instead (an
 * `access_token` straight from an OAuth response, say), never their values.
 */
function readFields(input: Record<string, unknown>, api: string, login?: boolean): Partial<Credentials> {
  const unknown = Object.keys(input).filter((key) => !(CREDENTIAL_KEYS as readonly string[]).includes(key));
  const missing = login === true && !('token' in input);
  if (unknown.length > 0) {
    throw new SessionError(
      missing ? 'INVALID_TOKEN' : 'INVALID_CREDENTIALS',
      `\`${api}\` got ${missing ? 'no `token` and ' : ''}${unknown.length > 1 ? 'unknown fields' : 'an unknown field'} \`${unknown.join('`, `')}\`; expected token, refreshToken, expiresAt or user`,
    );
  }
  if (missing) assertToken(undefined, api);
  const fields: Partial<Credentials> = {};
  for (const key of CREDENTIAL_KEYS) {
    if (!(key in input)) continue;
    const value = input[key];
    if (key === 'token' || (key === 'refreshToken' && value !== undefined)) assertToken(value, api, key);
    // `Number.isFinite` is false for anything but a number.
    if (key === 'expiresAt' && value !== undefined && !(Number.isFinite(value) && (value as number) >= 0)) {
      throw invalid(api, `needs \`expiresAt\` in ms since the epoch, a finite number ≥ 0; got ${shown(value)}`);
    }
    (fields as Record<string, unknown>)[key] = value;
  }
  return fields;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function freeze<TUser>({ token, refreshToken, expiresAt, user }: Credentials<TUser>): AuthenticatedSession<TUser> {
  return Object.freeze({ status: 'authenticated', token, refreshToken, expiresAt, user });
}

/** Validates what `login()` received and turns it into a frozen authenticated session. */
export function sessionFromLogin<TUser>(input: unknown, api: string): AuthenticatedSession<TUser> {
  if (typeof input === 'string') input = { token: input };
  else if (!isObject(input)) assertToken(input, api); // throws: names what came instead of a token
  const fields = readFields(input as Record<string, unknown>, api, true) as Credentials<TUser>;
  return freeze({ ...fields, expiresAt: fields.expiresAt ?? jwtTime(fields.token, 'exp') });
}

/**
 * How far this machine's clock may be from the server's before the expiry of a token the
 * refresh just returned is read on this clock instead (see `sessionFromRefresh`).
 */
export const CLOCK_SKEW_TOLERANCE = 30_000;

/**
 * Validates what a refresh call returned (a token, or credentials) and makes it the next
 * session: a new token brings its own expiry (given, or its JWT `exp`), while a refresh
 * token or user it does not mention is kept.
 *
 * A token the refresh returns was issued just now. When its JWT `iat` is further than
 * {@link CLOCK_SKEW_TOLERANCE} from `now`, this machine's clock is off (a phone set minutes
 * ahead, say), and the JWT `exp` would put the expiry minutes early or late: it is read on
 * this clock instead, as `now` plus the token's lifetime (`exp - iat`). An `expiresAt`
 * the refresh gives is taken as it is. The very token the session already has (a server
 * that hands back a token still valid did not issue it now) keeps the expiry the session
 * has for it, corrected or given, while that lies ahead; after that, its own JWT `exp` as
 * it is (or none).
 */
export function sessionFromRefresh<TUser>(
  current: AuthenticatedSession<TUser>,
  result: unknown,
  api: string,
  now: number,
): AuthenticatedSession<TUser> {
  const next = sessionFromLogin<TUser>(result, api);
  let expiresAt = next.expiresAt;
  // A string has no `expiresAt` either.
  if ((result as Credentials).expiresAt === undefined) {
    if (next.token !== current.token) expiresAt = onThisClock(next.token, expiresAt, now);
    // The token the session has, handed back: the expiry the session has for it (corrected,
    // or given) while it lies ahead; after that, the token's own.
    else if (current.expiresAt !== undefined && current.expiresAt > now) expiresAt = current.expiresAt;
  }
  const refreshToken = next.refreshToken ?? current.refreshToken;
  return freeze<TUser>({ ...next, expiresAt, refreshToken, user: next.user ?? current.user });
}

/** A fresh JWT's expiry on this machine's clock, corrected by the skew its `iat` shows. */
function onThisClock(token: string, expiresAt: number | undefined, now: number): number | undefined {
  if (expiresAt === undefined) return undefined;
  const issuedAt = jwtTime(token, 'iat');
  if (issuedAt === undefined || issuedAt > expiresAt) return expiresAt;
  const skew = now - issuedAt;
  return Math.abs(skew) > CLOCK_SKEW_TOLERANCE ? expiresAt + skew : expiresAt;
}

/**
 * Validates what `update()` received and merges it into `current`. Returns `current`
 * itself when nothing changes, so that no emission is made for a no-op.
 */
export function sessionFromUpdate<TUser>(
  current: AuthenticatedSession<TUser>,
  changes: unknown,
  api: string,
): AuthenticatedSession<TUser> {
  if (!isObject(changes)) throw invalid(api, `needs an object of changes; got ${describe(changes)}`);
  const fields = readFields(changes, api);
  const merged: Credentials<TUser> = { ...current, ...(fields as Partial<Credentials<TUser>>) };
  // A new token without an `expiresAt` brings its own JWT expiry, if it has one.
  if (fields.token !== undefined && fields.token !== current.token && fields.expiresAt === undefined) {
    merged.expiresAt = jwtTime(fields.token, 'exp') ?? ('expiresAt' in fields ? undefined : current.expiresAt);
  }
  return CREDENTIAL_KEYS.every((key) => merged[key] === current[key]) ? current : freeze<TUser>(merged);
}
