import type { SessionError } from '../errors';
import type { AbortScope, RequestSignal } from '../internal/abort-scope';
import type { SignalLike } from '../internal/signal-like';
import type { ProbeOutcome } from '../internal/store-link';
import type { Exchange, Outcome } from '../request/protocol';
import { replayable } from '../request/store-of';
import type { SessionView } from '../request/session-view';
import { waitUnlessAborted } from '../request/wait-unless-aborted';
import type { FetchSettings, SessionRequestInit } from './fetch-options';
import { dropBody, tieBody } from './tied-body';

/** What an exchange needs of its fetch function (see `createFetch`). */
export interface FetchHost {
  readonly view: SessionView;
  readonly settings: FetchSettings;
  /** Whether `url` may receive the token (`request`: it came as a `Request`, resolved already). */
  mayCarryToken(url: string, request: boolean): boolean;
}

/** One call of a fetch function made by `createFetch`, as the request protocol sees it (see `dispatch`). */
export class FetchExchange implements Exchange<Response> {
  // `declare`d: set by the constructor alone, with no field definitions before it.
  declare issuedIn: AbortScope | null | undefined;
  declare readonly skipAuth: boolean;
  declare readonly caller: SignalLike | undefined;
  retried = false;
  readonly #host: FetchHost;
  readonly #url: string;
  /** The `Request` the caller passed, if any: it keeps its own method, headers and body. */
  #request: Request | undefined;
  readonly #init: RequestInit;
  /** The caller's headers; `undefined` when it gave none (most calls): then a plain object with the stamp is enough. */
  readonly #headers: Headers | undefined;
  /** What {@link stamp} put in the header, when the caller gave no headers. */
  #stamped: string | null = null;

  constructor(host: FetchHost, input: RequestInfo | URL, init: SessionRequestInit | undefined) {
    this.#host = host;
    const { skipAuth, ...rest } = init ?? {};
    this.skipAuth = skipAuth === true;
    if (isRequest(input)) {
      // `fetch(request, init)` resets the Request's referrer and its policy when the init sets anything (a member
      // that is not `undefined`), and this binding always passes one: when the caller's sets nothing, they are kept.
      const sets = (Object.values(rest) as unknown[]).some((value) => value !== undefined);
      this.#init = sets ? rest : { referrer: input.referrer, referrerPolicy: input.referrerPolicy };
      this.#request = input;
      this.#url = input.url;
      this.#headers = new Headers(rest.headers ?? input.headers);
      this.caller = rest.signal ?? input.signal;
    } else {
      this.#init = rest;
      const base = host.settings.baseURL;
      this.#url = base === undefined ? String(input) : resolve(String(input), base);
      this.#headers = rest.headers === undefined ? undefined : new Headers(rest.headers);
      this.caller = rest.signal ?? undefined;
    }
    this.issuedIn = host.view.scope;
  }

  mayCarryToken(): boolean {
    return this.#host.mayCarryToken(this.#url, this.#request !== undefined);
  }

  stamp(value: string | null): boolean {
    const { header, recent } = this.#host.view;
    const headers = this.#headers;
    if (headers === undefined) {
      this.#stamped = value;
      return value !== null;
    }
    if (value !== null) {
      headers.set(header, value);
      return true;
    }
    // A value of the session's (current or recent) goes; a caller's own value stays.
    const sent = headers.get(header);
    if (sent !== null && recent.includes(sent)) headers.delete(header);
    return false;
  }

  send(tied: RequestSignal | null): Promise<Response> {
    const fetch = this.#host.settings.fetch ?? globalThis.fetch;
    const request = this.#request;
    // Kept for the one retry after a 401: a `Request`'s body can be read once.
    if (request !== undefined && request.body !== null && !this.retried && tied !== null && this.#host.view.canRefresh) {
      this.#request = request.clone();
    }
    const stamped = this.#stamped;
    const headers = this.#headers ?? (stamped === null ? undefined : { [this.#host.view.header]: stamped });
    const init: RequestInit = { ...this.#init };
    if (headers !== undefined) init.headers = headers;
    if (tied === null) return fetch(request ?? this.#url, init);
    const controller = new AbortController();
    init.signal = controller.signal;
    if (tied.aborted) controller.abort(tied.reason);
    else tied.onabort = () => controller.abort(tied.reason); // the signal is this exchange's alone
    return fetch(request ?? this.#url, init);
  }

  release(response: Response, signal: RequestSignal): void {
    tieBody(response, signal);
  }

  wait<T>(until: Promise<T>): Promise<T> {
    return waitUnlessAborted(this.caller, until);
  }

  ended(reason: SessionError | undefined, outcome?: Outcome<Response>): unknown {
    if (outcome?.ok === true) dropBody(outcome.value, reason);
    return reason ?? new DOMException('The session ended', 'AbortError');
  }

  verdict(outcome: Outcome<Response>): ProbeOutcome {
    if (!outcome.ok) return 'none';
    const { status } = outcome.value;
    return status < 400 ? 'ok' : status >= 500 ? 'none' : this.asksRefresh(outcome) ? 'refused' : 'ok';
  }

  asksRefresh(outcome: Outcome<Response>): boolean {
    if (!outcome.ok) return false;
    try {
      return this.#host.settings.shouldRefresh(outcome.value);
    } catch {
      return false;
    }
  }

  replayable(): boolean {
    return replayable(this.#init.body);
  }

  discard(outcome: Outcome<Response>): void {
    if (outcome.ok) dropBody(outcome.value);
  }
}

/** A `Request` (of any realm, or a polyfill's): what `fetch` reads its method, headers and body from. */
function isRequest(input: unknown): input is Request {
  if (typeof input !== 'object' || input === null || input instanceof URL) return false;
  const r = input as Partial<Request>;
  return typeof r.url === 'string' && typeof r.method === 'string' && typeof r.clone === 'function';
}

// The last inputs resolved against a `baseURL`, with what they resolved to: an app calls
// the same few paths again and again, and `new URL()` costs a microsecond or two.
const resolved = new Map<string, string>();
let resolvedBase: string | undefined;

/** `new URL(input, base).href`, remembered for the last few hundred inputs of one base. */
function resolve(input: string, base: string): string {
  if (base !== resolvedBase) {
    resolved.clear();
    resolvedBase = base;
  }
  let href = resolved.get(input);
  if (href === undefined) {
    href = new URL(input, base).href;
    if (resolved.size >= 256) resolved.clear();
    resolved.set(input, href);
  }
  return href;
}
