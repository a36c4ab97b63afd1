/**
 * rx-session: a reactive session store for RxJS apps that drives axios and fetch clients.
 *
 * This is the package's only entry point. Internals (the abort scope, the per-request
 * signal, the store link) stay private: they are not part of the contract.
 *
 * @packageDocumentation
 */
export { SessionStore } from './session-store';
export type { LoginOptions, RefreshContext, RefreshFunction, RefreshRequestConfig, SessionStoreOptions } from './store-options';
export type { Clock } from './clock';
export type {
  SessionEvent,
  SessionEventBase,
  SessionEventType,
  SessionLoginEvent,
  SessionLogoutEvent,
  SessionRefreshErrorEvent,
  SessionRefreshEvent,
  SessionStorageErrorEvent,
  SessionUpdateEvent,
} from './events';
export { bindAxios } from './axios/bind-axios';
export type { BindAxiosOptions } from './axios/bind-options';
export { createFetch } from './fetch/create-fetch';
export type { CreateFetchOptions, FetchFunction, SessionRequestInit } from './fetch/fetch-options';
export { SessionError, isSessionError, getSessionEnd } from './errors';
export type { SessionErrorCode, SessionErrorOptions } from './errors';
export type { AnonymousSession, AuthenticatedSession, Credentials, LogoutEvent, LogoutReason, Session } from './session';
export { persistSession } from './persist/persist-session';
export type { PersistedSession } from './persist/persist-session';
export { memoryStorage } from './persist/memory-storage';
export type { PersistSessionOptions, SessionStorageLike } from './persist/persist-options';
export type { PersistedField } from './persist/stored-session';
export { syncTabs } from './tabs/sync-tabs';
export type { LockManagerLike, SyncTabsOptions, TabSync } from './tabs/sync-tabs';
