/**
 * rx-session/angular: the store, `HttpClient`, the router and signals, the Angular way.
 *
 * @packageDocumentation
 */
export { provideSessionStore, withPersistedSession, withTabSync, PERSISTED_SESSION } from './provide-session-store';
export {
  sessionInterceptor,
  withSessionInterceptor,
  SESSION_INTERCEPTOR_OPTIONS,
  SKIP_AUTH,
  type SessionInterceptorOptions,
} from './session-interceptor';
export { authGuard, withAuthGuard, AUTH_GUARD_OPTIONS, type AuthGuardOptions } from './auth-guard';
export { injectSession, type SessionSignals } from './inject-session';
