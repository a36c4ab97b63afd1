import axios, {
  getAdapter,
  type AxiosAdapter,
  type AxiosError,
  type AxiosInstance,
  type AxiosPromise,
  type InternalAxiosRequestConfig,
} from 'axios';
import type { AbortScope } from '../internal/abort-scope';
import { isProbe, type ProbeOutcome, type StoreLink, type StoreState } from '../internal/store-link';
import { isUnauthorized, type BindSettings } from './bind-options';
import { asCallerSees, replayable, waitThen } from './recovery';
import { RedirectGuards } from './redirect-guard';
import { headerOf, removeHeader, stampHeader } from './headers';
import { checkDelivery, checkFailure, sessionCancel } from './delivery';
import { sendTied, untie } from './send-tied';
import { createOriginPolicy } from './origin-policy';
import { isFence, OWNER, WRAPPED, type Fence, type Original } from './fence-marks';
import { Stamp, type Tagged } from './tags';

// How many recently stamped values a binding recognises as its own where no stamp on the
// config tells (a copy of its defaults, a header merged before a rotation).
const RECENT_LIMIT = 64;

/**
 * Node's fields that hold a request's raw text, headers included (`ClientRequest._header`
 * and `outputData`, a socket's `_pendingData`). axios' `toJSON()` walks the whole config,
 * and reaches them through a streamed body (`data` piped into the request) or a custom
 * `httpAgent` (its sockets): listed in `redact`, they show as redacted, not as the token.
 */
const RAW_REQUEST: readonly string[] = ['_header', '_pendingData', 'outputData'];

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
export class AxiosBinding {
  readonly #link: StoreLink;
  readonly #instance: AxiosInstance;
  readonly #header: string;
  readonly #scheme: string;
  readonly #mayCarryToken: ReturnType<typeof createOriginPolicy>;
  /** Redirect guards (see `RedirectGuards`). */
  readonly #redirects: RedirectGuards;
  /** `#redirects.everyRequest` (a custom header), read on every request. */
  readonly #guardsEveryRedirect: boolean;
  readonly #shouldRefresh: (error: AxiosError) => boolean;
  readonly #fences = new Map<unknown, Fence>();
  // The values this binding stamped lately. Where the token must not go (skipAuth, other
  // origins, signed out) these are removed, while a header of the caller's own is kept.
  readonly #recent: string[] = [];
  /** The fence around the instance's default adapter, which most requests use. */
  #defaultFence: Fence | undefined;
  #originalCreate: AxiosInstance['create'] | undefined;
  #create: AxiosInstance['create'] | undefined;
  #active = true;
  #seen: StoreState | undefined;
  #scope: AbortScope | null = null;
  #value: string | null = null;
  #redactList: string[] = [];
  /** Whether the store may hold a request of the current session (see `StoreLink.hold`). */
  #mayHold = true;
  readonly #canRefresh: boolean;
  #stamp: Stamp | undefined;
  #requestId = -1;
  #responseId = -1;

