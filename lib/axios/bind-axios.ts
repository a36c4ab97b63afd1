import axios, {
  CanceledError,
  getAdapter,
  type AxiosAdapter,
  type AxiosInstance,
  type AxiosPromise,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { SessionError } from '../errors';
import { aborted, RequestSignal, type AbortScope } from '../internal/abort-scope';
import { storeLinks, type StoreState } from '../internal/store-link';
import type { SessionStore } from '../session-store';
import { parseBindOptions, type BindAxiosOptions } from './bind-options';
import { headerOf, removeHeader } from './headers';
import { createOriginPolicy } from './origin-policy';

declare module 'axios' {
  interface AxiosRequestConfig {
    /**
     * rx-session: send this request without the session's token, and do not tie it to
     * the session (logout does not cancel it). Set on a request of a bound instance.
     */
    skipAuth?: boolean;
  }

  interface GenericAbortSignal {
    /**
     * Why the signal was aborted. On a request of a bound instance cancelled because its
     * session ended, a `SessionError` with code `'SESSION_ENDED'` (see `getSessionEnd`).
     */
    readonly reason?: unknown;
  }
}

// axios calls an interceptor's `runWhen(config)` synchronously inside `get()`, right after
// merging the defaults and before any interceptor runs. The epoch noted there tells the
// request interceptor which session a request was issued in, even when other (async)
// interceptors delay it past a logout. (A symbol in the defaults would do the same, but
// costs axios' mergeConfig about 5% of a request.) It holds the epoch's scope, never a
// token, so logging a config shows none.
const EPOCH = Symbol('rx-session.epoch');
type Noted = InternalAxiosRequestConfig & { [EPOCH]?: AbortScope | null; redact?: string[] };

const bound = new WeakSet<object>();

// A fenced adapter remembers the adapter it wraps: a retried config brings the fence of
// its first attempt, which must be replaced, not wrapped again.
const WRAPPED = Symbol('rx-session.adapter');
type Fenced = AxiosAdapter & { [WRAPPED]?: InternalAxiosRequestConfig['adapter'] };

/**
 * Binds an axios instance to a store, and returns the function that unbinds it.
 *
 * While bound:
 * - the instance's `defaults.headers.common[header]` follows the session (set to
 *   `<scheme> <token>`, deleted when signed out); the global `axios.defaults` is never
 *   touched;
 * - the header is stamped from the *current* session when the request is dispatched,
 *   only for requests to the `baseURL`'s origin, relative URLs and `allowedOrigins`
 *   (exact origins); on other requests it is removed;
 * - every request of a session is cancelled when that session ends (logout, a new
 *   login, dispose), with `CanceledError`; `config.signal.reason` is then a
 *   `SessionError('SESSION_ENDED')`. A caller's own `signal` still cancels its request;
 * - the header is listed in the request's `redact`, so serialised errors never show the
 *   token.
 *
 * Requests with `skipAuth: true` carry no token and are not tied to the session.
 * Any number of instances can be bound to one store; an instance can be bound once.
 *
 * @throws {TypeError} for something that is not an axios instance (or is the global
 * `axios`), or a bad option, naming it. {@link SessionError} `DISPOSED`,
 * `ALREADY_BOUND`.
 *
 * @example
 * ```ts
 * const api = axios.create({ baseURL: 'https://api.example.com' });
 * const unbind = bindAxios(store, api, { allowedOrigins: ['https://files.example.com'] });
 * await api.get('/me');                         // Authorization: Bearer <token>
 * await api.get('/health', { skipAuth: true }); // no token, not cancelled by logout
 * unbind();
 * ```
 */
export function bindAxios<TUser>(
  store: SessionStore<TUser>,
  instance: AxiosInstance,
  options: BindAxiosOptions = {},
): () => void {
  const link = storeLinks.get(store as object);
  if (link === undefined) {
    if (typeof store === 'object' && store !== null && 'dispose' in store && 'session$' in store) {
      throw new SessionError('DISPOSED', '`bindAxios()` was called with a disposed SessionStore');
    }
    throw new TypeError('`bindAxios(store, instance)` needs a SessionStore as `store`');
  }
  assertInstance(instance);
  const { header, scheme, allowedOrigins } = parseBindOptions(options);
  if (bound.has(instance)) {
    throw new SessionError('ALREADY_BOUND', '`bindAxios()`: this axios instance is already bound; unbind it first');
  }

  const defaults = instance.defaults;
  const common = defaults.headers.common as Record<string, unknown>;
  const mayCarryToken = createOriginPolicy(allowedOrigins, () => defaults.baseURL);
  // axios (follow-redirects) drops `Authorization` on a redirect to another origin by
  // itself, but no other header: a custom one needs the same guard.
  const guardRedirects = header.toLowerCase() !== 'authorization';
  // The values this binding stamped lately. Where the token must not go (skipAuth, other
  // origins, signed out) these are removed, while a header of the caller's own is kept.
  const recent: string[] = [];

  let seenState: StoreState | undefined;
  let scope: AbortScope | null = null;
  let value: string | null = null;
  /** Brings `scope` and `value` up to the store's current state. */
  function refresh(): void {
    const state = link!.state();
    if (state === seenState) return;
    seenState = state;
    scope = state.scope;
    const token = state.session.token;
    value = token === null ? null : scheme === '' ? token : `${scheme} ${token}`;
    if (value !== null && !recent.includes(value)) {
      recent.unshift(value);
      recent.length = Math.min(recent.length, 8);
    }
  }

  /** Removes the session's token (the current or a recent one) from `headers`; keeps any other value. */
  function dropToken(headers: object): void {
    const sent = headerOf(headers, header);
    if (typeof sent === 'string' && recent.includes(sent)) removeHeader(headers, header);
  }

  /** Lists the header in axios' `redact`, so that a serialised error of this request never shows it. */
  function redact(config: Noted): void {
    const list = config.redact;
    if (list === undefined) config.redact = [header];
    else if (!list.includes(header)) config.redact = [...list, header];
  }

  /** `runWhen`: called when the chain is built, synchronously inside `get()`. Always runs the interceptor. */
  function noteEpoch(config: Noted): boolean {
    refresh();
    config[EPOCH] = scope;
    if (value !== null) redact(config);
    return true;
  }

  function onRequest(config: Noted): Noted {
    const headers = config.headers;
    refresh();
    if (config.skipAuth === true) {
      dropToken(headers);
      unfence(config);
      return config;
    }
    const issuedIn = config[EPOCH];
    if (issuedIn != null && issuedIn !== scope) cancelEnded(config, issuedIn);
    if (scope === null) {
      dropToken(headers);
      unfence(config);
      return config;
    }
    const stamp = mayCarryToken(config);
    if (stamp) {
      if (headers[header] !== value) headers.set(header, value);
      redact(config);
      if (guardRedirects) guardRedirect(config);
    } else {
      dropToken(headers);
    }
    config.adapter = fence(config, scope, stamp);
    return config;
  }

  /** Removes the token and throws: a request of an ended session must not leave. */
  function cancelEnded(config: Noted, ended: AbortScope): never {
    dropToken(config.headers);
    config.signal = aborted(ended.endedWith);
    throw new CanceledError('canceled: the session this request was issued in has ended', config);
  }

  /**
   * Wraps the adapter: the last step before bytes leave. There the request is checked
   * once more against the session (other interceptors may have run since), tied to the
   * epoch with its own signal, and untied when the adapter settles (for a streamed
   * body, when the stream closes), whatever response interceptors do afterwards.
   */
  function fence(checked: Noted, issuedIn: AbortScope, stamp: boolean): AxiosAdapter {
    const original = unwrap(checked.adapter);
    const { url, baseURL, allowAbsoluteUrls } = checked;
    const fenced: Fenced = (config) => {
      const request = config as Noted;
      refresh();
      if (issuedIn !== scope) cancelEnded(request, issuedIn);
      // An interceptor that ran after the binding's may have pointed the request elsewhere.
      if (request.url !== url || request.baseURL !== baseURL || request.allowAbsoluteUrls !== allowAbsoluteUrls) {
        stamp = mayCarryToken(request);
        if (stamp && guardRedirects) guardRedirect(request);
      }
      const headers = request.headers;
      if (!stamp) dropToken(headers);
      else if (headers[header] !== value) headers.set(header, value);
      const signal = issuedIn.track(request.signal);
      request.signal = signal;
      let pending: AxiosPromise;
      try {
        pending = getAdapter(original ?? axios.defaults.adapter, request)(request);
      } catch (err) {
        signal.settle();
        throw err;
      }
      return pending.then(
        (response) => {
          settleAfter(response, signal);
          return response;
        },
        (err: unknown) => {
          signal.settle();
          throw err;
        },
      );
    };
    fenced[WRAPPED] = original;
    return fenced;
  }

  /** Strips the header on a redirect to an origin that may not have the token. */
  function guardRedirect(config: Noted): void {
    const own = config.beforeRedirect;
    config.beforeRedirect = (options, responseDetails, requestDetails) => {
      const href = (options as { href?: unknown }).href;
      if (typeof href !== 'string' || !mayCarryToken({ url: href })) {
        const hop = (options as { headers?: Record<string, unknown> }).headers;
        if (hop !== undefined) removeHeader(hop, header);
      }
      own?.(options, responseDetails, requestDetails);
    };
  }

  function onFulfilled(response: AxiosResponse): AxiosResponse {
    const signal = (response as Partial<AxiosResponse> | undefined)?.config?.signal;
    // A response that was on its way when its session ended is never delivered.
    if (signal instanceof RequestSignal && signal.sessionEnded() !== undefined) {
      throw new CanceledError(undefined, response.config, response.request);
    }
    return response;
  }

  function onRejected(error: unknown): Promise<never> {
    const config = (error as { config?: InternalAxiosRequestConfig } | null)?.config;
    const signal = config?.signal;
    // Nor is a failure of an ended session: for the caller, the request was cancelled.
    if (signal instanceof RequestSignal && signal.sessionEnded() !== undefined && !axios.isCancel(error)) {
      return Promise.reject(new CanceledError(undefined, config));
    }
    return Promise.reject(error);
  }

  const detach = link.attach({
    sync() {
      refresh();
      removeHeader(common, header);
      if (value !== null) common[header] = value;
    },
    detach: () => unbind(),
  });
  const requestId = instance.interceptors.request.use(onRequest, undefined, { synchronous: true, runWhen: noteEpoch });
  const responseId = instance.interceptors.response.use(onFulfilled, onRejected);
  bound.add(instance);

  let active = true;
  const unbind = (): void => {
    if (!active) return;
    active = false;
    detach();
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
    if (value !== null && headerOf(common, header) === value) removeHeader(common, header);
    bound.delete(instance);
  };
  return unbind;
}

/** The adapter a fence wraps, or `adapter` itself. */
function unwrap(adapter: InternalAxiosRequestConfig['adapter']): InternalAxiosRequestConfig['adapter'] {
  return typeof adapter === 'function' && WRAPPED in adapter ? (adapter as Fenced)[WRAPPED] : adapter;
}

/** A retried config of an earlier session carries that session's fence: take it off. */
function unfence(config: InternalAxiosRequestConfig): void {
  const signal = config.signal;
  if (signal instanceof RequestSignal) {
    const origin = signal.origin;
    if (origin === undefined) delete config.signal;
    else config.signal = origin;
  }
  const adapter = config.adapter;
  if (typeof adapter !== 'function' || !(WRAPPED in adapter)) return;
  const original = (adapter as Fenced)[WRAPPED];
  if (original === undefined) delete config.adapter;
  else config.adapter = original;
}

/** Unties the request when the adapter is done with it: now, or when a streamed body closes. */
function settleAfter(response: AxiosResponse, signal: RequestSignal): void {
  const body = response.data as { once?: unknown; pipe?: unknown; destroyed?: boolean } | null | undefined;
  if (body != null && typeof body.once === 'function' && typeof body.pipe === 'function' && body.destroyed !== true) {
    // A Node stream: the http adapter keeps listening to the signal until it ends, so a
    // logout meanwhile still aborts it.
    (body.once as (event: string, fn: () => void) => void).call(body, 'close', () => signal.settle());
  } else {
    signal.settle();
  }
}

function assertInstance(instance: unknown): asserts instance is AxiosInstance {
  const candidate = instance as Partial<AxiosInstance> | null | undefined;
  const looksRight =
    (typeof candidate === 'function' || typeof candidate === 'object') &&
    candidate !== null &&
    typeof candidate.interceptors?.request?.use === 'function' &&
    typeof candidate.defaults?.headers === 'object';
  if (!looksRight) {
    throw new TypeError('`bindAxios(store, instance)` needs an axios instance from `axios.create()` as `instance`');
  }
  if (instance === axios) {
    throw new TypeError(
      '`bindAxios()` refuses the global `axios`: its defaults are shared by every import; bind `axios.create()` instead',
    );
  }
}
