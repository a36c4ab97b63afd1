import {
  HttpErrorResponse,
  HttpEventType,
  type HttpEvent,
  type HttpHandlerFn,
  type HttpRequest,
  type HttpResponse,
} from '@angular/common/http';
import type { Subscriber, Subscription } from 'rxjs';
import { SessionError } from '../errors';
import type { AbortScope, RequestSignal } from '../internal/abort-scope';
import type { SignalLike } from '../internal/signal-like';
import type { ProbeOutcome } from '../internal/store-link';
import type { Exchange, Outcome } from '../request/protocol';
import type { SessionView } from '../request/session-view';
import { replayable } from '../request/store-of';
import { waitUnlessAborted } from '../request/wait-unless-aborted';

/** What an exchange needs of its interceptor's binding (see `sessionInterceptor`). */
export interface HttpBinding {
  readonly view: SessionView;
  /** Whether a request's URL may receive the token (its origin, exactly). */
  mayCarryToken(url: string): boolean;
  shouldRefresh(error: HttpErrorResponse): boolean;
}

/**
 * One request through `sessionInterceptor`, as the request protocol sees it (see
 * `dispatch`). Each attempt subscribes to the rest of the chain (`next`), which an
 * unsubscription aborts (the XHR, or the fetch, of Angular's backends): that is how a
 * logout, or the caller's unsubscription, cancels it. Events before the response
 * (`Sent`, progress) are passed on as they come; the response is delivered by the protocol.
 */
export class HttpExchange implements Exchange<HttpResponse<unknown>> {
  issuedIn: AbortScope | null | undefined;
  readonly skipAuth: boolean;
  readonly caller: SignalLike;
  retried = false;
  readonly #binding: HttpBinding;
  readonly #request: HttpRequest<unknown>;
  readonly #next: HttpHandlerFn;
  readonly #out: Subscriber<HttpEvent<unknown>>;
  /** Aborted when the caller unsubscribes: stops a wait, and the attempt in flight. */
  readonly #cancel = new AbortController();
  #attempt: Subscription | undefined;
  #stamp: string | null = null;

  constructor(
    binding: HttpBinding,
    request: HttpRequest<unknown>,
    next: HttpHandlerFn,
    out: Subscriber<HttpEvent<unknown>>,
    skipAuth: boolean,
  ) {
    this.#binding = binding;
    this.#request = request;
    this.#next = next;
    this.#out = out;
    this.skipAuth = skipAuth;
    this.caller = this.#cancel.signal;
    this.issuedIn = binding.view.scope;
  }

  /** The caller unsubscribed: nothing more is sent, and the attempt in flight is aborted. */
  cancel(): void {
    this.#cancel.abort(new DOMException('The request was cancelled', 'AbortError'));
    this.#attempt?.unsubscribe();
  }

  mayCarryToken(): boolean {
    return this.#binding.mayCarryToken(this.#request.url);
  }

  stamp(value: string | null): boolean {
    this.#stamp = value;
    return value !== null;
  }

  send(tied: RequestSignal | null): Promise<HttpResponse<unknown>> {
    const caller = this.#cancel.signal;
    // Rejected with the signals' reasons, as an aborted fetch is (the protocol turns a logout's into `ended()`).
    if (caller.aborted) return Promise.reject(caller.reason as Error);
    if (tied?.aborted === true) return Promise.reject(tied.reason);
    return new Promise((resolve, reject) => {
      let response: HttpResponse<unknown> | undefined;
      const attempt = this.#next(this.#stamped()).subscribe({
        next: (event) => {
          if (event.type === HttpEventType.Response) response = event;
          else this.#out.next(event);
        },
        error: reject,
        complete: () => {
          if (response !== undefined) resolve(response);
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- HttpClient errors with an HttpErrorResponse
          else reject(new HttpErrorResponse({ error: 'No response', url: this.#request.url }));
        },
      });
      this.#attempt = attempt;
      // A logout aborts the attempt: unsubscribing aborts Angular's XHR, or its fetch.
      tied?.addEventListener('abort', () => {
        attempt.unsubscribe();
        reject(tied.reason);
      });
    });
  }

  release(_response: HttpResponse<unknown>, signal: RequestSignal): void {
    // HttpClient has read the body by the time the response comes.
    signal.settle();
  }

  wait<T>(until: Promise<T>): Promise<T> {
    return waitUnlessAborted(this.caller, until);
  }

  ended(reason: SessionError | undefined): unknown {
    const error = reason ?? new SessionError('SESSION_ENDED', 'The session of this request ended');
    return new HttpErrorResponse({ error, status: 0, statusText: 'Session ended', url: this.#request.urlWithParams });
  }

  /**
   * What the caller gets instead of an outcome that comes as the request's session ends
   * (a logout between the protocol's last look and the delivery): the session's end, if it
   * ended; `undefined` otherwise, and for a request not tied to a session.
   */
  endedMeanwhile(): unknown {
    const scope = this.skipAuth ? null : this.issuedIn;
    return scope?.ended === true ? this.ended(scope.endedWith) : undefined;
  }

  verdict(outcome: Outcome<HttpResponse<unknown>>): ProbeOutcome {
    if (outcome.ok) return 'ok';
    const { error } = outcome;
    if (!(error instanceof HttpErrorResponse) || error.status === 0 || error.status >= 500) return 'none';
    return this.asksRefresh(outcome) ? 'refused' : 'ok';
  }

  asksRefresh(outcome: Outcome<HttpResponse<unknown>>): boolean {
    if (outcome.ok || !(outcome.error instanceof HttpErrorResponse)) return false;
    try {
      return this.#binding.shouldRefresh(outcome.error);
    } catch {
      return false;
    }
  }

  replayable(): boolean {
    return replayable(this.#request.body);
  }

  /** The request as it is sent: the token stamped, or the session's own value removed. */
  #stamped(): HttpRequest<unknown> {
    const request = this.#request;
    const { header, recent } = this.#binding.view;
    const value = this.#stamp;
    if (value !== null) return request.clone({ setHeaders: { [header]: value } });
    const sent = request.headers.get(header);
    // A value of the session's (current or recent) goes; a caller's own value stays.
    return sent !== null && recent.includes(sent) ? request.clone({ headers: request.headers.delete(header) }) : request;
  }
}
