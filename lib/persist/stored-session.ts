import { optionError } from '../internal/options-object';
import type { StoreState } from '../internal/store-link';
import type { Credentials } from '../session';
import { loginId } from './login-id';

/** What `persistSession()` may keep besides the token. */
export type PersistedField = 'refreshToken' | 'expiresAt' | 'user';

/** Every field: the default of `persistSession()`'s `fields`. */
export const ALL_FIELDS: readonly PersistedField[] = ['refreshToken', 'expiresAt', 'user'];

/** Checks a `fields` option (`api` names the call); a bad one throws a `TypeError` naming it. */
export function parseFields(api: string, fields: unknown = ALL_FIELDS): readonly PersistedField[] {
  if (!Array.isArray(fields) || fields.some((f) => !ALL_FIELDS.includes(f as PersistedField))) {
    throw optionError(api, 'fields', `must be an array of 'refreshToken', 'expiresAt', 'user'`);
  }
  return [...(fields as PersistedField[])];
}

/** Every key of the stored form. */
const STORED_KEYS: readonly string[] = ['v', 'token', 'id', ...ALL_FIELDS];

/** The version of the stored format: a value written by another version (or program) is not read. */
const VERSION = 1;

/** Credentials as stored, with the id of the login they belong to (see ./login-id). */
export type StoredCredentials<TUser = unknown> = Credentials<TUser> & { id?: string };

/**
 * The stored form of a store's state: JSON of `{ v, token, id, …fields }` (`id` the epoch's
 * login id), or `null` when signed out.
 */
export function serialize({ session, scope }: StoreState, fields: readonly PersistedField[]): string | null {
  if (session.status !== 'authenticated') return null;
  const stored: Record<string, unknown> = { v: VERSION, token: session.token, id: loginId(scope) };
  // (`JSON.stringify` leaves out a field that is `undefined`.)
  for (const field of fields) stored[field] = session[field];
  return JSON.stringify(stored);
}

/** Why a stored value was not taken. */
export type ReadProblem = 'invalid-json' | 'invalid-shape';

/**
 * The credentials in a stored value, or what is wrong with it. Only the shape is checked
 * here; `login()` validates the fields (a token with CR/LF, a bad `expiresAt`).
 */
export function deserialize<TUser>(raw: unknown, fields: readonly PersistedField[]): StoredCredentials<TUser> | ReadProblem {
  if (typeof raw !== 'string') return 'invalid-shape';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'invalid-json';
  }
  // `null`, a number, a string or an array has no `v`.
  const stored = (parsed ?? {}) as Record<string, unknown>;
  const { v, token, id } = stored;
  if (v !== VERSION || typeof token !== 'string' || (id !== undefined && typeof id !== 'string')) return 'invalid-shape';
  if (Object.keys(stored).some((key) => !STORED_KEYS.includes(key))) return 'invalid-shape';
  const credentials: Record<string, unknown> = { token, id };
  for (const field of fields) if (stored[field] !== undefined) credentials[field] = stored[field];
  return credentials as unknown as StoredCredentials<TUser>;
}
