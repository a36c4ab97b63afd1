import { isSessionError, type SessionError } from '../errors';
import type { AbortEventLike, AbortListener, SignalLike } from './signal-like';

/**
 * The per-request signal rx-session puts in `config.signal`.
 *
 * It implements the shape of axios' `GenericAbortSignal` (the `aborted` / `reason` /
 * `addEventListener` / `removeEventListener` shape that the http, xhr and fetch
 * adapters use) as a plain object. A DOM `AbortController` with one listener added and
 * removed costs about 3 µs in Node 20, close to a tenth of a whole axios request, and
 * one shared `AbortSignal` with a listener per request grows quadratically. This costs a few dozen nanoseconds, and each request has its own.
 */
export class RequestSignal implements SignalLike {
  /** Whether the request was cancelled. */
  aborted = false;
  /** Why: a `SessionError('SESSION_ENDED')` on logout, or the caller's own signal's reason. */
  reason: unknown;
  /** Called once, like `AbortSignal.onabort`. */
  onabort: AbortListener | null = null;

  #listeners: AbortListener[] | undefined;
  /** The scope it was created in (it forgets the signal on settle). */
  readonly #home: AbortScope | undefined;
  /** What only some requests need, kept apart so that a request's signal stays small. */
  #rare: Rare | undefined;

  /**
   * @internal Use {@link AbortScope.track}. Tracked by `scope` from now on, and following
   * `origin` (the caller's own signal) if given.
   */
  constructor(scope: AbortScope | undefined, origin?: SignalLike) {
    this.#home = scope;
    scope?.live.add(this);
    if (origin !== undefined) {
      this.#rare = { origin };
      this.#link(origin);
    }
  }

  /** @internal The caller's own signal this one follows, if any. */
  get origin(): SignalLike | undefined {
    return this.#rare?.origin;
  }

  /**
   * @internal The `SESSION_ENDED` error if the session this request belongs to has
   * ended, even after the request settled.
   */
  sessionEnded(): SessionError | undefined {
    const home = this.#home;
    if (home?.ended) return home.endedWith;
    return this.aborted && isSessionError(this.reason, 'SESSION_ENDED') ? this.reason : undefined;
  }

