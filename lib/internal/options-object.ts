import { describe } from '../errors';

/**
 * Checks an opt-in function's options: `undefined` (all defaults) or an object with only
 * `keys`. A bad one throws a `TypeError` naming it; `api` names the call, as `` `persistSession()` ``.
 */
export function optionsObject(api: string, options: unknown, keys: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${api} options must be an object; got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) throw new TypeError(`${api} got an unknown option \`${key}\`; expected one of: ${keys.join(', ')}`);
  }
  return options as Record<string, unknown>;
}

/** The `TypeError` for a bad option: `` `persistSession()` option `key` must be … ``. */
export function optionError(api: string, option: string, must: string): TypeError {
  return new TypeError(`${api} option \`${option}\` ${must}`);
}
