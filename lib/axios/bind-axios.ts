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

/** What the defaults held for this binding when a request's config was merged. */
interface Stamp {
  readonly scope: AbortScope | null;
  /** The header value (`<scheme> <token>`), or `null` while anonymous. */
  readonly value: string | null;
}

// axios merges the instance defaults into a request's config when `get()` is called,
// and copies unknown keys, symbols included, by reference. A stamp kept in the defaults
// therefore tells the request interceptor which epoch a request was issued in, even
// when other (async) interceptors delay it past a logout.
const STAMP = Symbol('rx-session.stamp');
type Stamped = { [STAMP]?: Stamp };

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

  const defaults = instance.defaults as typeof instance.defaults & Stamped & { redact?: string[] };
  const common = defaults.headers.common as Record<string, unknown>;
  const mayCarryToken = createOriginPolicy(allowedOrigins, () => defaults.baseURL);
  const redactAdded = !(defaults.redact ?? []).includes(header);
  if (redactAdded) defaults.redact = [...(defaults.redact ?? []), header];

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

  function onRequest(config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
    const merged = (config as Stamped)[STAMP];
    const headers = config.headers as InternalAxiosRequestConfig['headers'] & Record<string, unknown>;
    const sent = headers[header];
    // The header is ours unless the caller put a value of their own in this request.
    const owned = sent === undefined || sent === merged?.value;

    if (config.skipAuth === true) {
      if (owned && sent !== undefined) headers.delete(header);
      return config;
    }
    const now = current();
    if (merged !== undefined && merged.scope !== null && merged.scope !== now.scope) {
      // Issued in a session that has ended while it waited in the interceptor chain.
      config.signal = aborted(merged.scope.endedWith);
      throw new CanceledError('canceled: the session this request was issued in has ended', config);
    }
    if (now.scope === null) {
      if (owned && sent !== undefined) headers.delete(header);
      return config;
    }
    if (owned) {
      if (mayCarryToken(config)) {
        if (sent !== now.value) {
          if (sent === undefined) headers.set(header, now.value);
          else headers[header] = now.value;
        }
        const redact = (config as { redact?: string[] }).redact;
        if (redact === undefined || !redact.includes(header)) {
          (config as { redact?: string[] }).redact = [...(redact ?? []), header];
        }
      } else if (sent !== undefined) {
        headers.delete(header);
      }
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
      defaults[STAMP] = stamp;
    },
    detach: () => unbind(),
  });
  const requestId = instance.interceptors.request.use(onRequest, undefined, { synchronous: true });
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
    delete defaults[STAMP];
    if (redactAdded) {
      const rest = (defaults.redact ?? []).filter((h) => h !== header);
      if (rest.length > 0) defaults.redact = rest;
      else delete defaults.redact;
    }
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
