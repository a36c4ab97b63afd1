import { optionError, optionsObject } from '../internal/options-object';
import { parseAllowedOrigin } from './origin-policy';

/** The options every client binding takes (`bindAxios`, `createFetch`), with defaults applied. */
export interface ClientSettings {
  readonly header: string;
  readonly scheme: string;
  readonly allowedOrigins: ReadonlySet<string>;
}

// RFC 9110 `token`: what a header name, and an auth scheme, may be made of.
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Checks a binding's options object: an object with only `keys`, and valid shared options.
 * A bad one throws a `TypeError` naming it (`api` is how the message names the call).
 */
export function parseClientOptions(api: string, options: unknown, keys: readonly string[]): ClientSettings {
  const name = `\`${api}\``;
  const {
    header = 'Authorization',
    scheme = 'Bearer',
    allowedOrigins = [],
  } = optionsObject(name, options, keys) as { header?: unknown; scheme?: unknown; allowedOrigins?: unknown };
  if (typeof header !== 'string' || !HTTP_TOKEN.test(header)) {
    throw optionError(name, 'header', "must be a header name such as 'Authorization'");
  }
  if (typeof scheme !== 'string' || (scheme !== '' && !HTTP_TOKEN.test(scheme))) {
    throw optionError(name, 'scheme', "must be a word such as 'Bearer', or '' for the raw token");
  }
  if (!Array.isArray(allowedOrigins)) throw optionError(name, 'allowedOrigins', 'must be an array of origin strings');
  return {
    header,
    scheme,
    // `Array.from`, not `map`: a hole is checked (and refused) as `undefined`, not skipped.
    allowedOrigins: new Set(Array.from(allowedOrigins, (entry: unknown, i) => parseAllowedOrigin(entry, i, api))),
  };
}

/** Checks an optional function option; a bad one throws a `TypeError` naming it. */
export function functionOption<T>(api: string, name: string, value: unknown, fallback: T, shape: string): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw optionError(`\`${api}\``, name, `must be a function \`${shape}\``);
  return value as T;
}