  addEventListener(type: string, listener: AbortListener): void {
    if (type !== 'abort' || typeof listener !== 'function') return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(type: string, listener: AbortListener): void {
    const list = this.#listeners;
    if (type !== 'abort' || list === undefined) return;
    const at = list.indexOf(listener);
    if (at !== -1) list.splice(at, 1);
    if (!list.length && this.#rare?.settleWhenUnheard) this.settle();
  }

  /**
   * @internal Settles once the adapter stops listening (at once if it already has): a
   * streamed body stays tied to its session until it has been read.
   */
  settleWhenUnheard(): void {
    if (!this.#listeners?.length) this.settle();
    else (this.#rare ??= {}).settleWhenUnheard = true;
  }

  /** Throws `reason` if the signal was aborted, like `AbortSignal.throwIfAborted()`. */
  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Follows the caller's own signal: its abort cancels this request only. */
  #link(caller: SignalLike): void {
    if (caller.aborted) {
      this.abort(caller.reason);
      return;
    }
    if (typeof caller.addEventListener !== 'function') return;
    const link = links.get(caller) ?? callerLink(caller);
    link.members.add(this);
    (this.#rare ??= {}).follows = link;
  }

  /** @internal The request settled: stop tracking it and stop following the caller's signal. */
  settle(): void {
    this.#home?.live.delete(this);
    const rare = this.#rare;
    if (rare?.follows !== undefined) {
      rare.follows.leave(this);
      rare.follows = undefined;
    }
  }

  /** @internal Runs `fn` on abort before any listener (the adapter's included). */
  first(fn: () => void): void {
    (this.#rare ??= {}).first = fn;
  }

  /** @internal Abort with `reason` and tell the adapter's listeners. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.settle();
    const rare = this.#rare;
    const event: AbortEventLike = { type: 'abort', target: this };
    const first = rare?.first ?? null;
    if (rare !== undefined) rare.first = undefined;
    call(this, first, event);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    call(this, this.onabort, event);
    if (listeners !== undefined) for (const listener of listeners) call(this, listener, event);
  }
}

/** A request signal's less common state. */
interface Rare {
  /** The caller's own signal, so that a retried config follows it rather than this. */
  origin?: SignalLike;
  follows?: CallerLink | undefined;
  settleWhenUnheard?: boolean;
  first?: (() => void) | undefined;
}

function call(signal: RequestSignal, listener: AbortListener | (() => void) | null, event: AbortEventLike): void {
  if (listener === null) return;
  try {
    listener.call(signal, event);
  } catch (err) {
    // Like EventTarget: one listener's error must not stop the others (or a logout),
    // so it is reported asynchronously instead of thrown here.
    queueMicrotask(() => {
      throw err;
    });
  }
}

/**
 * The requests that follow one caller signal. However many requests share a signal
 * (say, one per component, aborted when it is destroyed), it gets one listener, removed
 * when the last of them settles: no listener growth, no `MaxListenersExceededWarning`.
 */
interface CallerLink {
  readonly members: Set<RequestSignal>;
  leave(signal: RequestSignal): void;
}

/** A new link of the requests that follow `caller`, listening to it, and registered in `links`. */
function callerLink(caller: SignalLike): CallerLink {
  const members = new Set<RequestSignal>();
  const close = (): void => {
    if (links.get(caller) === link) links.delete(caller);
    caller.removeEventListener?.('abort', onAbort);
  };
  const onAbort = (): void => {
    close();
    for (const signal of members) signal.abort(caller.reason);
  };
  const link: CallerLink = {
    members,
    leave(signal) {
      members.delete(signal);
      if (members.size === 0) close();
    },
  };
  caller.addEventListener?.('abort', onAbort);
  links.set(caller, link);
  return link;
}

const links = new WeakMap<SignalLike, CallerLink>();

/**
 * The requests of one session epoch, aborted together when the epoch ends.
 *
 * A `Set` of per-request signals instead of listeners on one shared signal: tracking
 * and forgetting are O(1), and ending the scope is one linear pass.
 */
export class AbortScope {
  /** @internal The live requests (a settling signal deletes itself). */
  readonly live = new Set<RequestSignal>();
  /** Whether the epoch has ended: a plain field, read on every request (see {@link endedWith} for why). */
  ended = false;
  #endedWith: SessionError | undefined;
  /** Makes the reason when first asked for: most epochs end with nothing in flight, and an error's stack costs microseconds. */
  #reason: (() => SessionError) | undefined;
  /**
   * The id of the login this epoch began with, which tabs and the storage share; set by
   * `persistSession()` and `syncTabs()` when they first need it (see persist/login-id.ts).
   */
  declare loginId?: string;

  /** How many requests of this epoch have not settled. */
  get size(): number {
    return this.live.size;
  }

  /** The reason the epoch ended with, or `undefined` while it is live. */
  get endedWith(): SessionError | undefined {
    return (this.#endedWith ??= this.#reason?.());
  }

  /** A signal for a new request of this epoch, following the caller's own `signal` if any. */
  track(caller: SignalLike | undefined): RequestSignal {
    return new RequestSignal(this, caller ?? undefined);
  }

  /**
   * Ends the epoch: every live request is aborted with `reason` (made when first needed).
   * (The binding tracks requests only into the current epoch.)
   */
  end(reason: () => SessionError): void {
    if (this.ended) return;
    this.#reason = reason;
    this.ended = true;
    if (this.live.size === 0) return;
    const why = this.endedWith;
    // Each abort() removes its signal from the set; deleting the current entry while
    // iterating a Set is well defined, and nothing can be added once the scope ended.
    for (const signal of this.live) signal.abort(why);
  }
}

/**
 * A signal of no scope that follows `caller`: what a request waiting (for a refresh, say)
 * listens to, so that however many wait on one caller signal, it gets one listener. Settle
 * it when the wait is over.
 */
export function follow(caller: SignalLike): RequestSignal {
  return new RequestSignal(undefined, caller);
}

/** A signal that is already aborted with `reason` and belongs to no scope. */
export function aborted(reason: unknown): RequestSignal {
  const signal = new RequestSignal(undefined);
  signal.abort(reason);
  return signal;
}
