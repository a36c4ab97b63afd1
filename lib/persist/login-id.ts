import type { AbortScope } from '../internal/abort-scope';
import type { StoreLink } from '../internal/store-link';
import type { SessionStore } from '../session-store';
import type { StoredCredentials } from './stored-session';

/** The id the login being put in place was given (from the storage or another tab). */
let given: string | undefined;

/**
 * The id of the login the epoch of `scope` began with (`null` while signed out): the
 * one it was given, or a new one. A stored session and every tab message carry it, so that
 * the tabs and the storage tell a refresh of a session (the same login, a new token) from
 * another login (perhaps another user's).
 */
export const loginId = (scope: AbortScope | null): string | null => scope && (scope.loginId ??= given ?? String(Math.random()));

/**
 * Logs `store` in with stored credentials (`options` as `login()`'s), as the login whose id
 * they carry: the new epoch takes that id. Throws as `login()` does.
 */
export function loginStored<TUser>(
  store: SessionStore<TUser>,
  link: StoreLink<TUser>,
  { id, ...credentials }: StoredCredentials<TUser>,
  options?: { restored: true },
): void {
  given = id;
  try {
    store.login(credentials, options);
    loginId(link.state().scope);
  } finally {
    given = undefined;
  }
}
