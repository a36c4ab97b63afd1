import type { InternalAxiosRequestConfig } from 'axios';
import { headerOf, removeHeader } from './headers';

type Redirect = NonNullable<InternalAxiosRequestConfig['beforeRedirect']>;

/**
 * The `beforeRedirect` hooks of one binding (axios' http adapter, which follows redirects
 * itself with follow-redirects):
 * - with a custom header, they strip it on a hop to an origin that may not have the token
 *   (follow-redirects drops `Authorization` there by itself, but no other header);
 * - around the config's own hook, they strip a token whose session that hook ended (a
 *   `logout()` in it): follow-redirects still makes the next hop after the request was
 *   aborted, with the headers it had.
 * One guard serves every config without a hook of its own, and one is made per caller
 * hook; another binding's guard (a moved config) is wrapped, not trusted.
 */
export class RedirectGuards {
  readonly #header: string;
  readonly #mayCarryToken: ((config: { url?: unknown }) => boolean) | undefined;
  readonly #ended: (value: unknown) => boolean;
  #shared: Redirect | undefined;
  readonly #byHook = new WeakMap<Redirect, Redirect>();
  readonly #mine = new WeakSet<Redirect>();

  /**
   * @param mayCarryToken - With a custom header: whether a hop's origin may have the token.
   * @param ended - Whether a header value is a token of this binding's that is no longer current.
   */
  constructor(
    header: string,
    mayCarryToken: ((config: { url?: unknown }) => boolean) | undefined,
    ended: (value: unknown) => boolean,
  ) {
    this.#header = header;
    this.#mayCarryToken = mayCarryToken;
    this.#ended = ended;
  }

  /** Puts this binding's guard in `config.beforeRedirect`, around the config's own hook. */
  guard(config: InternalAxiosRequestConfig): void {
    const own = config.beforeRedirect;
    if (own !== undefined && this.#mine.has(own)) return;
    let guard = own === undefined ? this.#shared : this.#byHook.get(own);
    if (guard === undefined) {
      guard = (options, responseDetails, requestDetails) => {
        const hop = (options as { headers?: Record<string, unknown> }).headers;
        const href = (options as { href?: unknown }).href;
        const mayCarryToken = this.#mayCarryToken;
        if (hop !== undefined && mayCarryToken !== undefined && (typeof href !== 'string' || !mayCarryToken({ url: href }))) {
          removeHeader(hop, this.#header);
        }
        if (own === undefined) return;
        own(options, responseDetails, requestDetails);
        if (hop !== undefined && this.#ended(headerOf(hop, this.#header))) removeHeader(hop, this.#header);
      };
      this.#mine.add(guard);
      if (own === undefined) this.#shared = guard;
      else this.#byHook.set(own, guard);
    }
    config.beforeRedirect = guard;
  }
}
