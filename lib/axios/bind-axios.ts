import axios, {
  CanceledError,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { isSessionError, SessionError } from '../errors';
import { aborted, RequestSignal, type AbortScope } from '../internal/abort-scope';
import { storeLinks, type StoreState } from '../internal/store-link';
import type { SessionStore } from '../session-store';
import { createOriginPolicy } from './origin-policy';
import { parseBindOptions, type BindAxiosOptions } from './bind-options';

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

/** The binding's view of the store's state when a request's chain was built. */
interface Stamp {
  readonly scope: AbortScope | null;
  /** The header value (`<scheme> <token>`), or `null` while anonymous. */
  readonly value: string | null;
}

// axios calls an interceptor's `runWhen(config)` synchronously inside `get()`, right after
// merging the defaults and before any interceptor runs. The stamp taken there tells the
// request interceptor which epoch a request was issued in, even when other (async)
// interceptors delay it past a logout. (A symbol in the defaults would do the same, but
// costs axios' mergeConfig about 5% of a request.)
const STAMP = Symbol('rx-session.stamp');
type Stamped = { [STAMP]?: Stamp; redact?: string[] };

const bound = new WeakSet<object>();

/**
 * Binds an axios instance to a store, and returns the function that unbinds it.
 *
 * While bound:
 * - the instance's `defaults.headers.common[header]` follows the session (set to
 *   `<scheme> <token>`, deleted when signed out); the global `axios.defaults` is never
 *   touched;
 * - a synchronous request interceptor stamps the header from the *current* session when
 *   the request is dispatched, only for requests to the `baseURL`'s origin, relative URLs
 *   and `allowedOrigins` (exact origins);
 * - every request of a session is cancelled when that session ends (logout, a new
 *   login, dispose), with `CanceledError`; `config.signal.reason` is then a
 *   `SessionError('SESSION_ENDED')`. A caller's own `signal` still cancels its request;
 * - the header is listed in `redact`, so serialised errors never show the token.
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
 * await api.get('/me');                       // Authorization: Bearer <token>
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

  let seenState: StoreState | undefined;
  let stamp: Stamp = { scope: null, value: null };
  /** The stamp of the store's current state, rebuilt only when the state changed. */
  function current(): Stamp {
    const state = link!.state();
    if (state !== seenState) {
      seenState = state;
      const token = state.session.token;
      stamp = { scope: state.scope, value: token === null ? null : scheme === '' ? token : `${scheme} ${token}` };
    }
    return stamp;
  }

  // One frozen list shared by every request: no allocation per request, and no request
  // can change another's.
  const redactList: string[] = Object.freeze([header]) as string[];
  /** List the header in axios' `redact`, so that a serialised error of this request never shows it. */
  function redact(config: Stamped): void {
    const list = config.redact;
    if (list === undefined) config.redact = redactList;
    else if (list !== redactList && !list.includes(header)) config.redact = [...list, header];
  }

  /** `runWhen`: called when the chain is built, synchronously inside `get()`. Always runs the interceptor. */
  function capture(config: InternalAxiosRequestConfig): boolean {
    const at = current();
    (config as Stamped)[STAMP] = at;
    if (at.value !== null) redact(config as Stamped);
    return true;
  }

  function onRequest(config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
    const merged = (config as Stamped)[STAMP];
    const headers = config.headers as InternalAxiosRequestConfig['headers'] & Record<string, unknown>;
    const sent = headers[header];

    if (config.skipAuth === true) {
      // Remove the session's header (merged from the defaults), but keep one the caller
      // set on this request for an auth of their own.
      if (sent !== undefined && (sent === merged?.value || sent === current().value)) headers.delete(header);
      return config;
    }
    const now = current();
    if (merged !== undefined && merged.scope !== null && merged.scope !== now.scope) {
      // Issued in a session that has ended while it waited in the interceptor chain.
      config.signal = aborted(merged.scope.endedWith);
      throw new CanceledError('canceled: the session this request was issued in has ended', config);
    }
    if (now.scope === null) {
      if (sent !== undefined) headers.delete(header);
      return config;
    }
    // The binding owns the header: whatever the config carries (a stale default, a retried
    // config's old token), it leaves with the current token or not at all.
    if (mayCarryToken(config)) {
      if (sent !== now.value) {
        if (sent === undefined) headers.set(header, now.value);
        else headers[header] = now.value;
        redact(config as Stamped);
      }
    } else if (sent !== undefined) {
      headers.delete(header);
    }
    config.signal = now.scope.track(config.signal);
    return config;
  }

  function onFulfilled(response: AxiosResponse): AxiosResponse {
    const signal = (response as Partial<AxiosResponse> | undefined)?.config?.signal;
    if (signal instanceof RequestSignal) {
      signal.settle();
      // A response that was on its way when the session ended is never delivered.
      if (signal.aborted && isSessionError(signal.reason, 'SESSION_ENDED')) {
        throw new CanceledError(undefined, response.config, response.request);
      }
    }
    return response;
  }

  function onRejected(error: unknown): Promise<never> {
    const signal = (error as { config?: { signal?: unknown } } | null)?.config?.signal;
    if (signal instanceof RequestSignal) signal.settle();
    return Promise.reject(error);
  }

  const detach = link.attach({
    sync() {
      const { value } = current();
      if (value === null) delete common[header];
      else common[header] = value;
    },
    detach: () => unbind(),
  });
  const requestId = instance.interceptors.request.use(onRequest, undefined, { synchronous: true, runWhen: capture });
  const responseId = instance.interceptors.response.use(onFulfilled, onRejected);
  bound.add(instance);

  let active = true;
  const unbind = (): void => {
    if (!active) return;
    active = false;
    detach();
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
    if (common[header] === stamp.value) delete common[header];
    bound.delete(instance);
  };

  return unbind;
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
