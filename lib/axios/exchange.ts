import type { AxiosAdapter, AxiosError, AxiosResponse } from 'axios';
import { axios } from './axios-values';
import type { SessionError } from '../errors';
import type { AbortScope, RequestSignal } from '../internal/abort-scope';
import type { SignalLike } from '../internal/signal-like';
import type { ProbeOutcome } from '../internal/store-link';
import type { Exchange, Outcome } from '../request/protocol';
import type { SessionView } from '../request/session-view';
import { isUnauthorized } from './bind-options';
import { sessionCancel } from './delivery';
import { headerOf, removeHeader, stampHeader } from './headers';
import { replayable } from '../request/store-of';
import { asCallerSees, waitFor } from './recovery';
import { unguard, type RedirectGuards } from './redirect-guard';
import { sendMeasured, untie } from './send-tied';
import type { Stamp, Tagged } from './tags';

/**
 * Node's fields that hold a request's raw text, headers included (`ClientRequest._header`
 * and `outputData`, a socket's `_pendingData`). axios' `toJSON()` walks the whole config,
 * and reaches them through a streamed body (`data` piped into the request) or a custom
 * `httpAgent` (its sockets): listed in `redact`, they show as redacted, not as the token.
 */
export const RAW_REQUEST: readonly string[] = ['_header', '_pendingData', 'outputData'];

/** What an exchange needs of its binding (see `createBinding`): read on every request, so plain fields. */
export interface ExchangeHost {
  /** The value's stamp, kept on the config so that another binding recognises it. */
  stampOf(value: string): Stamp;
  readonly redirects: RedirectGuards;
  readonly shouldRefresh: (error: AxiosError) => boolean;
  /** Whether the request's URL may receive the token (the origin policy), and it goes where the instance's requests go. */
  mayCarryToken(config: Tagged): boolean;
  /** The `redact` list shared by the requests that bring none (see `redactList`), if still good. */
  redactShared: string[];
  /** The shared `redact` list, made again if code pushed onto it. */
  redactList(): string[];
  /** `'AxiosBinding'`: not a plain object, which axios would copy where it merges configs. */
  readonly [Symbol.toStringTag]: string;
}

/** One axios request at the fence, as the request protocol sees it (see `dispatch`). */
export class AxiosExchange implements Exchange<AxiosResponse> {
  issuedIn: AbortScope | null | undefined;
  readonly skipAuth: boolean;
  readonly caller: SignalLike | undefined;
  retried = false;
  readonly #host: ExchangeHost;
  readonly #view: SessionView;
  readonly #config: Tagged;
  readonly #real: AxiosAdapter;

  constructor(host: ExchangeHost, view: SessionView, config: Tagged, real: AxiosAdapter) {
    this.#host = host;
    this.#view = view;
    this.#config = config;
    this.#real = real;
    this.issuedIn = config.rxSessionEpoch;
    this.skipAuth = config.skipAuth === true;
    this.caller = config.signal;
  }

  mayCarryToken(): boolean {
    return this.#host.mayCarryToken(this.#config);
  }

