import type { AxiosInstance, AxiosPromise, InternalAxiosRequestConfig } from 'axios';
import { axios, getAdapter } from './axios-values';
import type { StoreLink } from '../internal/store-link';
import { createOriginPolicy } from '../request/origin-policy';
import { dispatch } from '../request/protocol';
import { SessionView } from '../request/session-view';
import type { BindSettings } from './bind-options';
import { AxiosExchange, dropToken, RAW_REQUEST, type ExchangeHost } from './exchange';
import { isFence, OWNER, WRAPPED, type Fence, type Original } from './fence-marks';
import { headerOf, removeHeader } from './headers';
import { redirectGuards } from './redirect-guard';
import { checkDelivery, checkFailure } from './delivery';
import { untie } from './send-tied';
import { stampOf, type Stamp, type Tagged } from './tags';

/** What `bindAxios` does with a binding (see {@link createBinding}). */
export interface AxiosBinding {
  /** Follows the store: the instance's default header is the current token, or absent. */
  readonly sync: () => void;
  /** Installs the interceptors and the default fence. */
  readonly install: () => void;
  /**
   * Removes everything `install()` and `sync()` put on the instance. Configs made while
   * bound keep their fence, now inert: they send no token of this session.
   */
  readonly uninstall: () => void;
}

/**
 * One axios instance bound to one store: the defaults sync, the request-side checks and
 * the fence at the adapter.
 *
 * A request's epoch is noted, and its adapter fenced, when axios builds its chain,
 * synchronously inside `get()` (the `runWhen` of a request interceptor that never enters
 * the chain itself). The token is not in the request until then: the instance's default
 * header is not enumerable, so axios does not merge it. The fence, the last step before
 * bytes leave, judges the request in full, stamps the header, ties the request to its
 * epoch with a per-request signal, and unties it when the adapter is done with it.
 *
 * Everything that holds the token (the view, the current stamp's value) stays in this
 * closure: the `host`, which requests' configs reach (`rxSessionBinding`, a fence's owner),
 * holds none.
 */
