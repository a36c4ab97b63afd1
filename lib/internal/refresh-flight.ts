import { timer, type Clock, type Timer } from '../clock';
import { errorName, isSessionError, SessionError } from '../errors';

/** What a {@link RefreshFlight} needs from its store. */
export interface FlightPlan {
  readonly clock: Clock;
  /** `refreshTimeout`: an attempt that takes longer has failed, for good. */
  readonly timeout: number;
  /**
   * Calls the app's refresh function once (attempt 0, 1, …). The attempt fails after
   * `timeout`, counted from its start or from the last `arm(ms)`: after `ms` (a wait for a
   * lock before the call) or `timeout` (the call starts now).
   */
  call(signal: AbortSignal, attempt: number, arm: (ms?: number) => void): unknown;
  /** No retry starts after this time: the token's life, as far as the store knows it. */
  retryUntil(): number;
  /** An attempt failed; `retryIn` is `undefined` when the failure is final. */
  failed(error: SessionError, retryIn: number | undefined, cause: FailureCause): void;
}

/** What an attempt's failure was, told without its message (which may quote a token). */
export interface FailureCause {
  /** The HTTP status of the refresh response, if one came back. */
  readonly status: number | undefined;
  /** Whether it failed on the network (no response): such failures are retried. */
  readonly network: boolean;
}

/** The first retry waits this long; each next one twice as long, up to {@link MAX_BACKOFF}. */
export const FIRST_BACKOFF = 1_000;
export const MAX_BACKOFF = 30_000;

/**
 * One refresh, which every caller shares (single flight): attempts of the app's refresh
 * function, each bounded by the timeout and given its own `AbortSignal`, with backoff
 * between attempts that failed on the network, for as long as the token has life.
 *
 * `result` resolves with what the successful attempt returned (or `undefined` once moot:
 * see `cancel()`), or rejects with a `REFRESH_FAILED` error, or with the reason given to `cancel()`.
 */
export class RefreshFlight {
  readonly result: Promise<unknown>;
  /**
   * The app put a newer token in place meanwhile (see `cancel()`): the result, whatever it
   * is, is moot. Set even when the refresh call had already settled and its result was on
   * its way.
   */
  moot = false;
  /** Resolves `result` with `value` (`ok`), or rejects it; the flight is then done. */
  #settle!: (ok: boolean, value: unknown) => void;
  readonly #plan: FlightPlan;
  #done = false;
  #controller: AbortController | undefined;
  /** The running attempt's timeout, or the backoff before the next one. */
  readonly #timer: Timer;
  /** The attempt a backoff timer waits to start, if one does. */
  #next: number | undefined;

