import type { AxiosError } from 'axios';
import { functionOption, parseClientOptions, type ClientSettings } from '../request/client-options';

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
export interface BindSettings extends ClientSettings {
  readonly shouldRefresh: (error: AxiosError) => boolean;
}

const KEYS = ['header', 'scheme', 'allowedOrigins', 'shouldRefresh'];

/** The default `shouldRefresh`: a 401. */
export const isUnauthorized = (error: AxiosError): boolean => error.response?.status === 401;

/** Validates {@link BindAxiosOptions}; a bad one throws a `TypeError` that names it. */
export function parseBindOptions(options: unknown): BindSettings {
  // The options object is checked (and the shared options read) first.
  return {
    ...parseClientOptions('bindAxios()', options, KEYS),
    shouldRefresh: functionOption(
      'bindAxios()',
      'shouldRefresh',
      (options as BindAxiosOptions).shouldRefresh,
      isUnauthorized,
      '(error) => boolean',
    ),
  };
}
