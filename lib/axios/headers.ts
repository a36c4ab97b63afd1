/**
 * Case-insensitive header access that works on axios' `AxiosHeaders` and on the plain
 * objects found in `defaults.headers.common` or a redirect's options. A header set as
 * `authorization` by other code must not slip past a check for `Authorization`.
 */
type Headers = Record<string, unknown> & { delete?: (name: string) => unknown };

/** The header's value under any casing of its name, or `undefined`. */
export function headerOf(headers: object, name: string): unknown {
  const bag = headers as Headers;
  const exact = bag[name];
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const key of Object.keys(bag)) if (key.toLowerCase() === lower) return bag[key];
  return undefined;
}

/** Removes the header under every casing of its name. */
export function removeHeader(headers: object, name: string): void {
  const bag = headers as Headers;
  if (typeof bag.delete === 'function') {
    bag.delete(name); // AxiosHeaders: already case-insensitive
    return;
  }
  const lower = name.toLowerCase();
  // The exact name (enumerable or not, see `createBinding`'s `sync`), and the header in whatever case it was set.
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a plain-object bag
  for (const key of [name, ...Object.keys(bag)]) if (key.toLowerCase() === lower) delete bag[key];
}

/**
 * Sets the header, removing any other casing of its name first. A plain property write:
 * at the adapter, after axios has normalised the headers, `AxiosHeaders.set` would only
 * repeat that work. It leaves a header set to `false` or `null` as it is: axios' ways of
 * saying "do not send this header" (a request's `null` overrides a default header in plain axios).
 */
export function stampHeader(headers: object, name: string, value: string): void {
  const bag = headers as Headers;
  if (unsent(bag[name])) return;
  const lower = name.toLowerCase();
  let others: string[] | undefined;
  for (const key of Object.keys(bag)) {
    if (key.length === name.length && key !== name && key.toLowerCase() === lower) {
      if (unsent(bag[key])) return;
      (others ??= []).push(key);
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- another casing of the header, which would be sent too
  if (others !== undefined) for (const key of others) delete bag[key];
  bag[name] = value;
}

/** `false` or `null`: a header the request says not to send. */
function unsent(value: unknown): boolean {
  return value === false || value === null;
}
