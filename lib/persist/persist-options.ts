import { describe } from '../errors';
import { optionError, optionsObject } from '../internal/options-object';
import { memoryStorage } from './memory-storage';
import { parseFields, type PersistedField } from './stored-session';

/**
 * Where `persistSession()` keeps the session: `localStorage`, `sessionStorage`, an
 * in-memory map, or an async store (an IndexedDB wrapper, Capacitor Preferences, React
 * Native AsyncStorage). Each method may return a promise.
 */
export interface SessionStorageLike {
  /** The stored value, or `null` (`undefined`) when there is none. */
  getItem(key: string): string | null | undefined | PromiseLike<string | null | undefined>;
  /** Stores `value`; a promise it returns is waited for before the next write. */
  setItem(key: string, value: string): unknown;
  /** Removes the value; a promise it returns is waited for before the next write. */
  removeItem(key: string): unknown;
}

/** Options of `persistSession()`. */
export interface PersistSessionOptions {
  /**
   * Where to keep the session. Default: `globalThis.localStorage`, looked up when
   * `persistSession()` is called (a `TypeError` where there is none, as in Node: pass
   * `memoryStorage()` or your own there).
   */
  storage?: SessionStorageLike;
  /** The key it is kept under. Default `'rx-session'`. */
  key?: string;
  /**
   * What is kept besides the token. Default all of `'refreshToken'`, `'expiresAt'` and
   * `'user'`. Leave out `'refreshToken'` to keep a long-lived credential out of a storage
   * every script of the page can read (the session then cannot be refreshed after a reload).
   */
  fields?: readonly PersistedField[];
}

/** The options, checked, with defaults applied. */
export interface PersistSettings {
  readonly storage: SessionStorageLike;
  readonly key: string;
  readonly fields: readonly PersistedField[];
  /** Reading `localStorage` itself threw (a sandboxed iframe): the store works in memory. */
  readonly unavailable: unknown;
}

const API = '`persistSession()`';
const KEYS = ['storage', 'key', 'fields'];

const bad = (option: string, must: string): TypeError => optionError(API, option, must);

const isStorage = (value: unknown): value is SessionStorageLike =>
  ['getItem', 'setItem', 'removeItem'].every(
    (method) => typeof (value as Record<string, unknown> | null)?.[method] === 'function',
  );

/** Validates {@link PersistSessionOptions}; a bad one throws a `TypeError` that names it. */
export function parsePersistOptions(options: unknown): PersistSettings {
  const { storage: given, key = 'rx-session', fields } = optionsObject(API, options, KEYS) as PersistSessionOptions;
  let storage = given;
  let unavailable: unknown;
  if (storage === undefined) {
    try {
      storage = (globalThis as { localStorage?: SessionStorageLike }).localStorage;
    } catch (err) {
      // A sandboxed iframe, or storage blocked by the browser: a SecurityError on access.
      unavailable = err;
      storage = memoryStorage();
    }
    if (storage === undefined) {
      throw bad('storage', 'is needed where there is no `localStorage` (Node): pass one, such as `memoryStorage()`');
    }
  }
  if (!isStorage(storage)) throw bad('storage', `must have getItem, setItem and removeItem; got ${describe(storage)}`);
  if (typeof key !== 'string' || key === '') throw bad('key', `must be a non-empty string; got ${describe(key)}`);
  return { storage, key, fields: parseFields(API, fields), unavailable };
}
