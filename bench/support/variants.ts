import axios, { type AxiosAdapter, type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import createAuthRefreshInterceptor from 'axios-auth-refresh';
import { bindAxios, SessionStore } from '../../lib/index';
import { RequestSignal } from '../../lib/internal/abort-scope';

/**
 * The clients every comparison runs, configured the same way apart from the auth layer:
 * - `plain`: axios as it is;
 * - `bound`: `bindAxios(store, instance)` with its defaults (cancellation, origin check,
 *   redaction), signed in; requests go to the `baseURL`'s origin, which may carry the token;
 * - `authRefresh`: axios-auth-refresh as its README sets it up (the refresh interceptor,
 *   plus a request interceptor that sets the bearer header).
 */
export const VARIANTS = ['plain', 'bound', 'authRefresh'] as const;
export type Variant = (typeof VARIANTS)[number];

/** One value per variant, made by `make`. */
export function byVariant<T>(make: (variant: Variant) => T): Record<Variant, T> {
  return Object.fromEntries(VARIANTS.map((v) => [v, make(v)])) as Record<Variant, T>;
}

export interface Client {
  api: AxiosInstance;
  store?: SessionStore;
}

export function makeClient(variant: Variant, config: CreateAxiosDefaults): Client {
  const api = axios.create(config);
  if (variant === 'bound') {
    const store = new SessionStore({ initial: 'bench-token' });
    bindAxios(store, api);
    return { api, store };
  }
  if (variant === 'authRefresh') {
    let token = 'bench-token';
    createAuthRefreshInterceptor(api, () => {
      token = 'bench-token-2';
      return Promise.resolve();
    });
    api.interceptors.request.use((request) => {
      request.headers['Authorization'] = `Bearer ${token}`;
      return request;
    });
  }
  return { api };
}

/** An adapter that answers at once: what is left is the client's own cost. */
export const noopAdapter: AxiosAdapter = (config) =>
  Promise.resolve({ data: null, status: 200, statusText: 'OK', headers: {}, config, request: {} });

/** The origin the no-op scenarios pretend to talk to (the `baseURL`). */
export const NOOP_BASE = 'https://api.example.com';

/** Variants for diagnosis only: plain axios plus one ingredient of the binding. */
export const PROBES = ['plainSyncBearer', 'plainSharedSignal', 'plainRequestSignal'] as const;
export type Probe = (typeof PROBES)[number];

/** Warm-up requests of a callgrind client, and the concurrency of the HTTP scenario. */
export const WARMUP = 200;
export const CONCURRENCY = 50;

export function probeClient(probe: Probe, config: CreateAxiosDefaults): { api: AxiosInstance; perRequest: () => object } {
  const api = axios.create(config);
  if (probe === 'plainSyncBearer') {
    api.interceptors.request.use((c) => (c.headers.set('Authorization', 'Bearer bench-token'), c), undefined, {
      synchronous: true,
    });
    return { api, perRequest: () => ({}) };
  }
  if (probe === 'plainSharedSignal') {
    const shared = new AbortController().signal;
    return { api, perRequest: () => ({ signal: shared }) };
  }
  return { api, perRequest: () => ({ signal: new RequestSignal(undefined) }) };
}
