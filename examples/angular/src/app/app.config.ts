import { provideBrowserGlobalErrorListeners, type ApplicationConfig } from '@angular/core';
import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { provideRouter } from '@angular/router';
import {
  provideSessionStore,
  sessionInterceptor,
  withAuthGuard,
  withPersistedSession,
  withSessionInterceptor,
  withTabSync,
} from 'rx-session/angular';
import { routes } from './app.routes';
import { refresh, type User } from './auth';
import { provideChangeDetection } from './change-detection';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideChangeDetection(),
    provideSessionStore<User>(
      // The access token lives 30 s: the store refreshes it 10 s before it expires.
      { refresh, refreshMargin: 10_000 },
      withPersistedSession(), // a reload keeps the session (localStorage)
      withTabSync(), // every tab follows the same session, and refreshes once for all
      withSessionInterceptor({ allowedOrigins: [] }), // the token goes to this page's origin only
      withAuthGuard({ redirectTo: '/login' }),
    ),
    // Angular's default backend, XHR. `withFetch()` works the same way.
    provideHttpClient(withInterceptors([sessionInterceptor])),
    provideRouter(routes),
  ],
};