export function createBinding(link: StoreLink, instance: AxiosInstance, settings: BindSettings): AxiosBinding {
  const view = new SessionView(link, settings);
  const { header } = view;
  const policy = createOriginPolicy(settings.allowedOrigins, instance);
  const fences = new Map<unknown, Fence>();
  let stamp: Stamp | undefined;
  let stampFor: string | undefined;
  /** The fence around the instance's default adapter, which most requests use. */
  let defaultFence: Fence | undefined;
  let originalCreate: AxiosInstance['create'] | undefined;
  let create: AxiosInstance['create'] | undefined;
  let requestId: number;
  let responseId: number;

  const host: ExchangeHost = {
    // axios (follow-redirects) drops `Authorization` on a redirect to another origin by
    // itself, but no other header: a custom one needs a guard on every request. Either
    // needs one around a request's own `beforeRedirect` (which may end the session).
    redirects: redirectGuards(header, header.toLowerCase() === 'authorization' ? undefined : policy),
    shouldRefresh: settings.shouldRefresh,
    redactShared: [],
    mayCarryToken: (config) => policy(config) && config.socketPath === instance.defaults.socketPath,
    // The current value's stamp (see `Stamp`), made once per value.
    stampOf: (value) => {
      if (stampFor !== value) {
        stampFor = value;
        stamp = stampOf(value, header);
      }
      return stamp as Stamp;
    },
    // One list shared by the requests that bring none: no array per request. Code that pushed
    // onto it (a response interceptor, say) gets it to itself, and the next requests a fresh
    // one, so it never grows.
    redactList: () => (host.redactShared = [header, ...RAW_REQUEST]),
    // Not a plain object, so that axios' `mergeConfig` (a config sent again, or merged by an
    // interceptor) keeps this very object in `rxSessionBinding` rather than a copy.
    [Symbol.toStringTag]: 'AxiosBinding',
  };

  /** The instance's default header, readable but (`enumerable: false`) hidden from axios' merge, or the app's own again. */
  const define = (common: object, value: unknown, enumerable: boolean): void => {
    Object.defineProperty(common, header, { value, writable: true, configurable: true, enumerable });
  };

  /** Takes this binding's header and fence out of an instance's defaults, keeping whatever else is there now. */
  const clean = (child: AxiosInstance): AxiosInstance => {
    const { defaults } = child;
    const common = defaults.headers.common;
    const sent = headerOf(common, header);
    if (typeof sent === 'string' && view.recent.includes(sent)) removeHeader(common, header);
    // A value the app wrote over the binding's (hidden) header while bound: its own again.
    else if (Object.getOwnPropertyDescriptor(common, header)?.enumerable === false) define(common, sent, true);
    const adapter = defaults.adapter;
    if (isFence(adapter) && adapter[OWNER] === host) {
      const original = adapter[WRAPPED];
      if (original === undefined) delete defaults.adapter;
      else defaults.adapter = Array.isArray(original) ? [...original] : original;
    }
    return child;
  };

  /**
   * The fence around `adapter` (around the one it wraps, if a fence), shared by every
   * request that uses that adapter. It judges the request once more in full (other
   * interceptors may have run since the binding's `runWhen`, or it may have been skipped),
   * ties it to its epoch with its own signal, and unties it when the adapter is done with it.
   */
  const fenceFor = (adapter: Original): Fence => {
    const original = isFence(adapter) ? adapter[WRAPPED] : adapter;
    // axios copies adapter lists per request: key a list of names by its names.
    const key = Array.isArray(original) && original.every((a) => typeof a === 'string') ? original.join('\u0000') : original;
    let fence = fences.get(key);
    if (fence === undefined) {
      const send = (request: InternalAxiosRequestConfig): AxiosPromise => {
        const config = request as Tagged;
        try {
          view.sync();
          if (config.signal != null) untie(config);
          const real = typeof original === 'function' ? original : getAdapter(original ?? axios.defaults.adapter, config);
          if (config.rxSessionBinding !== host) {
            // A copy of this instance's defaults (`axios.create(api.defaults)`): it never carries
            // this session, and one of an ended session does not leave.
            config.rxSessionEpoch = null; // sent untied: a later logout does not turn its answer into a cancel
            dropToken(view, config);
            return real(config);
          }
          // The protocol reads the view; the stamp follows it between attempts.
          return dispatch(view, new AxiosExchange(host, view, config, real)) as AxiosPromise;
        } catch (err) {
          // An adapter rejects; it does not throw.
          return Promise.reject(err);
        }
      };
      fence = Object.assign(send, { [WRAPPED]: original, [OWNER]: host });
      if (fences.size < 16) fences.set(key, fence);
    }
    return fence;
  };

  return {
    sync: () => {
      view.sync();
      const common = instance.defaults.headers.common;
      removeHeader(common, header);
      // Readable there, but not enumerable: axios copies only enumerable defaults into a
      // request, so the token is not carried (and normalised again and again) through the
      // interceptors and transforms. The fence stamps it as the request leaves.
      if (view.value !== null) define(common, view.value, false);
    },

    install: () => {
      const { defaults, interceptors } = instance;
      // Only its `runWhen` runs: axios calls it synchronously inside `get()`, which is when a
      // request's epoch is noted. Saying `false` keeps the interceptor out of the chain, so a
      // request pays for no interceptor step: it is judged once, at the adapter fence.
      requestId = interceptors.request.use((c) => c, undefined, {
        synchronous: true,
        runWhen: (config: Tagged) => {
          view.sync();
          // A retried config brings its first attempt's signal, aborted if the session ended:
          // axios would refuse to dispatch it. The caller's own signal (or none) again.
          if (config.signal != null) untie(config);
          config.rxSessionBinding = host;
          config.rxSessionEpoch = view.scope;
          // A retried config still carries the token its first attempt was stamped with: it goes
          // only through the fence, which stamps the current one.
          if (config.rxSessionStamp !== undefined) dropToken(view, config);
          // An adapter of the request's own (or one set on the defaults since binding) is fenced
          // too (this binding's own fence again: the same one, from `fences`).
          if (config.adapter !== defaultFence) config.adapter = fenceFor(config.adapter);
          return false;
        },
      });
      responseId = interceptors.response.use(checkDelivery, checkFailure);
      defaults.adapter = defaultFence = fenceFor(defaults.adapter);
      // `api.create()` copies the defaults, token, gate and fence included: hand out a
      // child that starts clean instead (it is not bound; bind it if it should follow).
      // eslint-disable-next-line @typescript-eslint/unbound-method -- kept for uninstall(), called with `.call(instance)`
      const own = instance.create as AxiosInstance['create'] | undefined;
      if (typeof own === 'function') {
        originalCreate = own;
        instance.create = create = (config) => clean(own.call(instance, config));
      }
    },

    uninstall: () => {
      view.active = false;
      instance.interceptors.request.eject(requestId);
      instance.interceptors.response.eject(responseId);
      // Put `create` back only if nobody replaced it since.
      if (originalCreate !== undefined && instance.create === create) instance.create = originalCreate;
      clean(instance);
    },
  };
}
