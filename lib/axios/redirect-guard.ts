import type { InternalAxiosRequestConfig } from 'axios';
import { CanceledError } from './axios-values';
import { removeHeader } from './headers';

type Redirect = NonNullable<InternalAxiosRequestConfig['beforeRedirect']>;

/**
 * Every binding's guards, each with the request's own hook it wraps. A config that comes
 * back with a guard (a retry, a re-sent or moved config) is guarded again around its own
 * hook, never around an old guard: that one read the old request's signal and another
 * binding's rules, and guards would pile up with each move.
 */
const ownHooks = new WeakMap<Redirect, Redirect | undefined>();

/** The `beforeRedirect` hooks of one binding (see {@link redirectGuards}). */
export interface RedirectGuards {
  /** Whether requests without a hook of their own need a guard (a custom header). */
  readonly everyRequest: boolean;
  /** Puts this binding's guard in `config.beforeRedirect`, around the config's own hook. */
  guard(config: InternalAxiosRequestConfig): void;
}

/**
 * The `beforeRedirect` hooks of one binding (axios' http adapter, which follows redirects
 * itself with follow-redirects):
 * - with a custom header, they strip it on a hop to an origin that may not have the token
 *   (follow-redirects drops `Authorization` there by itself, but no other header);
 * - around a request's own hook, they stop the hop when the request was aborted meanwhile
 *   (a `logout()` in the hook): follow-redirects would still make it, with the ended
 *   session's token.
 * One guard serves every config without a hook of its own; a request with one gets its
 * own guard. A guard already on a config (this binding's or another's) is replaced.
 *
 * @param mayCarryToken - With a custom header: whether a hop's origin may have the token.
 */
export function redirectGuards(
  header: string,
  mayCarryToken: ((config: { url?: unknown }) => boolean) | undefined,
): RedirectGuards {
  const make = (own?: Redirect, config?: InternalAxiosRequestConfig): Redirect => {
    const guard: Redirect = (options, responseDetails, requestDetails) => {
      if (mayCarryToken !== undefined) {
        const href = (options as { href?: unknown }).href;
        const hop = (options as { headers?: Record<string, unknown> }).headers;
        if (hop !== undefined && (typeof href !== 'string' || !mayCarryToken({ url: href }))) removeHeader(hop, header);
      }
      if (own === undefined || config === undefined) return;
      own(options, responseDetails, requestDetails);
      // Aborted while the hook ran (it logged out, say): no hop. follow-redirects turns
      // the throw into the request's error; its caller already has the cancel.
      const signal = config.signal as { aborted?: boolean; reason?: unknown } | undefined;
      if (signal?.aborted === true) {
        throw signal.reason instanceof Error ? signal.reason : new CanceledError(undefined, config);
      }
    };
    ownHooks.set(guard, own);
    return guard;
  };
  const everyRequest = mayCarryToken !== undefined;
  /** The guard of every config without a hook of its own (a custom header only). */
  const shared = everyRequest ? make() : undefined;
  return {
    everyRequest,
    guard: (config) => {
      let own: unknown = config.beforeRedirect;
      if (typeof own === 'function' && ownHooks.has(own as Redirect)) own = ownHooks.get(own as Redirect);
      // `null` is no hook, as in plain axios.
      if (typeof own === 'function') config.beforeRedirect = make(own as Redirect, config);
      else if (shared !== undefined) config.beforeRedirect = shared;
      else if (own === undefined) delete config.beforeRedirect;
    },
  };
}

/**
 * Puts a config's own hook (or none) back in place of a guard it brings from an earlier
 * send: one that will not carry the token needs none, and an old guard would stop its
 * redirects once that earlier request was cancelled.
 */
export function unguard(config: InternalAxiosRequestConfig): void {
  const hook = config.beforeRedirect;
  if (hook == null || !ownHooks.has(hook)) return;
  const own = ownHooks.get(hook);
  if (own === undefined) delete config.beforeRedirect;
  else config.beforeRedirect = own;
}
