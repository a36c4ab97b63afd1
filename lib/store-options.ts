import type { SchedulerLike } from 'rxjs';
import { optionError, optionsObject } from './internal/options-object';
import { clockFromScheduler, hasMethods, systemClock, type Clock } from './clock';
import { describe } from './errors';
import { shown, type AuthenticatedSession, type Credentials } from './session';

/** The axios request config a refresh call hands to its refresh request (see {@link RefreshContext}). */
export interface RefreshRequestConfig {
  /** Sends no token, and is neither held behind the refresh nor retried after a 401. */
  readonly skipAuth: true;
  /** The refresh's signal: aborts the request when the refresh is abandoned. */
  readonly signal: AbortSignal;
}

/**
 * What a refresh call gets besides the session.
 *
 * Send the refresh request with `config` (or at least with `signal`): a bound instance
 * then neither holds it behind the refresh it belongs to, nor stamps the expired token on
 * it, nor tries to refresh when it fails.
 */
export interface RefreshContext {
  /** Aborts when the refresh is abandoned: logout, a new login, `refreshTimeout`, `dispose()`. */
  readonly signal: AbortSignal;
  /** An axios request config for the refresh request: `{ skipAuth: true, signal }`. */
  readonly config: RefreshRequestConfig;
  /** 0 for the first attempt, then 1, 2, … for retries after network errors. */
  readonly attempt: number;
}

/**
 * The app's refresh call: gets new credentials (or just a new access token) for
 * `session`, typically with its `refreshToken`. A new token brings its own expiry: the
 * `expiresAt` returned, or its JWT `exp`. A `refreshToken` or `user` not returned is kept.
 *
 * @example
 * ```ts
 * const refresh: RefreshFunction = async (session, { config }) => {
 *   const res = await api.post('/auth/refresh', { refreshToken: session.refreshToken }, config);
 *   return { token: res.data.access_token, refreshToken: res.data.refresh_token };
 * };
 * ```
 */
export type RefreshFunction<TUser = unknown> = (
  session: AuthenticatedSession<TUser>,
  ctx: RefreshContext,
) => Promise<Credentials<TUser> | string>;

/** Options of the {@link SessionStore} constructor. */
export interface SessionStoreOptions<TUser = unknown> {
  /**
   * Start signed in, for example with a token the app restored itself. Validated
   * like `login()`; no `session$` emission is lost, as a subscriber gets the current
   * session at once.
   */
  initial?: string | Credentials<TUser>;
  /**
   * The app's refresh call. With it, the store refreshes `refreshMargin` before the token
   * expires, and bound instances recover from a 401 by refreshing once and retrying.
   * Without it, the session ends with `logout('expired')` when the token expires.
   */
  refresh?: RefreshFunction<TUser>;
  /**
   * How long before `expiresAt` a proactive refresh starts, in milliseconds. Default
   * 60,000 (one minute). Never before half the token's life (from when the store got it to
   * its expiry) has passed: a token that lives shorter than twice the margin is refreshed
   * halfway through its life instead.
   */
  refreshMargin?: number;
  /** A refresh attempt that takes longer than this many milliseconds has failed. Default 10,000. */
  refreshTimeout?: number;
  /**
   * With a `refresh`: how many requests may carry a token that no response has confirmed
   * yet (one from `login()`, `update()` or `initial`, say restored from storage) before
   * the rest wait for the first answer. If that answer is a 401, the waiting requests go
   * after the refresh, with the new token, instead of all going out to be refused.
   * Tokens from `refresh` are trusted at once. Default 6 (what a browser sends at once
   * to one HTTP/1.1 origin); `Infinity` sends every request at once.
   */
  probeLimit?: number;
  /** Where time comes from (see {@link Clock}). Default: `Date.now()` and unref'd timers. */
  clock?: Clock;
  /** Alternatively, an RxJS scheduler to take time from, such as a `TestScheduler`. */
  scheduler?: SchedulerLike;
}

/** The options with defaults applied. */
export interface StoreSettings<TUser> {
  readonly refresh: RefreshFunction<TUser> | undefined;
  readonly margin: number;
  readonly timeout: number;
  readonly probeLimit: number;
  readonly clock: Clock;
}

const KEYS = ['initial', 'refresh', 'refreshMargin', 'refreshTimeout', 'probeLimit', 'clock', 'scheduler'];

// The longest delay `setTimeout` takes: a longer one fires at once (Node warns, browsers too).
const MAX_DELAY = 2 ** 31 - 1;

const API = '`new SessionStore()`';

/** The `TypeError` for option `name`, which `must` be something else. */
const badOption = (name: string, must: string): TypeError => optionError(API, name, must);

function duration(value: unknown, name: string, fallback: number, min: number, max = Infinity): number {
  if (value === undefined) return fallback;
  // `Number.isFinite` is false for anything but a number.
  if (!Number.isFinite(value) || (value as number) < min || (value as number) > max) {
    throw badOption(
      name,
      `must be a finite number of milliseconds ${max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`}; got ${shown(value)}`,
    );
  }
  return value as number;
}

/** Validates {@link SessionStoreOptions}; a bad one throws a `TypeError` that names it. */
export function parseStoreOptions<TUser>(options: unknown): StoreSettings<TUser> {
  const o = optionsObject(API, options, KEYS) as SessionStoreOptions<TUser>;
  if (o.refresh !== undefined && typeof o.refresh !== 'function') {
    throw badOption('refresh', `must be a function; got ${describe(o.refresh)}`);
  }
  if (o.clock !== undefined && o.scheduler !== undefined)
    throw new TypeError(`${API} takes \`clock\` or \`scheduler\`, not both`);
  if (o.clock !== undefined && !hasMethods(o.clock, 'now', 'setTimeout', 'clearTimeout')) {
    throw badOption('clock', 'must have `now()`, `setTimeout()` and `clearTimeout()`');
  }
  if (o.scheduler !== undefined && !hasMethods(o.scheduler, 'schedule', 'now')) {
    throw badOption('scheduler', 'must be an RxJS SchedulerLike');
  }
  const probeLimit: unknown = o.probeLimit === undefined ? 6 : o.probeLimit;
  if (probeLimit !== Infinity && !(Number.isInteger(probeLimit) && (probeLimit as number) >= 1)) {
    throw badOption('probeLimit', `must be a whole number ≥ 1, or Infinity; got ${shown(probeLimit)}`);
  }
  return {
    refresh: o.refresh,
    probeLimit: probeLimit as number,
    margin: duration(o.refreshMargin, 'refreshMargin', 60_000, 0),
    timeout: duration(o.refreshTimeout, 'refreshTimeout', 10_000, 1, MAX_DELAY),
    clock: o.clock ?? (o.scheduler !== undefined ? clockFromScheduler(o.scheduler) : systemClock),
  };
}

/** Options of {@link SessionStore.login}. */
export interface LoginOptions {
  /**
   * The token was read back from storage, not just issued: it may have been revoked while
   * the app was closed, so it is tested before every request carries it. Default `false`.
   */
  restored?: boolean;
}

const LOGIN_KEYS = ['restored'];

/** @internal `login()`'s `options`, checked. */
export function restoredOption(options: unknown): boolean {
  const { restored } = optionsObject('`login()`', options, LOGIN_KEYS) as LoginOptions;
  if (restored !== undefined && typeof restored !== 'boolean') {
    throw optionError('`login()`', 'restored', `must be a boolean; got ${describe(restored)}`);
  }
  return restored === true;
}
