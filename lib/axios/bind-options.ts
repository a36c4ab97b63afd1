import type { AxiosError } from 'axios';
import { parseAllowedOrigin } from './origin-policy';

/** Options of {@link bindAxios}. */
export interface BindAxiosOptions {
  /**
   * The header that carries the token. Default `'Authorization'`. Prefer it where redirects
   * are followed by the platform (browsers, the fetch adapter): they drop `Authorization`
   * on a redirect to another origin, but not a custom header. With axios' http adapter the
   * binding drops a custom header on such a redirect itself.
   */
  header?: string;
  /** What goes before the token: `<scheme> <token>`. Default `'Bearer'`; `''` sends the raw token. */
  scheme?: string;
  /**
   * Origins besides the `baseURL`'s that may receive the token, such as
   * `'https://files.example.com'`. Compared exactly (scheme, host and port), never by
   * prefix. With no `baseURL` and no `allowedOrigins`, only relative URLs carry it.
   */
  allowedOrigins?: readonly string[];
  /**
   * Which failures mean "the token has expired": the request is then retried once after
   * the store's shared refresh (or at once, if the token was rotated since it was sent).
   * Asked only for requests that carried the session's token, on a store with a `refresh`.
   * Default: status 401.
   *
   * @example
   * ```ts
   * bindAxios(store, api, {
   *   shouldRefresh: (err) => err.response?.status === 401 && err.response.headers['www-authenticate']?.includes('invalid_token'),
   * });
   * ```
   */
  shouldRefresh?: (error: AxiosError) => boolean;
}

/** The options with defaults applied. */
export interface BindSettings {
  readonly header: string;
  readonly scheme: string;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly shouldRefresh: (error: AxiosError) => boolean;
}

const KEYS = ['header', 'scheme', 'allowedOrigins', 'shouldRefresh'];

/** The default `shouldRefresh`: a 401. */
export const isUnauthorized = (error: AxiosError): boolean => error.response?.status === 401;
// RFC 9110 `token`: what a header name, and an auth scheme, may be made of.
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Validates {@link BindAxiosOptions}; a bad one throws a `TypeError` that names it. */
export function parseBindOptions(options: unknown): BindSettings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`\`bindAxios()\` options must be an object; got ${options === null ? 'null' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) {
      throw new TypeError(`\`bindAxios()\` got an unknown option \`${key}\`; expected one of: ${KEYS.join(', ')}`);
    }
  }
  const {
    header = 'Authorization',
    scheme = 'Bearer',
    allowedOrigins = [],
    shouldRefresh = isUnauthorized,
  } = options as BindAxiosOptions;
  if (typeof header !== 'string' || !HTTP_TOKEN.test(header)) {
    throw new TypeError("`bindAxios()` option `header` must be a header name such as 'Authorization'");
  }
  if (typeof scheme !== 'string' || (scheme !== '' && !HTTP_TOKEN.test(scheme))) {
    throw new TypeError("`bindAxios()` option `scheme` must be a word such as 'Bearer', or '' for the raw token");
  }
  if (!Array.isArray(allowedOrigins)) {
    throw new TypeError('`bindAxios()` option `allowedOrigins` must be an array of origin strings');
  }
  if (typeof shouldRefresh !== 'function') {
    throw new TypeError('`bindAxios()` option `shouldRefresh` must be a function `(error) => boolean`');
  }
  return { header, scheme, allowedOrigins: new Set(allowedOrigins.map(parseAllowedOrigin)), shouldRefresh };
}
