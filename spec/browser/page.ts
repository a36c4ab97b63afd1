/**
 * The browser entry of the browser specs: esbuild bundles it (with axios' browser
 * build) into the page that `support.ts` serves. It exposes what the specs drive
 * through `page.evaluate` on `window`.
 */
import axios, { type AxiosResponse } from 'axios';
import {
  SessionStore,
  bindAxios,
  createFetch,
  getSessionEnd,
  isSessionError,
  memoryStorage,
  persistSession,
  syncTabs,
  type PersistedSession,
  type SessionEvent,
} from '../../lib/index';

/** A serialisable summary of how one axios request settled, as `page.evaluate` returns it. */
export interface Outcome {
  readonly ok: boolean;
  /** What carried it: `res.request` / `err.request` (`'XMLHttpRequest'`, `'Request'` for fetch), or `'none'`. */
  readonly transport: string;
  readonly status?: number;
  readonly data?: unknown;
  readonly error?: {
    readonly name: string;
    readonly message: string;
    readonly code: string | undefined;
    readonly isCancel: boolean;
    /** What `err.config.signal` was: the class name, or `'none'`. */
    readonly signalKind: string;
    readonly signalAborted: boolean | undefined;
    /** `err.config.signal.reason`. */
    readonly reason: {
      readonly isSessionError: boolean;
      readonly name: string | undefined;
      readonly code: string | undefined;
      readonly reason: string | undefined;
    } | null;
  };
}

function kindOf(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  if (typeof value !== 'object') return typeof value;
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
}

/** Awaits `request` and summarises how it settled, never rejecting. */
async function outcome(request: Promise<AxiosResponse>): Promise<Outcome> {
  try {
    const res = await request;
    return { ok: true, transport: kindOf(res.request), status: res.status, data: res.data as unknown };
  } catch (err) {
    const e = err as { name?: string; message?: string; code?: string; request?: unknown; config?: { signal?: unknown } };
    const signal = e.config?.signal as
      { aborted?: boolean; reason?: unknown; constructor?: { name?: string } } | null | undefined;
    const reason = signal?.reason as { name?: string; code?: string; reason?: string } | undefined | null;
    return {
      ok: false,
      transport: kindOf(e.request),
      error: {
        name: String(e.name),
        message: String(e.message),
        code: e.code,
        isCancel: axios.isCancel(err),
        signalKind:
          signal === undefined || signal === null
            ? 'none'
            : signal instanceof AbortSignal
              ? 'AbortSignal'
              : (signal.constructor?.name ?? typeof signal),
        signalAborted: signal?.aborted,
        reason:
          reason === undefined || reason === null
            ? null
            : {
                isSessionError: isSessionError(reason),
                name: typeof reason === 'object' ? reason.name : String(reason),
                code: typeof reason === 'object' ? reason.code : undefined,
                reason: typeof reason === 'object' ? reason.reason : undefined,
              },
      },
    };
  }
}

/** `promise`'s value, or `'still pending'` if it has not settled within `ms`: a broken fence fails fast instead of hanging. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still pending'> {
  return Promise.race([promise, new Promise<'still pending'>((resolve) => setTimeout(() => resolve('still pending'), ms))]);
}

/** What `probe()` sets up: a fresh store, signed in with `token`, and a fresh instance bound to it. */
export interface ProbeOptions {
  readonly adapter: 'xhr' | 'fetch';
  readonly token: string;
  /** The request URL, passed to `api.get()` as is. */
  readonly url: string;
  /** The instance's `baseURL`; none when absent. */
  readonly baseURL?: string;
  /** `bindAxios()`'s `allowedOrigins`; the option is left out when absent. */
  readonly allowedOrigins?: readonly string[];
}

/**
 * One request of a signed-in, bound instance, settled and summarised. The store is
 * disposed afterwards (the request has settled by then, so nothing is cancelled).
 */
async function probe(options: ProbeOptions): Promise<Outcome> {
  const store = new SessionStore();
  const api = axios.create(
    options.baseURL === undefined ? { adapter: options.adapter } : { adapter: options.adapter, baseURL: options.baseURL },
  );
  bindAxios(store, api, options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins });
  store.login(options.token);
  try {
    return await outcome(api.get(options.url));
  } finally {
    store.dispose();
  }
}