  constructor(plan: FlightPlan) {
    this.#plan = plan;
    this.#timer = timer(plan.clock);
    this.result = new Promise((resolve, reject) => {
      this.#settle = (ok, value) => {
        this.#done = true;
        (ok ? resolve : reject)(value);
      };
    });
  }

  /**
   * The running attempt's signal, `undefined` while none runs (waiting to retry): a request
   * that carries it is the refresh's own.
   */
  get signal(): AbortSignal | undefined {
    return this.#controller?.signal;
  }

  /** Starts the first attempt. */
  start(): void {
    this.#attempt(0);
  }

  /**
   * Starts the next attempt now if the flight is waiting out a backoff (an app that calls
   * `store.refresh()` on its own, say when the network comes back, is not kept waiting).
   */
  retryNow(): void {
    const next = this.#next;
    // Its timeout timer replaces the backoff's.
    if (!this.#done && next !== undefined) this.#attempt(next);
  }

  /**
   * Abandons the flight: the running attempt's signal aborts with `reason`, and `result`
   * rejects with it, or, when `moot` (the app put a newer token in place itself), resolves
   * with `undefined`: whoever started it decides what its callers get.
   */
  cancel(reason: SessionError, moot = false): void {
    if (moot) this.moot = true;
    if (this.#done) return;
    this.#done = true;
    this.#timer.clear();
    const controller = this.#controller;
    this.#controller = undefined;
    controller?.abort(reason);
    this.#settle(moot, moot ? undefined : reason);
  }

  #attempt(attempt: number): void {
    this.#next = undefined;
    const { timeout } = this.#plan;
    const controller = new AbortController();
    this.#controller = controller;
    const finish = (ok: boolean, value: unknown): void => {
      if (this.#done || this.#controller !== controller) return;
      this.#controller = undefined;
      this.#timer.clear();
      if (ok) this.#settle(true, value);
      else this.#failed(attempt, value);
    };
    const expire = (): void => {
      const error = new SessionError('REFRESH_FAILED', `The refresh call exceeded \`refreshTimeout\` (${timeout} ms)`);
      controller.abort(error);
      finish(false, error);
    };
    const arm = (ms = timeout): void => {
      if (this.#controller === controller) this.#timer.set(expire, ms);
    };
    arm();
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(this.#plan.call(controller.signal, attempt, arm));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => finish(true, value),
      (err: unknown) => finish(false, err),
    );
  }

  #failed(attempt: number, cause: unknown): void {
    const { clock } = this.#plan;
    const network = isNetworkError(cause);
    // The last retry is brought forward to fit in the token's life rather than dropped:
    // giving up while the token still works would be a random logout.
    const delay = Math.min(FIRST_BACKOFF * 2 ** attempt, MAX_BACKOFF, this.#plan.retryUntil() - clock.now());
    const retry = network && delay > 0;
    const answered = (cause as { response?: { status?: unknown } } | null)?.response?.status;
    const status = typeof answered === 'number' ? answered : undefined;
    const error = isSessionError(cause, 'REFRESH_FAILED')
      ? cause
      : refreshFailure(cause, status, network, retry ? delay : undefined);
    if (retry) {
      // Planned before anyone hears of the failure: a listener that calls `store.refresh()`
      // starts this attempt at once (`retryNow`).
      this.#next = attempt + 1;
      this.#timer.set(() => this.#attempt(attempt + 1), delay);
    } else {
      this.#done = true;
    }
    this.#plan.failed(error, retry ? delay : undefined, { status, network });
    if (!retry) this.#settle(false, error);
  }
}

// axios codes for a request that was never valid, or was cancelled: not the network's fault.
const NOT_NETWORK = /^ERR_(CANCELED|BAD_OPTION(_VALUE)?|INVALID_URL|NOT_SUPPORT|DEPRECATED)$/;
// Node's (and undici's) codes for a connection that failed or broke.
const NETWORK = /^(ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|EPIPE|UND_ERR_|ERR_NETWORK)/;

/**
 * Whether a refresh failed on the network, with no response: such a failure is retried.
 * An HTTP response (a 400 or 401 `invalid_grant`) or any other error is final.
 */
export function isNetworkError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { isAxiosError?: unknown; response?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  if (e.response != null) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (e.isAxiosError === true) return !NOT_NETWORK.test(code);
  if (NETWORK.test(code)) return true;
  // fetch: Node says 'fetch failed', Chromium 'Failed to fetch', Firefox 'NetworkError…', Safari 'Load failed'.
  return error instanceof TypeError && /fetch|network|load failed/i.test(String(e.message));
}

/**
 * A `REFRESH_FAILED` error describing `cause` by its `status` (HTTP), or whether it failed on
 * the `network`, or its code, never by its message (it may quote a token).
 */
function refreshFailure(cause: unknown, status: number | undefined, network: boolean, retryIn: number | undefined): SessionError {
  const e = (typeof cause === 'object' && cause !== null ? cause : {}) as {
    response?: { data?: { error?: unknown } };
    code?: unknown;
    name?: unknown;
  };
  const oauth = e.response?.data?.error;
  const code = typeof e.code === 'string' && /^[A-Z][A-Z0-9_]{0,40}$/.test(e.code) ? ` (${e.code})` : '';
  const what =
    status !== undefined
      ? `with HTTP ${status}${typeof oauth === 'string' && /^[a-z_]{1,40}$/.test(oauth) ? ` ${oauth}` : ''}`
      : network
        ? `on the network${code}`
        : `with ${errorName(e) ?? 'a non-network error'}${code}`;
  const next = retryIn === undefined ? '' : `; retrying in ${retryIn} ms`;
  return new SessionError('REFRESH_FAILED', `The refresh call failed ${what}${next}`);
}
