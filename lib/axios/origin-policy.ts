/**
 * Decides, per request, whether its target origin may receive the token.
 *
 * Allowed are relative URLs (they go to the instance's `baseURL`, or to the page's own
 * origin), the origin of the instance's `baseURL`, and the `allowedOrigins`. Origins
 * are compared exactly as the WHATWG URL parser gives them (scheme, host, port), never
 * by string prefix: `https://api.x.com` is a prefix of `https://api.x.com.evil.net`.
 */

// The test axios' buildFullPath uses to decide whether `url` replaces `baseURL`.
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;
// The scheme and authority of an absolute URL: everything before its path, query or
// fragment. Parsing only this part gives the same origin, and a small cache keyed by it
// keeps `new URL()` off the hot path.
const AUTHORITY = /^([a-z][a-z\d+\-.]*:)?\/\/[^/?#]*/i;
const CACHE_LIMIT = 64;

/** The parts of a request config the policy reads. */
export interface UrlConfig {
  url?: string | undefined;
  baseURL?: string | undefined;
  allowAbsoluteUrls?: boolean | undefined;
}

/**
 * Normalises one `allowedOrigins` entry to its origin, or throws a `TypeError` naming it.
 */
export function parseAllowedOrigin(entry: unknown, index: number): string {
  const where = `\`bindAxios()\` option \`allowedOrigins[${index}]\``;
  if (typeof entry !== 'string') throw new TypeError(`${where} must be an origin string; got ${typeof entry}`);
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new TypeError(`${where} must be an absolute origin such as 'https://api.example.com'; got '${entry}'`);
  }
  const bare = (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '';
  if (url.origin === 'null' || !bare || url.username !== '' || url.password !== '') {
    throw new TypeError(
      `${where} must be only a scheme, host and optional port, such as 'https://api.example.com'; got '${entry}'`,
    );
  }
  return url.origin;
}

/**
 * Builds the per-request check. `defaultBaseURL` is read on every call, so a
 * `baseURL` set on the instance after binding is honoured.
 */
export function createOriginPolicy(
  allowedOrigins: ReadonlySet<string>,
  defaultBaseURL: () => string | undefined,
): (config: UrlConfig) => boolean {
  const origins = new Map<string, string>();
  let lastBase: string | undefined;
  let lastDefault: string | undefined;
  let lastBaseAllowed = false;

  function originOf(absoluteUrl: string): string {
    const authority = AUTHORITY.exec(absoluteUrl)?.[0] ?? absoluteUrl;
    let origin = origins.get(authority);
    if (origin === undefined) {
      try {
        // Protocol-relative URLs take the page's scheme, as the browser will.
        origin = new URL(authority, globalThis.location?.href ?? 'http://localhost').origin;
      } catch {
        origin = 'null';
      }
      if (origins.size >= CACHE_LIMIT) origins.clear();
      origins.set(authority, origin);
    }
    return origin;
  }

  function allowed(absoluteUrl: string): boolean {
    const origin = originOf(absoluteUrl);
    if (allowedOrigins.has(origin)) return true;
    const base = defaultBaseURL();
    return typeof base === 'string' && ABSOLUTE_URL.test(base) && originOf(base) === origin;
  }

  return function mayCarryToken(config: UrlConfig): boolean {
    const url = typeof config.url === 'string' ? config.url : '';
    const base = config.baseURL;
    // Fast path: a path starting with one '/' is relative (the common case).
    const absolute = !(url.charCodeAt(0) === 47 && url.charCodeAt(1) !== 47) && ABSOLUTE_URL.test(url);
    if (typeof base === 'string' && base !== '' && (!absolute || config.allowAbsoluteUrls === false)) {
      // axios joins url to baseURL: the request goes to baseURL's origin.
      const instanceBase = defaultBaseURL();
      if (base !== lastBase || instanceBase !== lastDefault) {
        lastBase = base;
        lastDefault = instanceBase;
        lastBaseAllowed = !ABSOLUTE_URL.test(base) || allowed(base);
      }
      return lastBaseAllowed;
    }
    return absolute ? allowed(url) : true;
  };
}
