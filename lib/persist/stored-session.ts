import { optionError } from '../internal/options-object';
import type { Credentials, Session } from '../session';

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

/** The version of the stored format: a value written by another version (or program) is not read. */
const VERSION = 1;

/** The stored form of a session: JSON of `{ v, token, …fields }`, or `null` when signed out. */
export function serialize(session: Session, fields: readonly PersistedField[]): string | null {
  if (session.status !== 'authenticated') return null;
  const stored: Record<string, unknown> = { v: VERSION, token: session.token };
  for (const field of fields) if (session[field] !== undefined) stored[field] = session[field];
  return JSON.stringify(stored);
}

/** Why a stored value was not taken. */
export type ReadProblem = 'invalid-json' | 'invalid-shape';

/**
 * The credentials in a stored value, or what is wrong with it. Only the shape is checked
 * here; `login()` validates the fields (a token with CR/LF, a bad `expiresAt`).
 */
export function deserialize<TUser>(raw: unknown, fields: readonly PersistedField[]): Credentials<TUser> | ReadProblem {
  if (typeof raw !== 'string') return 'invalid-shape';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'invalid-json';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'invalid-shape';
  const stored = parsed as Record<string, unknown>;
  if (stored.v !== VERSION || typeof stored.token !== 'string') return 'invalid-shape';
  for (const key of Object.keys(stored)) {
    if (key !== 'v' && key !== 'token' && !ALL_FIELDS.includes(key as PersistedField)) return 'invalid-shape';
  }
  const credentials: Record<string, unknown> = { token: stored.token };
  for (const field of fields) if (stored[field] !== undefined) credentials[field] = stored[field];
  return credentials as unknown as Credentials<TUser>;
}
