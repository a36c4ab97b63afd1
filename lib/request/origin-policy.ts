/**
 * Decides, per request, whether its target origin may receive the token.
 *
 * Allowed are relative URLs (they go to the instance's `baseURL`, or to the page's own
 * origin), the origin of the instance's `baseURL`, and the `allowedOrigins`. The target
 * is worked out the way axios does (its `buildFullPath`), and origins are compared as
 * the WHATWG URL parser gives them (scheme, host, port), never by string prefix:
 * `https://api.x.com` is a prefix of `https://api.x.com.evil.net`. The parser also
 * decides what only looks relative: `' http://evil'`, `'/\t/evil'` and `'\\\\evil'` all
 * go to `evil` in browsers and in Node.
 */

// axios' isAbsoluteURL: whether `url` replaces `baseURL`.
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;
// An absolute URL with its scheme: a page's <base href> changes nothing about where it goes.
const WITH_SCHEME = /^[a-z][a-z\d+\-.]*:\/\//i;
// Certainly relative to the parser too: empty, a query or fragment, a path with one
// leading slash, or a plain path segment (no scheme: no `:` before the first `/?#`).
const PLAINLY_RELATIVE = /^(?:$|[?#]|\/(?![/\\\t\n\r])|[\w.~%-]+(?:[/?#]|$))/;
// A clean http(s) URL's scheme and authority: no whitespace, control characters,
// backslashes or userinfo, which the parser would treat specially. Its origin is that of
// the whole URL, so a small cache keyed by it keeps `new URL()` off the hot path.
// eslint-disable-next-line no-control-regex -- control characters are what it must exclude
const CLEAN_AUTHORITY = /^https?:\/\/[^/?#\\@\s\x00-\x1f]*(?=[/?#]|$)/i;
// Relative URLs resolve against these: a URL that lands on both hosts is relative (an
// absolute URL cannot name two hosts), so no absolute URL can pass for a relative one.
const PROBE_HOSTS = ['a.rx-session.invalid', 'b.rx-session.invalid'] as const;
const CACHE_LIMIT = 64;

/** The parts of a request config the policy reads. */
export interface UrlConfig {
  url?: unknown;
  baseURL?: unknown;
  allowAbsoluteUrls?: boolean | undefined;
}

/**
 * Normalises one `allowedOrigins` entry to its origin, or throws a `TypeError` naming it.
 */
export function parseAllowedOrigin(entry: unknown, index: number, api = 'bindAxios()'): string {
  let origin: string | undefined;
  if (typeof entry === 'string') {
    try {
      const url = new URL(entry);
      // Only an http(s) scheme, host and port: no path, query, fragment or userinfo; nor a
      // wildcard, which the parser keeps as a literal `*` that no request's host would match.
      const bare =
        /^https?:$/.test(url.protocol) &&
        url.pathname === '/' &&
        url.search + url.hash + url.username + url.password === '' &&
        !url.hostname.includes('*');
      if (bare && url.origin !== 'null') origin = url.origin;
    } catch {
      // not an absolute URL
    }
  }
  if (origin === undefined) {
    throw new TypeError(
      `\`${api}\` option \`allowedOrigins[${index}]\` must be an http(s) scheme, host and optional port such as 'https://api.example.com'; ` +
        `got ${typeof entry === 'string' ? `'${entry}'` : typeof entry}`,
    );
  }
  return origin;
}

/** `'relative'` for a URL that resolves against the page (or `baseURL`), else its origin. */
export type Target = string;
export const RELATIVE: Target = 'relative';

function probeBase(host: string): string {
  // The page's scheme, so that a protocol-relative URL gets the origin the browser gives it.
  const protocol = (globalThis as { location?: { protocol?: string } }).location?.protocol;
  return `${protocol === 'https:' ? 'https:' : 'http:'}//${host}/`;
}

function parseTarget(url: string): Target {
  try {
    const parsed = new URL(url, probeBase(PROBE_HOSTS[0]));
    if (parsed.hostname !== PROBE_HOSTS[0]) return parsed.origin;
    return new URL(url, probeBase(PROBE_HOSTS[1])).hostname === PROBE_HOSTS[1] ? RELATIVE : parsed.origin;
  } catch {
    return 'null';
  }
}

let lastBaseURI: string | undefined;
let lastBaseTarget: Target = RELATIVE;
/**
 * Where a relative URL goes in a browser: the page's origin, unless a `<base href>`
 * points elsewhere, in which case that origin (then judged like any other).
 */
export function documentBaseTarget(): Target {
  const g = globalThis as { document?: { baseURI?: unknown }; location?: { origin?: unknown } };
  const baseURI = g.document?.baseURI;
  if (typeof baseURI !== 'string' || typeof g.location?.origin !== 'string') return RELATIVE;
  if (baseURI !== lastBaseURI) {
    lastBaseURI = baseURI;
    try {
      const origin = new URL(baseURI).origin;
      lastBaseTarget = origin === g.location.origin ? RELATIVE : origin;
    } catch {
      lastBaseTarget = 'null';
    }
  }
  return lastBaseTarget;
}

/**
 * Builds the per-request check. `client.defaults.baseURL` is read on every call, so a
 * `baseURL` set on the instance after binding is honoured.
 */
export function createOriginPolicy(
  allowedOrigins: ReadonlySet<string>,
  client: { readonly defaults: { readonly baseURL?: unknown } },
): (config: UrlConfig) => boolean {
  const cache = new Map<string, Target>();
  // The last instance baseURL seen that names its scheme: a page's <base href> cannot
  // move it, so the (DOM) look at the document's base is skipped for it.
  let fixedBase: unknown;

  function targetOf(url: string): Target {
    if (PLAINLY_RELATIVE.test(url)) return RELATIVE;
    const key = CLEAN_AUTHORITY.exec(url)?.[0];
    if (key === undefined) return parseTarget(url);
    let target = cache.get(key);
    if (target === undefined) {
      target = parseTarget(key);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(key, target);
    }
    return target;
  }

  function allowed(target: Target): boolean {
    if (target === RELATIVE) target = documentBaseTarget();
    if (target === RELATIVE) return true;
    if (target === 'null') return false;
    if (allowedOrigins.has(target)) return true;
    const base = client.defaults.baseURL;
    return typeof base === 'string' && base !== '' && targetOf(base) === target;
  }

  return function mayCarryToken(config: UrlConfig): boolean {
    const raw = config.url;
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a URL object (or anything axios stringifies) by its string form
    const url = typeof raw === 'string' ? raw : raw == null ? '' : String(raw);
    const base = config.baseURL;
    // As axios' buildFullPath: a baseURL is used unless the url is an absolute string
    // (and allowAbsoluteUrls is not false); without a url, the request goes to baseURL.
    // A path ('/users', the common case) cannot match ABSOLUTE_URL: skip the regex for it.
    const maybeAbsolute = url.charCodeAt(0) !== 47 || url.charCodeAt(1) === 47;
    const replacesBase = typeof raw === 'string' && maybeAbsolute && ABSOLUTE_URL.test(url) && config.allowAbsoluteUrls !== false;
    if (base != null && base !== '' && (raw == null || (typeof raw === 'string' && !replacesBase))) {
      // "<base>/<url>" goes to baseURL's origin, allowed by definition for the instance's own;
      // unless the page's <base href> points elsewhere: a relative baseURL then goes there.
      if (base === client.defaults.baseURL) {
        if (base === fixedBase) return true;
        if (typeof base === 'string' && WITH_SCHEME.test(base)) return ((fixedBase = base), true);
        if (documentBaseTarget() === RELATIVE) return true;
      }
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- as `url` above
      return allowed(targetOf(String(base)));
    }
    return allowed(targetOf(url));
  };
}
