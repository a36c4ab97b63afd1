import { optionError } from '../internal/options-object';
import { functionOption, parseClientOptions, type ClientSettings } from '../request/client-options';

/** `fetch`'s signature, as `createFetch` takes and returns it. */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/**
 * The init of a request of a fetch function made by `createFetch`: `fetch`'s own, plus
 * `skipAuth`.
 */
export type SessionRequestInit = RequestInit & {
  /**
   * Send this request without the session's token, and do not tie it to the session: a
   * logout does not cancel it, it is never held for a refresh, never retried.
   */
  skipAuth?: boolean;
};

/** Options of `createFetch`. */
export interface CreateFetchOptions {
  /**
   * What relative inputs resolve against (as `new URL(input, baseURL)` does: keep a trailing
   * slash, and no leading one on the input, to keep a path prefix). Its origin may receive
   * the token. Without it, inputs go to `fetch` as given: in a browser relative ones resolve
   * against the page, whose origin may receive the token.
   */
  baseURL?: string | URL;
  /**
   * Origins besides the `baseURL`'s (or the page's) that may receive the token, such as
   * `'https://files.example.com'`. Compared exactly (scheme, host and port), never by prefix.
   */
  allowedOrigins?: readonly string[];
  /** The header that carries the token. Default `'Authorization'` (see docs/fetch.md on redirects). */
  header?: string;
  /** What goes before the token: `<scheme> <token>`. Default `'Bearer'`; `''` sends the raw token. */
  scheme?: string;
  /**
   * Which responses mean "the token has expired": the request is then sent once more after
   * the store's shared refresh (or at once, if the token was rotated since it was sent).
   * Asked only for requests that carried the session's token, on a store with a `refresh`.
   * Default: status 401.
   */
  shouldRefresh?: (response: Response) => boolean;
  /** The `fetch` to send with. Default: `globalThis.fetch`, looked up on every request. */
  fetch?: FetchFunction;
}

/** The options with defaults applied. */
export interface FetchSettings extends ClientSettings {
  readonly baseURL: string | undefined;
  readonly shouldRefresh: (response: Response) => boolean;
  readonly fetch: FetchFunction | undefined;
}

const API = 'createFetch()';
const KEYS = ['baseURL', 'allowedOrigins', 'header', 'scheme', 'shouldRefresh', 'fetch'];

/** The default `shouldRefresh`: a 401. */
export const isUnauthorizedResponse = (response: Response): boolean => response.status === 401;

/** Validates {@link CreateFetchOptions}; a bad one throws a `TypeError` that names it. */
export function parseFetchOptions(options: unknown): FetchSettings {
  const settings = parseClientOptions(API, options, KEYS);
  const { baseURL, shouldRefresh, fetch } = options as CreateFetchOptions;
  let base: string | undefined;
  try {
    if (typeof baseURL === 'string' || baseURL instanceof URL) base = new URL(String(baseURL)).href;
  } catch {
    // not an absolute URL
  }
  if (baseURL !== undefined && !/^https?:/.test(base ?? '')) {
    throw optionError(`\`${API}\``, 'baseURL', "must be an absolute http(s) URL such as 'https://api.example.com/'");
  }
  return {
    ...settings,
    baseURL: base,
    shouldRefresh: functionOption(API, 'shouldRefresh', shouldRefresh, isUnauthorizedResponse, '(response) => boolean'),
    fetch: functionOption<FetchFunction | undefined>(API, 'fetch', fetch, undefined, '(input, init) => Promise<Response>'),
  };
}
