import type { SessionStorageLike } from './persist-options';

/**
 * A storage that lives in memory: for Node, server-side rendering and tests, where there
 * is no `localStorage`. Nothing survives the process.
 */
export function memoryStorage(): SessionStorageLike {
  const values = new Map<string, string>();
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
  };
}
