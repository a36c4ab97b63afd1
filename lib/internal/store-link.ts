import type { Clock } from '../clock';
import type { AuthenticatedSession, Session } from '../session';
import type { SessionStorageErrorEvent } from '../events';
import type { AbortScope } from './abort-scope';

/**
 * What a binding (such as `bindAxios`) sees of a store: the current state, read
 * synchronously on every request, and a hook called on every state change.
 *
 * Kept out of the public class so that apps cannot reach around the store's rules.
 */
export interface StoreLink<TUser = unknown> {
  /** The current session and the scope of its epoch (`null` while anonymous). */
  state(): StoreState<TUser>;
  /**
   * Registers a binding. `sync` is called at once and then synchronously on every
   * change, before subscribers of `session$` hear of it; `detach` when the store is
   * disposed. Returns the function that unregisters it.
   */
  attach(binding: Binding): () => void;
  /**
   * Whether a request that would carry the token must wait for a refresh first:
   * `undefined` to send it now, or a promise (that never rejects) to wait for before
   * judging it again. `signal` is the request's own signal: the refresh's request is not held.
   */
  hold(signal: unknown): Promise<void> | ProbeTicket | undefined;
  /**
   * What became of a request that `hold()` let go as a probe (`ticket`: it carried a token no
   * response had confirmed yet): `'ok'` the server took it, `'refused'` it answered as if
   * the token does not work, `'none'` no answer (a network error, a cancel).
   */
  answered(ticket: ProbeTicket, outcome: ProbeOutcome): void;
  /**
   * A request got a 401 with the current token: the shared refresh (rejects when it
   * fails, or at once for the refresh's own request, known by its `signal`).
   */
  recover(signal: unknown): Promise<AuthenticatedSession<TUser>>;
  /** Whether the store has a `refresh` to recover with. */
  canRefresh(): boolean;
  /**
   * Without a `refresh`: ends now (`logout('expired')`) a session the clock says has expired,
   * whose timer fired late (a machine that slept). For what reads the session without a request (a route guard).
   */
  expire(): void;
  /** Emits an event on `events$`, stamped with the store's clock (queued behind the store's own emissions). */
  event(event: Omit<SessionStorageErrorEvent, 'timestamp' | 'at'>): void;
  /** The store's refresh attempts, and what they run in (set through ./refresh-guards). */
  readonly attempts: { guard: RefreshGuard | undefined };
}

/**
 * What `persistSession()` and `syncTabs()` wrap each refresh attempt in, so that the tabs of
 * an origin make one refresh call between them, and none presents a refresh token another
 * has used already (with a rotating refresh token, the server would revoke the grant):
 * `syncTabs()` runs it under a lock the tabs share (outer), and `persistSession()` takes a
 * newer session from the storage instead of calling `run`. Settles as the attempt does.
 */
export type RefreshGuard = (run: () => unknown, attempt: GuardedAttempt) => unknown;

/** What a {@link RefreshGuard} knows of the attempt it runs. */
export interface GuardedAttempt {
  /** The attempt's signal: it aborts when the refresh is no longer needed (another tab's session came). */
  readonly signal: AbortSignal;
  /** `refreshTimeout`: an attempt that takes longer has failed. */
  readonly timeout: number;
  /** The store's clock. */
  readonly clock: Clock;
  /** Sets the attempt to fail `ms` from now (a wait for the lock is not the call's time). */
  readonly arm: (ms: number) => void;
}

/**
 * `hold()`'s answer for a request that goes now, as one of the few that test a token no
 * response has confirmed yet: the test it belongs to, to tell its outcome to. (A test of the
 * same token in a later session is another one: an old request's answer counts only for its own.)
 */
export interface ProbeTicket {
  readonly token: string;
}

/** Whether `hold()` let the request go as a probe (rather than making it wait). */
export function isProbe(wait: Promise<void> | ProbeTicket): wait is ProbeTicket {
  return !(wait instanceof Promise);
}

/** What became of a probe: the server took the token, refused it, or never answered. */
export type ProbeOutcome = 'ok' | 'refused' | 'none';

/** The store's state as a binding needs it. */
export interface StoreState<TUser = unknown> {
  /** The current session. */
  readonly session: Session<TUser>;
  /** Its epoch's scope, which its requests are tied to; `null` while anonymous. */
  readonly scope: AbortScope | null;
  /**
   * Set by `syncTabs()` when it hears of another tab's logout in this state: a stored
   * session `persistSession()` is still reading (an async storage) has ended, and is not restored.
   */
  heardLogout?: true;
}

/** A binding registered with a store. */
export interface Binding {
  /** Brings the binding in line with the store's state (its defaults, say). */
  sync(): void;
  /** Unbinds it: the store was disposed. */
  detach(): void;
}

/**
 * Every store carries this registered symbol, `true` while alive and `false` once disposed,
 * so that `bindAxios` can tell a disposed store from one made by another copy of rx-session
 * (both its ESM and CommonJS builds loaded), whose link this copy cannot see.
 */
export const STORE_BRAND = Symbol.for('rx-session.SessionStore');

/** Each live store's link, looked up by `bindAxios` (a WeakMap: a dropped store is collected). */
export const storeLinks = new WeakMap<object, StoreLink>();
