import { inject, InjectionToken, makeEnvironmentProviders, type EnvironmentProviders } from '@angular/core';
import { Router, type CanActivateFn, type CanMatchFn, type UrlTree } from '@angular/router';
import { SessionStore } from 'rx-session';
import { optionError, optionsObject } from '../internal/options-object';
import { storeLinks } from '../internal/store-link';
import { PERSISTED_SESSION } from './provide-session-store';

/** The settings of {@link authGuard}; see {@link withAuthGuard}. */
export interface AuthGuardOptions {
  /** Where a signed-out user is sent, as a router URL. Default `'/login'`. */
  redirectTo?: string;
}

/** The guard's settings, as {@link withAuthGuard} provides them. */
export const AUTH_GUARD_OPTIONS = new InjectionToken<Required<AuthGuardOptions>>('rx-session authGuard options');

/**
 * Configures {@link authGuard}: where it sends users who are not signed in.
 *
 * @throws {TypeError} for a bad option, naming it.
 */
export function withAuthGuard(options: AuthGuardOptions = {}): EnvironmentProviders {
  const { redirectTo = '/login' } = optionsObject('`withAuthGuard()`', options, ['redirectTo']) as AuthGuardOptions;
  if (typeof redirectTo !== 'string' || !redirectTo.startsWith('/')) {
    throw optionError('withAuthGuard()', 'redirectTo', "must be a router URL such as '/login'");
  }
  return makeEnvironmentProviders([{ provide: AUTH_GUARD_OPTIONS, useValue: { redirectTo } }]);
}

/**
 * A route guard (`canActivate`, `canActivateChild` or `canMatch`) that lets signed-in
 * users through and sends the others to `redirectTo` (see {@link withAuthGuard}; default
 * `'/login'`). With {@link withPersistedSession}, it first waits for the stored session to
 * be read, so a reload of a guarded page stays on it. A session whose token has expired on a
 * store without `refresh` (its timer fired late: a machine that slept) ends then, with
 * `logout('expired')`, and is sent to `redirectTo` too.
 *
 * @example
 * ```ts
 * { path: 'profile', component: Profile, canActivate: [authGuard] }
 * ```
 */
export const authGuard: CanActivateFn & CanMatchFn = () => {
  const store = inject(SessionStore);
  const router = inject(Router);
  const persisted = inject(PERSISTED_SESSION, { optional: true });
  const { redirectTo } = inject(AUTH_GUARD_OPTIONS, { optional: true }) ?? { redirectTo: '/login' };
  const decide = (): boolean | UrlTree => {
    // A session whose expiry timer fired late (a machine that slept) ends now, as a request would end it.
    storeLinks.get(store)?.expire();
    return store.session.status === 'authenticated' || router.parseUrl(redirectTo);
  };
  return persisted === null || !persisted.restoring ? decide() : persisted.ready.then(decide);
};
