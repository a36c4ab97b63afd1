import axios, {
  getAdapter,
  type AxiosError,
  type AxiosInstance,
  type AxiosPromise,
  type InternalAxiosRequestConfig,
} from 'axios';
import type { StoreLink } from '../internal/store-link';
import { createOriginPolicy } from '../request/origin-policy';
import { dispatch } from '../request/protocol';
import { SessionView } from '../request/session-view';
import type { BindSettings } from './bind-options';
import { AxiosExchange, dropToken, RAW_REQUEST, type ExchangeHost } from './exchange';
import { isFence, OWNER, WRAPPED, type Fence, type Original } from './fence-marks';
import { headerOf, removeHeader } from './headers';
import { RedirectGuards } from './redirect-guard';
import { checkDelivery, checkFailure } from './delivery';
import { untie } from './send-tied';
import { Stamp, type Tagged } from './tags';

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
 */
export class AxiosBinding implements ExchangeHost {
  /** Private: it holds the token, and a binding is reachable from its requests' configs. */
  readonly #view: SessionView;
  readonly redirects: RedirectGuards;
  readonly guardsEveryRedirect: boolean;
  readonly shouldRefresh: (error: AxiosError) => boolean;
  redactShared: string[] = [];
  readonly #instance: AxiosInstance;
  readonly #policy: ReturnType<typeof createOriginPolicy>;
  // Private, as everything holding the token: a binding is reachable from its requests' configs.
  #stamp: Stamp | undefined;
  #stampFor: string | undefined;
  readonly #fences = new Map<unknown, Fence>();
  /** The fence around the instance's default adapter, which most requests use. */
  #defaultFence: Fence | undefined;
  #originalCreate: AxiosInstance['create'] | undefined;
  #create: AxiosInstance['create'] | undefined;
  #requestId = -1;
  #responseId = -1;

  constructor(link: StoreLink, instance: AxiosInstance, settings: BindSettings) {
    this.#view = new SessionView(link, settings);
    this.#instance = instance;
    this.#policy = createOriginPolicy(settings.allowedOrigins, instance);
    // axios (follow-redirects) drops `Authorization` on a redirect to another origin by
    // itself, but no other header: a custom one needs a guard on every request. Either
    // needs one around a request's own `beforeRedirect` (which may end the session).
    this.redirects = new RedirectGuards(
      settings.header,
      settings.header.toLowerCase() === 'authorization' ? undefined : this.#policy,
    );
    this.guardsEveryRedirect = this.redirects.everyRequest;
    this.shouldRefresh = settings.shouldRefresh;
  }

  /** The current value's stamp (see `Stamp`), made once per value. */
  mayCarryToken(config: Tagged): boolean {
    return this.#policy(config) && config.socketPath === this.#instance.defaults.socketPath;
  }

  stampOf(value: string): Stamp {
    if (this.#stampFor !== value) {
      this.#stampFor = value;
      this.#stamp = new Stamp(value, this.#view.header);
    }
    return this.#stamp as Stamp;
  }

  /**
   * One list shared by the requests that bring none: no array per request. Code that pushed
   * onto it (a response interceptor, say) gets it to itself, and the next requests a fresh
   * one, so it never grows.
   */
  redactList(): string[] {
    return (this.redactShared = [this.#view.header, ...RAW_REQUEST]);
  }

  /** Installs the interceptors and the default fence. */
  install(): void {
    const instance = this.#instance;
    const { defaults, interceptors } = instance;
    // Only its `runWhen` runs: axios calls it synchronously inside `get()`, which is when a
    // request's epoch is noted. Saying `false` keeps the interceptor out of the chain, so a
    // request pays for no interceptor step: it is judged once, at the adapter fence.
    this.#requestId = interceptors.request.use((c) => c, undefined, {
      synchronous: true,
      runWhen: (c) => {
        this.#noteEpoch(c);
        return false;
      },
    });
    this.#responseId = interceptors.response.use(checkDelivery, checkFailure);
    const adapter = defaults.adapter;
    this.#defaultFence = this.#fenceFor(isFence(adapter) ? adapter[WRAPPED] : adapter);
    defaults.adapter = this.#defaultFence;
    // `api.create()` copies the defaults, token, gate and fence included: hand out a
    // child that starts clean instead (it is not bound; bind it if it should follow).
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept for uninstall(), called with `.call(instance)`
    const create = instance.create as AxiosInstance['create'] | undefined;
    if (typeof create === 'function') {
      this.#originalCreate = create;
      this.#create = (config) => this.#clean(create.call(instance, config));
      instance.create = this.#create;
    }
  }