const globals = {
  SessionStore,
  bindAxios,
  createFetch,
  getSessionEnd,
  isSessionError,
  persistSession,
  memoryStorage,
  syncTabs,
  axios,
  outcome,
  within,
  probe,
};

/** What a page opened with `?boot=persist` set up as its script ran: a store persisted to `localStorage`. */
export interface PersistBoot {
  readonly store: SessionStore;
  readonly persisted: PersistedSession;
  /** `session$` as a subscriber right after `persistSession()` saw it: statuses, in order. */
  readonly statuses: string[];
  /** `events$` from before `persistSession()`. */
  readonly events: SessionEvent[];
  /** A fetch function of the store, to the page's own origin. */
  readonly api: ReturnType<typeof createFetch>;
}

/** What a page opened with `?boot=tabs` set up: a store that follows the other tabs, with no storage. */
export interface TabsBoot {
  readonly store: SessionStore;
  /** `logout$` reasons, in order. */
  readonly logouts: string[];
  readonly api: ReturnType<typeof createFetch>;
}

function bootTabs(): TabsBoot {
  const store = new SessionStore();
  const logouts: string[] = [];
  store.logout$.subscribe((e) => logouts.push(e.reason));
  syncTabs(store);
  return { store, logouts, api: createFetch(store) };
}

/**
 * What a page opened with `?boot=shared` set up: a store that refreshes at the page server's
 * `/token` (rotating refresh tokens) and follows the other tabs, sharing their refresh
 * through `navigator.locks`; with `&persist` also persisted to `localStorage`, and with
 * `&channel=name` on a channel of its own (the other tabs' messages have not reached it yet).
 */
export interface SharedBoot {
  readonly store: SessionStore;
  /** `logout$` reasons, in order. */
  readonly logouts: string[];
  /** `events$` types, in order. */
  readonly events: string[];
}

function bootShared(persist: boolean, channel: string | undefined): SharedBoot {
  const store = new SessionStore({
    refreshMargin: 1_000,
    refresh: async (session, { signal }) => {
      const res = await fetch('/token', { method: 'POST', body: session.refreshToken ?? '', signal });
      if (!res.ok) throw Object.assign(new Error('refused'), { response: { status: res.status } });
      const body = (await res.json()) as { access_token: string; refresh_token: string; expires_in: number };
      return { token: body.access_token, refreshToken: body.refresh_token, expiresAt: Date.now() + body.expires_in * 1000 };
    },
  });
  const logouts: string[] = [];
  const events: string[] = [];
  store.logout$.subscribe((e) => logouts.push(e.reason));
  store.events$.subscribe((e) => events.push(e.type));
  if (persist) persistSession(store);
  syncTabs(store, { channel: channel ?? 'rx-session' });
  return { store, logouts, events };
}

function bootPersisted(): PersistBoot {
  const store = new SessionStore();
  const events: SessionEvent[] = [];
  store.events$.subscribe((e) => events.push(e));
  const persisted = persistSession(store);
  const statuses: string[] = [];
  store.session$.subscribe((s) => statuses.push(s.status));
  return { store, persisted, statuses, events, api: createFetch(store) };
}

/** What the page puts on `window`; specs cast `window` to this inside `page.evaluate`. */
export type PageGlobals = typeof globals & {
  /** `true` once the bundle ran. */
  rxReady: boolean;
  /** Scratch space for state kept between two `page.evaluate` calls. */
  spec: Record<string, unknown>;
};

const target = window as unknown as PageGlobals;
Object.assign(target, globals, { spec: {} });
const query = new URLSearchParams(location.search);
const boot = query.get('boot');
if (boot === 'persist') target.spec.boot = bootPersisted();
if (boot === 'tabs') target.spec.boot = bootTabs();
if (boot === 'shared') target.spec.boot = bootShared(query.has('persist'), query.get('channel') ?? undefined);
target.rxReady = true;
