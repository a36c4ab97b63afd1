import { disposed } from '../errors';
import { STORE_BRAND, storeLinks, type StoreLink } from '../internal/store-link';

/**
 * The link of the store given to a binding (`api` names the call in messages). Callers
 * without types can pass anything: a disposed store, one of another copy of rx-session,
 * or something else each get their own error.
 */
export function linkOf(store: unknown, api: string, usage: string): StoreLink {
  const link = typeof store === 'object' && store !== null ? storeLinks.get(store) : undefined;
  if (link !== undefined) return link;
  const brand = typeof store === 'object' && store !== null ? (store as Record<symbol, unknown>)[STORE_BRAND] : undefined;
  if (brand === false) throw disposed(api);
  if (brand === true) {
    throw new TypeError(
      `\`${api}\` got a SessionStore of another copy of rx-session (ESM and CommonJS builds both loaded?); import both from one place`,
    );
  }
  throw new TypeError(`\`${usage}\` needs a SessionStore as \`store\``);
}

/** Whether a request body can be sent a second time: not a stream, which can be read only once. */
export function replayable(data: unknown): boolean {
  if (data === null || typeof data !== 'object') return true;
  const body = data as { pipe?: unknown; getReader?: unknown; [Symbol.asyncIterator]?: unknown };
  return (
    typeof body.pipe !== 'function' && typeof body.getReader !== 'function' && typeof body[Symbol.asyncIterator] !== 'function'
  );
}