  /** Takes this binding's header and fence out of an instance's defaults, keeping whatever else is there now. */
  #clean(child: AxiosInstance): AxiosInstance {
    const { defaults } = child;
    const common = defaults.headers.common as Record<string, unknown>;
    const sent = headerOf(common, this.#view.header);
    if (typeof sent === 'string' && this.#view.recent.includes(sent)) removeHeader(common, this.#view.header);
    else if (Object.getOwnPropertyDescriptor(common, this.#view.header)?.enumerable === false) {
      // A value the app wrote over the binding's (hidden) header while bound: its own again.
      Object.defineProperty(common, this.#view.header, { value: sent, writable: true, configurable: true, enumerable: true });
    }
    const adapter = defaults.adapter;
    if (isFence(adapter) && adapter[OWNER] === this) {
      const original = adapter[WRAPPED];
      if (original === undefined) delete defaults.adapter;
      else defaults.adapter = Array.isArray(original) ? [...original] : original;
    }
    return child;
  }

  /**
   * Removes everything `install()` and `sync()` put on the instance. Configs made while
   * bound keep their fence, now inert: they send no token of this session.
   */
  uninstall(): void {
    this.#view.active = false;
    const instance = this.#instance;
    instance.interceptors.request.eject(this.#requestId);
    instance.interceptors.response.eject(this.#responseId);
    // Put `create` back only if nobody replaced it since.
    if (this.#originalCreate !== undefined && instance.create === this.#create) instance.create = this.#originalCreate;
    this.#clean(instance);
  }

  /** Follows the store: the instance's default header is the current token, or absent. */
  sync(): void {
    this.#refresh();
    const common = this.#instance.defaults.headers.common as Record<string, unknown>;
    removeHeader(common, this.#view.header);
    // Readable there, but not enumerable: axios copies only enumerable defaults into a
    // request, so the token is not carried (and normalised again and again) through the
    // interceptors and transforms. The fence stamps it as the request leaves.
    if (this.#view.value !== null) {
      Object.defineProperty(common, this.#view.header, {
        value: this.#view.value,
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
  }

  /** Brings the binding's view up to the store's current state (cheap when unchanged). */
  #refresh(): void {
    this.#view.sync();
  }

  /** `runWhen`: called when axios builds the chain, synchronously inside `get()`. */
  #noteEpoch(config: Tagged): void {
    this.#view.sync();
    // A retried config brings its first attempt's signal, aborted if the session ended:
    // axios would refuse to dispatch it. The caller's own signal (or none) again.
    if (config.signal != null) untie(config);
    config.rxSessionBinding = this;
    config.rxSessionEpoch = this.#view.scope;
    // A retried config still carries the token its first attempt was stamped with: it goes
    // only through the fence, which stamps the current one.
    if (config.rxSessionStamp !== undefined) dropToken(this.#view, config);
    // An adapter of the request's own (or one set on the defaults since binding) is fenced too.
    if (config.adapter !== this.#defaultFence) this.#fenceAdapter(config);
  }

  /** Makes sure the config's adapter is this binding's fence around the real adapter. */
  #fenceAdapter(config: Tagged): void {
    const adapter = config.adapter;
    if (isFence(adapter) && adapter[OWNER] === this) return;
    config.adapter = this.#fenceFor(isFence(adapter) ? adapter[WRAPPED] : adapter);
  }

  /** The fence around `original`, shared by every request that uses that adapter. */
  #fenceFor(original: Original): Fence {
    // axios copies adapter lists per request: key a list of names by its names.
    const key = Array.isArray(original) && original.every((a) => typeof a === 'string') ? original.join('\u0000') : original;
    let fence = this.#fences.get(key);
    if (fence === undefined) {
      fence = Object.assign((config: InternalAxiosRequestConfig) => this.#dispatch(config as Tagged, original), {
        [WRAPPED]: original,
        [OWNER]: this as AxiosBinding,
      });
      if (this.#fences.size < 16) this.#fences.set(key, fence);
    }
    return fence;
  }

  /**
   * The fence: judges the request once more in full (other interceptors may have run
   * since the binding's, or it may have been skipped), ties it to its epoch with its own
   * signal, and unties it when the adapter is done with it.
   */
  #dispatch(config: Tagged, original: Original): AxiosPromise {
    try {
      return this.#dispatchNow(config, original);
    } catch (err) {
      // An adapter rejects; it does not throw.
      return Promise.reject(err);
    }
  }

  #dispatchNow(config: Tagged, original: Original): AxiosPromise {
    this.#view.sync();
    if (config.signal != null) untie(config);
    const real = typeof original === 'function' ? original : getAdapter(original ?? axios.defaults.adapter, config);
    if (config.rxSessionBinding !== this) {
      // A copy of this instance's defaults (`axios.create(api.defaults)`): it never carries
      // this session, and one of an ended session does not leave.
      config.rxSessionEpoch = null; // sent untied: a later logout does not turn its answer into a cancel
      dropToken(this.#view, config);
      return real(config);
    }
    const exchange = new AxiosExchange(this, this.#view, config, real);
    // The protocol reads the view; the stamp follows it between attempts.
    return dispatch(this.#view, exchange) as AxiosPromise;
  }
}