  stamp(value: string | null): boolean {
    const config = this.#config;
    if (value === null) {
      dropToken(this.#view, config);
      return false;
    }
    const { header } = this.#view;
    const headers = config.headers;
    if (headers[header] !== value) stampHeader(headers, header, value);
    const host = this.#host;
    config.rxSessionStamp = host.stampOf(value);
    // The header goes in axios' `redact`, so that a serialised error of this request never
    // shows it, along with the Node internals that hold the raw request text (see {@link RAW_REQUEST}).
    const list = config.redact;
    if (list === undefined) {
      // Most requests bring no `redact` list: they share one (see `redactList`).
      const shared = host.redactShared;
      config.redact = shared.length === RAW_REQUEST.length + 1 && shared[0] === header ? shared : host.redactList();
    } else if (!list.includes(header) || !list.includes(RAW_REQUEST[0] as string)) {
      config.redact = [...list, ...[header, ...RAW_REQUEST].filter((key) => !list.includes(key))];
    }
    if (host.redirects.everyRequest || typeof config.beforeRedirect === 'function') host.redirects.guard(config);
    return headers[header] === value || headerOf(headers, header) === value;
  }

  send(signal: RequestSignal | null): Promise<AxiosResponse> {
    const config = this.#config;
    if (config.signal !== this.caller) untie(config); // an earlier attempt's signal: the caller's own (or none) again
    if (this.issuedIn !== undefined) config.rxSessionEpoch = this.issuedIn;
    if (signal === null) return this.#real(config);
    config.signal = signal;
    const data = config.data as { getLength?: unknown } | null | undefined;
    return data != null && typeof data.getLength === 'function'
      ? sendMeasured(config, signal, this.#real, this.#view.header)
      : this.#real(config);
  }

  /** Unties the request when the adapter is done with it: now, or when a streamed body closes. */
  release(response: AxiosResponse, signal: RequestSignal): void {
    const body = response.data as { once?: unknown; pipe?: unknown; destroyed?: boolean; getReader?: unknown } | null | undefined;
    if (body != null && typeof body.once === 'function' && typeof body.pipe === 'function' && body.destroyed !== true) {
      // A Node stream: tied until it closes. A logout meanwhile destroys it with the
      // session's reason, so a reader attached later gets the error, not buffered chunks
      // that would look like a complete body.
      const stream = body as { once(event: string, fn: () => void): void; destroy(error?: unknown): void };
      signal.first(() => stream.destroy(signal.reason));
      stream.once('close', () => signal.settle());
    } else if (body != null && typeof body.getReader === 'function') {
      // A web stream (fetch adapter): it listens until the body is read to the end.
      signal.settleWhenUnheard();
    } else {
      signal.settle();
    }
  }

  wait<T>(until: Promise<T>): Promise<T> {
    untie(this.#config);
    return waitFor(this.#config, until);
  }

  ended(reason: SessionError | undefined, outcome?: Outcome<AxiosResponse>): unknown {
    const config = this.#config;
    if (outcome === undefined) {
      dropToken(this.#view, config);
      return sessionCancel(config, reason, undefined, 'canceled: its session has ended');
    }
    if (!outcome.ok && axios.isCancel(outcome.error)) return outcome.error;
    return sessionCancel(config, reason, outcome.ok ? (outcome.value.request as unknown) : undefined);
  }

  /**
   * A 5xx says nothing of the token (a gateway, an outage): no answer. A 401 (see
   * `shouldRefresh`) refuses it, also when the caller's `validateStatus` accepts it.
   */
  verdict(outcome: Outcome<AxiosResponse>): ProbeOutcome {
    let response: AxiosResponse | undefined;
    let error: AxiosError | undefined;
    let status: number | undefined;
    if (outcome.ok) {
      response = outcome.value;
      status = response.status;
      if (status < 400) return 'ok';
    } else if (!axios.isCancel(outcome.error)) {
      error = outcome.error as AxiosError;
      status = (error as Partial<AxiosError> | null)?.response?.status;
    }
    if (status === undefined || status >= 500) return 'none';
    // As axios would have rejected it: the same message and code for `shouldRefresh`.
    error ??= new axios.AxiosError(
      `Request failed with status code ${String(status)}`,
      axios.AxiosError.ERR_BAD_REQUEST,
      this.#config,
      response?.request,
      response,
    );
    return this.#asksRefresh(error) ? 'refused' : 'ok';
  }

  asksRefresh(outcome: Outcome<AxiosResponse>): boolean {
    return !outcome.ok && !axios.isCancel(outcome.error) && this.#view.active && this.#asksRefresh(outcome.error as AxiosError);
  }

  replayable(): boolean {
    return replayable(this.#config.data);
  }

  #asksRefresh(error: AxiosError): boolean {
    const { shouldRefresh } = this.#host;
    if (shouldRefresh === isUnauthorized) return error.response?.status === 401;
    try {
      return shouldRefresh(asCallerSees(error, this.#config));
    } catch {
      return false;
    }
  }
}

/** Removes the session's token (current, recent, or stamped on this config), and any redirect guard; keeps any other value. */
export function dropToken(view: SessionView, config: Tagged): void {
  unguard(config); // sent without the token: no guard (an earlier send's would read that request's signal)
  const headers = config.headers;
  // A config another binding stamped under another header (moved here, or re-sent after
  // a re-bind with another `header`): that token goes too.
  const stamp = config.rxSessionStamp;
  if (stamp !== undefined && stamp.header !== view.header && stamp.is(headerOf(headers, stamp.header))) {
    removeHeader(headers, stamp.header);
  }
  const sent = headerOf(headers, view.header);
  if (typeof sent !== 'string') return;
  if (view.recent.includes(sent) || stamp?.is(sent) === true) removeHeader(headers, view.header);
}
