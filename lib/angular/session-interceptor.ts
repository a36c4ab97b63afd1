import { HttpContextToken, type HttpErrorResponse, type HttpEvent, type HttpInterceptorFn } from '@angular/common/http';
import { InjectionToken, inject, makeEnvironmentProviders, type EnvironmentProviders } from '@angular/core';
import { Observable } from 'rxjs';
import { getSessionEnd, SessionStore } from 'rx-session';
import { functionOption, parseClientOptions, type ClientSettings } from '../request/client-options';
import { createOriginPolicy } from '../request/origin-policy';
import { dispatch } from '../request/protocol';
import { SessionView } from '../request/session-view';
import { linkOf } from '../request/store-of';
import { HttpExchange, type HttpBinding } from './http-exchange';

/**
 * Set on a request's `HttpContext` to send it without the token: not tied to the session
 * (a logout does not cancel it), never held for a refresh, never retried.
 *
 * @example
 * ```ts
 * http.get('/api/health', { context: new HttpContext().set(SKIP_AUTH, true) });
 * ```
 */
export const SKIP_AUTH = new HttpContextToken<boolean>(() => false);

/** The settings of {@link sessionInterceptor}; see {@link withSessionInterceptor}. */
export interface SessionInterceptorOptions {
  /**
   * Absolute origins that may receive the token besides the page's own (where relative
   * URLs go), compared exactly by parsed origin: `['https://api.example.com']`.
   */
  allowedOrigins?: readonly string[];
  /** The header the token goes in. Default `'Authorization'`. */
  header?: string;
  /** The word before the token; `''` sends the raw token. Default `'Bearer'`. */
  scheme?: string;
  /** Whether an error response means the token did not work: one shared refresh, one retry. Default: status 401. */
  shouldRefresh?: (error: HttpErrorResponse) => boolean;
}

interface InterceptorSettings extends ClientSettings {
  readonly shouldRefresh: (error: HttpErrorResponse) => boolean;
}

const API = 'withSessionInterceptor()';
const KEYS = ['allowedOrigins', 'header', 'scheme', 'shouldRefresh'] as const;
const is401 = (error: HttpErrorResponse): boolean => error.status === 401;

function parseInterceptorOptions(options: unknown): InterceptorSettings {
  const settings = parseClientOptions(API, options, KEYS);
  const given = (options as SessionInterceptorOptions | undefined)?.shouldRefresh;
  return {
    ...settings,
    shouldRefresh: functionOption(API, 'shouldRefresh', given, is401, '(error: HttpErrorResponse) => boolean'),
  };
}

/**
 * The interceptor's settings, as {@link withSessionInterceptor} provides them. Provide it
 * yourself (`{ provide: SESSION_INTERCEPTOR_OPTIONS, useValue: { … } }`) where a value
 * comes from elsewhere; it is checked when the first request is intercepted.
 */
export const SESSION_INTERCEPTOR_OPTIONS = new InjectionToken<SessionInterceptorOptions>('rx-session interceptor options');

/**
 * Configures {@link sessionInterceptor}: which origins get the token, in which header,
 * and which errors ask for a refresh. Without it, the token goes only to relative URLs
 * (the page's origin) in `Authorization: Bearer <token>`, and a 401 asks for a refresh.
 *
 * @throws {TypeError} for a bad option, naming it.
 */
export function withSessionInterceptor(options: SessionInterceptorOptions = {}): EnvironmentProviders {
  parseInterceptorOptions(options);
  return makeEnvironmentProviders([{ provide: SESSION_INTERCEPTOR_OPTIONS, useValue: options }]);
}

/** No `SESSION_INTERCEPTOR_OPTIONS` provided: the defaults. */
const DEFAULTS: SessionInterceptorOptions = {};
/** Per store, per options object: the interceptor's view of the store, and its origin policy. */
const bindings = new WeakMap<SessionStore, WeakMap<SessionInterceptorOptions, HttpBinding>>();

/**
 * The binding of the nearest store and options, where the interceptor runs: an app's, or a
 * lazy route's own (`provideSessionStore()` in its providers, with its own `HttpClient`).
 */
function bindingOf(store: SessionStore, options: SessionInterceptorOptions): HttpBinding {
  let byOptions = bindings.get(store);
  let binding = byOptions?.get(options);
  if (binding !== undefined) return binding;
  const settings = parseInterceptorOptions(options);
  const link = linkOf(store, 'sessionInterceptor()', 'provideSessionStore()');
  const policy = createOriginPolicy(settings.allowedOrigins, { defaults: {} });
  binding = {
    view: new SessionView(link, settings),
    mayCarryToken: (url) => policy({ url }),
    shouldRefresh: settings.shouldRefresh,
  };
  if (byOptions === undefined) bindings.set(store, (byOptions = new WeakMap()));
  byOptions.set(options, binding);
  return binding;
}

/**
 * The `HttpInterceptorFn` that makes `HttpClient` follow the app's {@link SessionStore}
 * (see `provideSessionStore`), with the guarantees of `bindAxios`:
 * - the current token is stamped as the request is sent, only to relative URLs (the
 *   document's origin) and `allowedOrigins`, compared exactly by parsed origin;
 * - after `logout()` returns, every request of the ended session is aborted (its XHR or
 *   fetch), and its observable errors with an `HttpErrorResponse` whose `error` is the
 *   `SessionError('SESSION_ENDED')` (`getSessionEnd(err)` returns it), never a success;
 * - a 401 on the current token waits for the store's shared refresh (one for every
 *   client of the store: interceptors, axios instances, fetch functions), and is sent once
 *   more; requests are held while a refresh runs.
 *
 * {@link SKIP_AUTH} in a request's context sends it without the token, untied.
 *
 * @example
 * ```ts
 * provideHttpClient(withInterceptors([sessionInterceptor]))
 * ```
 */
export const sessionInterceptor: HttpInterceptorFn = (request, next) => {
  const binding = bindingOf(inject(SessionStore), inject(SESSION_INTERCEPTOR_OPTIONS, { optional: true }) ?? DEFAULTS);
  const skipAuth = request.context.get(SKIP_AUTH);
  return new Observable<HttpEvent<unknown>>((out) => {
    binding.view.sync();
    const exchange = new HttpExchange(binding, request, next, out, skipAuth);
    // Delivered as it settles, checked once more: a logout since the protocol's last look
    // (a microtask earlier) turns the answer into the session's end, never a success.
    dispatch(binding.view, exchange).then(
      (response) => {
        const ended = exchange.endedMeanwhile();
        if (ended !== undefined) {
          out.error(ended);
          return;
        }
        out.next(response);
        out.complete();
      },
      (error: unknown) => out.error(getSessionEnd(error) === undefined ? (exchange.endedMeanwhile() ?? error) : error),
    );
    return () => exchange.cancel();
  });
};
