import { isPlatformServer } from '@angular/common';
import {
  DestroyRef,
  InjectionToken,
  inject,
  makeEnvironmentProviders,
  PLATFORM_ID,
  provideEnvironmentInitializer,
  type EnvironmentProviders,
} from '@angular/core';
import { memoryStorage, persistSession, SessionStore, syncTabs } from 'rx-session';
import type { PersistedSession, PersistSessionOptions, SessionStoreOptions, SyncTabsOptions } from 'rx-session';
import { parsePersistOptions } from '../persist/persist-options';
import { parseStoreOptions } from '../store-options';
import { parseSyncTabsOptions } from '../tabs/sync-tabs';

/**
 * The `persistSession()` handle of the app's store, when it was provided with
 * {@link withPersistedSession}: `authGuard` waits for its `ready`, and a component can show
 * neither the login page nor the app while `restoring$` is `true`.
 */
export const PERSISTED_SESSION = new InjectionToken<PersistedSession>('rx-session PersistedSession');

/**
 * Provides one {@link SessionStore} for the environment injector (an app's
 * `app.config.ts`, or a lazy route's providers), injectable as the class itself:
 * `inject(SessionStore)`. The store is disposed when the injector is destroyed.
 *
 * @param options - The options of `new SessionStore(options)`; checked now (a bad one throws
 * a `TypeError` naming it).
 * @param features - {@link withPersistedSession}, {@link withTabSync}, {@link withSessionInterceptor},
 * {@link withAuthGuard}: providers that belong with the store.
 *
 * @example
 * ```ts
 * export const appConfig: ApplicationConfig = {
 *   providers: [
 *     provideSessionStore({ refresh }, withPersistedSession(), withSessionInterceptor({ allowedOrigins: ['https://api.example.com'] })),
 *     provideHttpClient(withFetch(), withInterceptors([sessionInterceptor])),
 *     provideRouter(routes),
 *   ],
 * };
 * ```
 */
export function provideSessionStore<TUser = unknown>(
  options?: SessionStoreOptions<TUser>,
  ...features: EnvironmentProviders[]
): EnvironmentProviders {
  parseStoreOptions<TUser>(options);
  return makeEnvironmentProviders([
    {
      provide: SessionStore,
      useFactory: () => {
        const store = new SessionStore<TUser>(options);
        inject(DestroyRef).onDestroy(() => store.dispose());
        return store;
      },
    },
    ...features,
  ]);
}

/**
 * Keeps the provided store's session across reloads with `persistSession(store, options)`,
 * started with the injector and stopped when it is destroyed (options are checked now). Its handle is injectable as
 * {@link PERSISTED_SESSION}; `authGuard` waits for it to be ready.
 *
 * Without a `storage` option it uses `localStorage`, looked up in the browser. In server-side
 * rendering (`PLATFORM_ID` is `'server'`) it keeps the session in memory, for that render only.
 */
export function withPersistedSession(options?: PersistSessionOptions): EnvironmentProviders {
  parsePersistOptions(inMemory(options));
  return makeEnvironmentProviders([
    {
      provide: PERSISTED_SESSION,
      useFactory: () => {
        const persisted = persistSession(inject(SessionStore), onServer() ? inMemory(options) : options);
        inject(DestroyRef).onDestroy(() => persisted.stop());
        return persisted;
      },
    },
    provideEnvironmentInitializer(() => void inject(PERSISTED_SESSION)),
  ]);
}

/**
 * Keeps the provided store in step with the app's other tabs with `syncTabs(store, options)`,
 * started with the injector and stopped when it is destroyed (options are checked now).
 * In server-side rendering (`PLATFORM_ID` is `'server'`) there are no tabs: it does nothing,
 * so the renders of a server never share a session through the process's `BroadcastChannel`.
 */
export function withTabSync(options?: SyncTabsOptions): EnvironmentProviders {
  parseSyncTabsOptions(options);
  return makeEnvironmentProviders([
    provideEnvironmentInitializer(() => {
      if (onServer()) return;
      const tabs = syncTabs(inject(SessionStore), options);
      inject(DestroyRef).onDestroy(() => tabs.stop());
    }),
  ]);
}

/** `options` with a memory storage when they name none: a server has no `localStorage`. Bad options pass as they are. */
function inMemory(options: unknown): PersistSessionOptions | undefined {
  const bare =
    options === undefined ||
    (typeof options === 'object' && options !== null && (options as PersistSessionOptions).storage === undefined);
  return (bare ? { ...options, storage: memoryStorage() } : options) as PersistSessionOptions | undefined;
}

/** Whether the injector renders on a server (`PLATFORM_ID` `'server'`); an injector without a platform is a browser's. */
function onServer(): boolean {
  return isPlatformServer(inject(PLATFORM_ID, { optional: true }) ?? 'unknown');
}
