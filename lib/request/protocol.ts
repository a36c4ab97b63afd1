import type { SessionError } from '../errors';
import type { AbortScope, RequestSignal } from '../internal/abort-scope';
import type { SignalLike } from '../internal/signal-like';
import { isProbe, type ProbeOutcome, type ProbeTicket } from '../internal/store-link';
import type { SessionView } from './session-view';

/** What one attempt came to: the client's response, or its error. */
export type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/**
 * One request as a client adapter (axios, fetch) hands it to the protocol: the steps that
 * depend on the client. The protocol decides what happens, in which order; the exchange
 * knows how to do it to its client's request.
 */
export interface Exchange<R> {
  /** The epoch the request was issued in (`null`: signed out; `undefined`: not noted), updated as it is sent. */
  issuedIn: AbortScope | null | undefined;
  /** `skipAuth: true`: no token, not tied to the session, never held, never retried. */
  readonly skipAuth: boolean;
  /** The caller's own signal: passed to the store so that it knows the refresh's own request. */
  readonly caller: SignalLike | undefined;
  /** Whether a 401 of this request was already recovered once. */
  retried: boolean;
  /** Whether the request's target may receive the token (its origin, exactly). */
  mayCarryToken(): boolean;
  /**
   * Puts `value` in the header and says whether the request now carries it (a caller may
   * have said not to send the header); with `null`, removes the session's token instead.
   */
  stamp(value: string | null): boolean;
  /** Sends the request once: tied to its epoch by `signal` (a logout aborts it), or untied (`null`: the caller's own signal). */
  send(signal: RequestSignal | null): Promise<R>;
  /** A tied attempt was answered: settle `signal` now, or once the response's body has been read. */
  release(response: R, signal: RequestSignal): void;
  /** Waits for `until` (which never rejects) and resolves with its value; rejects as the client does if the caller cancels meanwhile. */
  wait<T>(until: Promise<T>): Promise<T>;
  /** What a request of an ended session rejects with (`outcome`: what its attempt came to, if it was sent). */
  ended(reason: SessionError | undefined, outcome?: Outcome<R>): unknown;
  /** What the outcome says of the token: taken, refused, or nothing (no answer, a 5xx). */
  verdict(outcome: Outcome<R>): ProbeOutcome;
  /** Whether the outcome means the token did not work (`shouldRefresh`). */
  asksRefresh(outcome: Outcome<R>): boolean;
  /** Whether the request can be sent again: its body is not a stream read once. */
  replayable(): boolean;
  /** Drops an answer that is not delivered because the request is sent again (frees its body). */
  discard?(outcome: Outcome<R>): void;
}

/** Does nothing: a rejection handler for a promise whose failure is of no interest. */
export const noop = (): void => undefined;

/**
 * The request protocol every client follows. One explicit sequence, run again from the top
 * when the request must be judged afresh (after a wait, or for its one retry):
 *
 * 1. judge: `skipAuth`? an ended epoch (cancel)? signed in? an origin that may have the token?
 * 2. wait: held for a refresh, or for a probe's answer (see `StoreLink.hold`);
 * 3. stamp the current token, as the request leaves;
 * 4. tie the request to its epoch (a logout aborts it) and send it;
 * 5. check the delivery: an answer that comes after its epoch ended is a cancel, never a success;
 * 6. recover: a 401 on the current token means one shared refresh, and one retry.
 */
export async function dispatch<R>(view: SessionView, x: Exchange<R>): Promise<R> {
  const { link } = view;
  // The view is in sync at the start (the adapter brought it up to date), and again after each wait.
  for (;;) {
    // 1. Judge.
    if (x.skipAuth) {
      x.stamp(null);
      return x.send(null);
    }
    const issuedIn = x.issuedIn;
    if (issuedIn != null && issuedIn !== view.scope) {
      x.stamp(null);
      throw x.ended(issuedIn.endedWith);
    }
    const scope = view.scope;
    if (!view.active || scope === null) {
      // Unbound meanwhile, or signed out: sent untied, so a later logout does not turn its answer into a cancel.
      x.issuedIn = null;
      x.stamp(null);
      return x.send(null);
    }
    const sent = view.value;
    // No token (another origin, or the caller said not to send the header), but still of
    // this epoch: tied, and not delivered after a logout; never held, never retried.
    const carries = sent !== null && x.mayCarryToken() ? x.stamp(sent) : x.stamp(null);
    let ticket: ProbeTicket | undefined;
    if (carries) {
      // It carries the token: it belongs to this epoch even if it was issued while signed out.
      x.issuedIn = scope;
      // 2. Wait: a token known not to work (expired, refused) or being refreshed is not sent;
      // nor one no response has confirmed yet, beyond the few requests that test it.
      const mayHold = view.mayHold; // read first: a `hold()` that ends the session changes it
      const hold = mayHold ? link.hold(x.caller) : undefined;
      if (hold !== undefined && !isProbe(hold)) {
        await x.wait(hold);
        view.sync();
        continue;
      }
      ticket = hold;
      // Found expired just now, with no refresh to renew it: the session ended; judge again.
      if (mayHold && link.state().scope !== scope) {
        view.sync();
        continue;
      }
    }
    // 3.-4. Stamped above, from the state judged just now; tied and sent.
    const signal = scope.track(x.caller);
    let outcome: Outcome<R>;
    try {
      outcome = { ok: true, value: await x.send(signal) };
      x.release(outcome.value, signal);
    } catch (error) {
      signal.settle();
      outcome = { ok: false, error };
    }
    if (ticket !== undefined) link.answered(ticket, x.verdict(outcome));
    // 5. Check the delivery (an ended epoch's answer is a cancel); 6. or recover, once.
    if (scope.ended || !carries || x.retried || !view.canRefresh || !x.asksRefresh(outcome)) {
      return delivered(scope, x, outcome);
    }
    x.retried = true;
    view.sync();
    let again = view.value !== sent; // rotated by another call since: no refresh needed
    if (!x.replayable()) {
      // A body that can be read only once is not sent again: the refresh still helps later requests.
      if (!again) await x.wait(link.recover(x.caller).catch(noop));
      return delivered(scope, x, outcome);
    }
    if (!again) {
      // Refreshed, or rotated (or ended) meanwhile: sent again, judged afresh.
      const refreshed = await x.wait(
        link.recover(x.caller).then(
          () => true,
          () => false,
        ),
      );
      view.sync();
      again = refreshed || view.value !== sent;
    }
    if (!again) return delivered(scope, x, outcome);
    x.discard?.(outcome);
  }
}

/**
 * The answer of an attempt as the caller gets it: a cancel if its epoch ended (checked
 * again after a wait for the refresh, which a logout or a failed refresh may end).
 */
function delivered<R>(scope: AbortScope, x: Exchange<R>, outcome: Outcome<R>): R {
  if (scope.ended) throw x.ended(scope.endedWith, outcome);
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}