  constructor(link: StoreLink, instance: AxiosInstance, settings: BindSettings) {
    this.#link = link;
    this.#instance = instance;
    this.#header = settings.header;
    this.#scheme = settings.scheme;
    this.#mayCarryToken = createOriginPolicy(settings.allowedOrigins, () => instance.defaults.baseURL);
    // axios (follow-redirects) drops `Authorization` on a redirect to another origin by
    // itself, but no other header: a custom one needs a guard on every request. Either
    // needs one around a request's own `beforeRedirect` (which may end the session).
    this.#redirects = new RedirectGuards(
      settings.header,
      settings.header.toLowerCase() === 'authorization' ? undefined : this.#mayCarryToken,
    );
    this.#guardsEveryRedirect = this.#redirects.everyRequest;
    this.#shouldRefresh = settings.shouldRefresh;
    this.#canRefresh = link.canRefresh();
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
    const sent = headerOf(common, this.#header);
    if (typeof sent === 'string' && this.#recent.includes(sent)) removeHeader(common, this.#header);
    else if (Object.getOwnPropertyDescriptor(common, this.#header)?.enumerable === false) {
      // A value the app wrote over the binding's (hidden) header while bound: its own again.
      Object.defineProperty(common, this.#header, { value: sent, writable: true, configurable: true, enumerable: true });
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
    this.#active = false;
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
    removeHeader(common, this.#header);
    // Readable there, but not enumerable: axios copies only enumerable defaults into a
    // request, so the token is not carried (and normalised again and again) through the
    // interceptors and transforms. The fence stamps it as the request leaves.
    if (this.#value !== null) {
      Object.defineProperty(common, this.#header, { value: this.#value, writable: true, configurable: true, enumerable: false });
    }
  }

  /** Brings the binding's view up to the store's current state (cheap when unchanged). */
  #refresh(): void {
    const state = this.#link.state();
    if (state === this.#seen) return;
    this.#seen = state;
    this.#scope = state.scope;
    this.#mayHold = this.#canRefresh || state.session.expiresAt !== undefined;
    const token = state.session.token;
    this.#value = token === null ? null : this.#scheme === '' ? token : `${this.#scheme} ${token}`;
    this.#stamp = this.#value === null ? undefined : new Stamp(this.#value, this.#header);
    if (this.#value !== null && this.#recent[0] !== this.#value) {
      const at = this.#recent.indexOf(this.#value);
      if (at !== -1) this.#recent.splice(at, 1);
      this.#recent.unshift(this.#value);
      this.#recent.length = Math.min(this.#recent.length, RECENT_LIMIT);
    }
  }

  /** `runWhen`: called when axios builds the chain, synchronously inside `get()`. */
  #noteEpoch(config: Tagged): void {
    this.#refresh();
    // A retried config brings its first attempt's signal, aborted if the session ended:
    // axios would refuse to dispatch it. The caller's own signal (or none) again.
    if (config.signal != null) untie(config);
    config.rxSessionBinding = this;
    config.rxSessionEpoch = this.#scope;
    // A retried config still carries the token its first attempt was stamped with: it goes
    // only through the fence, which stamps the current one.
    if (config.rxSessionStamp !== undefined) this.#dropToken(config);
    // An adapter of the request's own (or one set on the defaults since binding) is fenced too.
    if (config.adapter !== this.#defaultFence) this.#fenceAdapter(config);
  }

  /**
   * Stamps or removes the header for the current session, and returns the scope to tie
   * the request to (`null`: not tied). Throws a `CanceledError` for a request of a session
   * that has ended.
   */
  #judge(config: Tagged): AbortScope | null {
    const headers = config.headers;
    if (config.skipAuth === true) {
      this.#dropToken(config);
      return null;
    }
    const issuedIn = config.rxSessionEpoch;
    if (issuedIn != null && issuedIn !== this.#scope) this.#cancelEnded(config, issuedIn);
    const scope = this.#scope;
    if (scope === null) {
      this.#dropToken(config);
      return null;
    }
    if (this.#mayCarryToken(config) && config.socketPath === this.#instance.defaults.socketPath) {
      const value = this.#value;
      if (value !== null && headers[this.#header] !== value) stampHeader(headers, this.#header, value);
      if (this.#stamp !== undefined) config.rxSessionStamp = this.#stamp;
      this.#redact(config);
      if (this.#guardsEveryRedirect || typeof config.beforeRedirect === 'function') this.#redirects.guard(config);
    } else {
      this.#dropToken(config);
    }
    return scope;
  }

  /** Removes the session's token (current, recent, or stamped on this config); keeps any other value. */
  #dropToken(config: Tagged): void {
    const headers = config.headers;
    // A config another binding stamped under another header (moved here, or re-sent after
    // a re-bind with another `header`): that token goes too.
    const stamp = config.rxSessionStamp;
    if (stamp !== undefined && stamp.header !== this.#header && stamp.is(headerOf(headers, stamp.header))) {
      removeHeader(headers, stamp.header);
    }
    const sent = headerOf(headers, this.#header);
    if (typeof sent !== 'string') return;
    if (this.#recent.includes(sent) || stamp?.is(sent) === true) removeHeader(headers, this.#header);
  }

  /** Removes the token and throws: a request of an ended session must not leave. */
  #cancelEnded(config: Tagged, ended: AbortScope): never {
    this.#dropToken(config);
    throw sessionCancel(config, ended.endedWith, undefined, 'canceled: the session this request was issued in has ended');
  }

  /**
   * Lists the header in axios' `redact`, so that a serialised error of this request never
   * shows it, along with the Node internals that hold the raw request text (see {@link RAW_REQUEST}).
   */
  #redact(config: Tagged): void {
    const list = config.redact;
    if (list === undefined) {
      // One list shared by the requests that bring none: no array per request. Code that
      // pushed onto it (a response interceptor, say) gets it to itself, and the next
      // requests a fresh one, so it never grows.
      const shared = this.#redactList;
      if (shared.length !== RAW_REQUEST.length + 1 || shared[0] !== this.#header) {
        this.#redactList = [this.#header, ...RAW_REQUEST];
      }
      config.redact = this.#redactList;
    } else if (!list.includes(this.#header) || !list.includes(RAW_REQUEST[0] as string)) {
      config.redact = [...list, ...[this.#header, ...RAW_REQUEST].filter((key) => !list.includes(key))];
    }
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
    this.#refresh();
    untie(config);
    const real = typeof original === 'function' ? original : getAdapter(original ?? axios.defaults.adapter, config);
    if (config.rxSessionBinding !== this || !this.#active) {
      // A copy of this instance's defaults (`axios.create(api.defaults)`), or a request that
      // was still in the chain when the instance was unbound or its store disposed: it
      // never carries this session, and one of an ended session does not leave.
      const issuedIn = config.rxSessionBinding === this && config.skipAuth !== true ? config.rxSessionEpoch : null;
      if (issuedIn?.endedWith !== undefined) this.#cancelEnded(config, issuedIn);
      config.rxSessionEpoch = null; // sent untied: a later logout does not turn its answer into a cancel
      this.#dropToken(config);
      return real(config);
    }
    const scope = this.#judge(config);
    if (scope === null) return real(config);
    const sent = this.#value;
    if (sent === null || headerOf(config.headers, this.#header) !== sent) return sendTied(config, scope, real, this.#header);
    // It carries the token: it belongs to this epoch even if it was issued while signed out.
    config.rxSessionEpoch = scope;
    // A token known not to work (expired, answered with a 401) or being refreshed is not
    // sent: the request waits for the refresh, then is judged again. Nor is a token no
    // response has confirmed yet, beyond the few requests that test it (a probe).
    // (Nothing can hold a request of a store without refresh whose token has no expiry.)
    const mayHold = this.#mayHold; // read first: a `hold()` that ends the session changes it
    const wait = mayHold ? this.#link.hold(config.signal) : undefined;
    if (wait !== undefined && !isProbe(wait)) return waitThen(config, wait, () => this.#dispatch(config, original));
    // Found expired just now, with no refresh to renew it: the session ended; judge again.
    if (mayHold && this.#link.state().scope !== scope) return this.#dispatch(config, original);
    const recover = config.rxSessionRetried === true || !this.#canRefresh ? undefined : this.#recovery(config, original, sent);
    if (wait === undefined) return sendTied(config, scope, real, this.#header, recover);
    // Told exactly once: by the adapter's outcome, or as "no answer" if the request ended
    // before it reached the adapter (cancelled while a form-data body was measured, say).
    let told = false;
    const tell = (outcome: ProbeOutcome): void => {
      if (told) return;
      told = true;
      this.#link.answered(wait, outcome);
    };
    return sendTied(config, scope, this.#probe(real, tell, config), this.#header, recover).then(
      (response) => {
        tell('none');
        return response;
      },
      (error: unknown) => {
        tell('none');
        throw error;
      },
    );
  }

  /**
   * `real`, telling (`tell`) what became of a request that tests a token no response has
   * confirmed yet. A 5xx says nothing of the token (a gateway, an outage): no answer. A 401
   * (see `shouldRefresh`) refuses it, also when the caller's `validateStatus` accepts it.
   */
  #probe(real: AxiosAdapter, tell: (outcome: ProbeOutcome) => void, config: Tagged): AxiosAdapter {
    const verdict = (status: number | undefined, error: () => AxiosError): ProbeOutcome =>
      status === undefined || status >= 500 ? 'none' : this.#asksRefresh(error(), config) ? 'refused' : 'ok';
    // (An adapter that throws is told as "no answer" by `#dispatchNow`.)
    return (c) =>
      real(c).then(
        (response) => {
          const { status } = response;
          // As axios would have rejected it: the same message and code for `shouldRefresh`.
          const rejected = (): AxiosError =>
            new axios.AxiosError(
              `Request failed with status code ${String(status)}`,
              axios.AxiosError.ERR_BAD_REQUEST,
              c,
              response.request,
              response,
            );
          tell(status < 400 ? 'ok' : verdict(status, rejected));
          return response;
        },
        (error: unknown) => {
          const status = axios.isCancel(error) ? undefined : (error as Partial<AxiosError> | null)?.response?.status;
          tell(verdict(status, () => error as AxiosError));
          throw error;
        },
      );
  }

  /**
   * What to do when a request that carried the token fails: on a 401 (see
   * `shouldRefresh`), send it once more, here at the adapter, so that interceptors and
   * transforms run once: at once if the token was rotated since it was sent, else after
   * the store's shared refresh. The retry is never retried; anything else goes on as it is.
   */
  #recovery(config: Tagged, original: Original, sent: string): (error: unknown) => AxiosPromise {
    return (error) => {
      if (axios.isCancel(error) || !this.#active || !this.#asksRefresh(error as AxiosError, config)) {
        return Promise.reject(error);
      }
      untie(config); // the caller's own signal again, to wait on and to tell the refresh's own request
      const retry = (): AxiosPromise => {
        config.rxSessionRetried = true;
        return this.#dispatch(config, original); // judged again: cancelled if its session ended
      };
      this.#refresh();
      if (this.#value !== sent) return retry(); // rotated by another call since: no refresh needed
      let refreshed = false;
      const refresh = this.#link.recover(config.signal).then(() => {
        refreshed = true;
      });
      // A body that can be read only once cannot be sent again: the refresh still helps later requests.
      if (!replayable(config.data)) return waitThen(config, refresh, () => Promise.reject(error));
      return waitThen(config, refresh, () => {
        this.#refresh();
        // Refreshed, or rotated (or ended) meanwhile: send it again, judged afresh.
        return refreshed || this.#value !== sent ? retry() : Promise.reject(error);
      });
    };
  }

  #asksRefresh(error: AxiosError, config: Tagged): boolean {
    if (this.#shouldRefresh === isUnauthorized) return error.response?.status === 401;
    try {
      return this.#shouldRefresh(asCallerSees(error, config));
    } catch {
      return false;
    }
  }
}
