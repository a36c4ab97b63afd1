import type { InternalAxiosRequestConfig } from 'axios';
import { removeHeader } from './headers';

type Redirect = NonNullable<InternalAxiosRequestConfig['beforeRedirect']>;

/**
 * The `beforeRedirect` hooks of one binding with a custom header. axios (follow-redirects)
 * drops `Authorization` on a redirect to another origin by itself, but no other header:
 * these strip the binding's header on a hop to an origin that may not have the token, then
 * call the config's own hook, if any. One guard serves every config without a hook of its
 * own, and one is made per caller hook; another binding's guard (a moved config) is wrapped,
 * not trusted.
 */
export class RedirectGuards {
  readonly #header: string;
  readonly #mayCarryToken: (config: { url?: unknown }) => boolean;
  #shared: Redirect | undefined;
  readonly #byHook = new WeakMap<Redirect, Redirect>();
  readonly #mine = new WeakSet<Redirect>();

  constructor(header: string, mayCarryToken: (config: { url?: unknown }) => boolean) {
    this.#header = header;
    this.#mayCarryToken = mayCarryToken;
  }

  /** Puts this binding's guard in `config.beforeRedirect`, around the config's own hook. */
  guard(config: InternalAxiosRequestConfig): void {
    const own = config.beforeRedirect;
    if (own !== undefined && this.#mine.has(own)) return;
    let guard = own === undefined ? this.#shared : this.#byHook.get(own);
    if (guard === undefined) {
      guard = (options, responseDetails, requestDetails) => {
        const href = (options as { href?: unknown }).href;
        if (typeof href !== 'string' || !this.#mayCarryToken({ url: href })) {
          const hop = (options as { headers?: Record<string, unknown> }).headers;
          if (hop !== undefined) removeHeader(hop, this.#header);
        }
        own?.(options, responseDetails, requestDetails);
      };
      this.#mine.add(guard);
      if (own === undefined) this.#shared = guard;
      else this.#byHook.set(own, guard);
    }
    config.beforeRedirect = guard;
  }
}
