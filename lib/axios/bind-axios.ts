import type { AxiosInstance, AxiosStatic } from 'axios';
import { axios } from './axios-values';
import { SessionError } from '../errors';
import { linkOf } from '../request/store-of';
import type { SessionStore } from '../session-store';
import { parseBindOptions, type BindAxiosOptions } from './bind-options';
import { createBinding } from './binding';

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

const bound = new WeakSet();

/**
 * The global `axios` is refused: this throws a `TypeError` (its defaults are shared by
 * every import), hence the `never`. Bind an instance from `axios.create()` instead.
 *
 * (Not a type error: code that checks the refusal at run time must still compile. Calling
 * what it returns is one: `never` has no call signature.)
 */
export function bindAxios<TUser>(store: SessionStore<TUser>, instance: AxiosStatic, options?: BindAxiosOptions): never;
/**
 * Binds an axios instance to a store, and returns the function that unbinds it.
 *
 * While bound:
 * - the instance's `defaults.headers.common[header]` follows the session (set to
 *   `<scheme> <token>`, deleted when signed out); the global `axios.defaults` is never
 *   touched;
 * - the header is stamped from the *current* session when the request is dispatched,
 *   only for requests to the `baseURL`'s origin, relative URLs and `allowedOrigins`
 *   (exact origins); elsewhere the session's token is removed;
 * - every request of a session is cancelled when that session ends (logout, a new
 *   login, dispose), with `CanceledError`; `config.signal.reason` is then a
 *   `SessionError('SESSION_ENDED')`. A caller's own `signal` still cancels its request;
 * - the header is listed in the request's `redact`, so serialised errors never show the
 *   token.
 *
 * To do so it adds a request interceptor (only its `runWhen` runs: it notes each request's
 * session when `get()` is called) and a response interceptor, and wraps `defaults.adapter`
 * (the fence, where the header is stamped as the request leaves; an adapter given per
 * request is fenced too) and `create()`; `unbind()` takes them away.
 *
 * `console.log(api.defaults.headers.common)` shows no `Authorization`: the binding's
 * default header is readable (`api.defaults.headers.common.Authorization`) but not
 * enumerable, so that axios does not copy it into every request; the fence stamps it as
 * the request leaves. Look at the request the server receives (or `config.headers` in an
 * adapter) to see it.
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
export function bindAxios<TUser>(store: SessionStore<TUser>, instance: AxiosInstance, options?: BindAxiosOptions): () => void;
export function bindAxios<TUser>(
  store: SessionStore<TUser>,
  instance: AxiosInstance,
  options: BindAxiosOptions = {},
): () => void {
  const link = linkOf(store, 'bindAxios()', 'bindAxios(store, instance)');
  assertInstance(instance);
  const settings = parseBindOptions(options);
  if (bound.has(instance)) {
    throw new SessionError('ALREADY_BOUND', '`bindAxios()`: instance already bound; unbind it first');
  }

  const binding = createBinding(link, instance, settings);
  let active = true;
  const unbind = (): void => {
    if (!active) return;
    active = false;
    detach();
    bound.delete(instance);
    binding.uninstall();
  };
  const detach = link.attach({ sync: binding.sync, detach: unbind });
  binding.install();
  bound.add(instance);
  return unbind;
}

/** What `assertInstance` probes, level by level: callers without types can pass anything. */
interface InstanceShape {
  interceptors?: { request?: { use?: unknown } };
  defaults?: { headers?: unknown };
}

function assertInstance(instance: unknown): asserts instance is AxiosInstance {
  // Optional chaining reads nothing of `null` and `undefined`, and a primitive has none of these.
  const candidate = instance as InstanceShape | null | undefined;
  if (typeof candidate?.interceptors?.request?.use !== 'function' || typeof candidate.defaults?.headers !== 'object') {
    throw new TypeError('`bindAxios(store, instance)` needs an axios instance from `axios.create()`');
  }
  // By shape as well as identity: an app and this library may load two copies of axios
  // (ESM and CJS), and only the default export carries `isCancel` and `Axios`.
  if (instance === axios || ('isCancel' in candidate && 'Axios' in candidate)) {
    throw new TypeError('`bindAxios()` refuses the global `axios` (its defaults are shared): bind `axios.create()`');
  }
}
