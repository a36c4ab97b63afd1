/**
 * Acceptance-suite helpers: a recording node:http server on 127.0.0.1 and a few axios
 * adapter fakes. Written independently of the library's own spec support.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios, {
  type AxiosAdapter,
  type AxiosHeaderValue,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';

/** Tokens shared by the suites: distinct, valid, and easy to spot in a leak. */
export const T1 = 'tok-ALPHA-7f3a9c';
export const T2 = 'tok-BRAVO-e21d04';
export const T3 = 'tok-CHARLIE-55aa0b';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The socket closed before the response was finished. */
  aborted: boolean;
  /** The response was written completely. */
  finished: boolean;
  /** Held requests: call to send the response now. */
  release: (status?: number, body?: unknown) => void;
}

export interface TestServer {
  readonly origin: string;
  readonly seen: SeenRequest[];
  /** Requests whose path starts with this prefix. */
  matching(prefix: string): SeenRequest[];
  /** Releases every held request that has not been answered or aborted. */
  releaseAll(status?: number): void;
  close(): Promise<void>;
}

/**
 * Routes:
 * - `/ok`          200 `{ ok: true }` at once
 * - `/fail`        500 at once
 * - `/needs/<tok>` 200 when `authorization` is `Bearer <tok>`, 401 otherwise
 * - `/hang...`     held until `release()` / `releaseAll()`
 * - `/partial...`  headers and a first body chunk at once, the rest held until released
 * - `/redirect...?to=<url>`  302 to `<url>`
 */
export async function startServer(): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    const send = (status: number, body: unknown): void => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const record: SeenRequest = {
      method: req.method ?? '',
      url,
      headers: req.headers,
      aborted: false,
      finished: false,
      release: (status = 200, body = { late: true }) => send(status, body),
    };
    seen.push(record);
    res.on('finish', () => {
      record.finished = true;
    });
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    // drain the body, if any
    req.resume();

    if (url.startsWith('/ok')) send(200, { ok: true });
    else if (url.startsWith('/fail')) send(500, { error: 'boom' });
    else if (url.startsWith('/needs/')) {
      const want = decodeURIComponent(url.slice('/needs/'.length).split('?')[0] ?? '');
      if (req.headers.authorization === `Bearer ${want}`) send(200, { ok: true });
      else send(401, { error: 'unauthorized' });
    } else if (url.startsWith('/hang')) {
      // held
    } else if (url.startsWith('/partial')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"part":');
      record.release = () => {
        if (!res.writableEnded && !res.destroyed) res.end('1}');
      };
    } else if (url.startsWith('/redirect')) {
      const to = new URL(url, 'http://x').searchParams.get('to') ?? '/';
      res.writeHead(302, { location: to });
      res.end();
    } else send(404, { error: 'not found' });
  });
  server.keepAliveTimeout = 200;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    matching: (prefix) => seen.filter((r) => r.url.startsWith(prefix)),
    releaseAll: (status = 200) => {
      for (const r of seen) if (!r.finished && !r.aborted) r.release(status);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `pred()` is true, or fails after `timeoutMs`. */
export async function waitFor(pred: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lets pending microtasks and one macrotask run. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A promise with its resolve exposed. */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}
export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

/**
 * Registers a request interceptor that holds every request until the returned gate
 * opens. Interceptors run in reverse order of registration, so registered before
 * bindAxios it runs after the library's one, and registered after it, before.
 */
export function holdInChain(api: AxiosInstance): Gate {
  const g = gate();
  api.interceptors.request.use(async (c) => {
    await g.promise;
    return c;
  });
  return g;
}

/** Settles a promise into a plain result, so a test can assert on either outcome. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
export function settle<T>(p: Promise<T>): Promise<Outcome<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Asserts that a settled request was rejected with a CanceledError. */
export function expectCancelled(out: Outcome<unknown>): void {
  expect(out.ok).toBe(false);
  if (!out.ok) expect(axios.isCancel(out.error)).toBe(true);
}

/** Runs `fn` and reports whether it threw, and what. */
function attempt(fn: () => unknown): { threw: boolean; error?: unknown } {
  try {
    fn();
    return { threw: false };
  } catch (error) {
    return { threw: true, error };
  }
}

/** What `fn` throws, or undefined when it returns. */
export const caught = (fn: () => unknown): unknown => attempt(fn).error;

/** What `fn` throws; fails when it returns. */
export function thrown(fn: () => unknown): unknown {
  const result = attempt(fn);
  if (!result.threw) throw new Error('expected the call to throw');
  return result.error;
}

export function okResponse(config: InternalAxiosRequestConfig, data: unknown = { ok: true }): AxiosResponse {
  return { data, status: 200, statusText: 'OK', headers: {}, config, request: {} };
}

/** Reads a header from the config an adapter receives (case-insensitive). */
export function headerOf(config: InternalAxiosRequestConfig, name: string): string | undefined {
  // axios' types leave out the `undefined` that get() returns for a missing header.
  const v = config.headers.get(name) as AxiosHeaderValue | undefined;
  return v === undefined || v === null || v === false ? undefined : String(v);
}

/**
 * An adapter that records every config it receives and answers 200 at once.
 */
export function recordingAdapter(): { adapter: AxiosAdapter; configs: InternalAxiosRequestConfig[] } {
  const configs: InternalAxiosRequestConfig[] = [];
  const adapter: AxiosAdapter = (config) => {
    configs.push(config);
    return Promise.resolve(okResponse(config));
  };
  return { adapter, configs };
}

/**
 * An adapter that holds every request until released, and honours `config.signal`
 * like axios' own adapters do (rejects with CanceledError on abort).
 */
export function holdingAdapter(): {
  adapter: AxiosAdapter;
  configs: InternalAxiosRequestConfig[];
  releaseAll(): void;
} {
  const configs: InternalAxiosRequestConfig[] = [];
  const releases: Array<() => void> = [];
  const adapter: AxiosAdapter = (config) =>
    new Promise<AxiosResponse>((resolve, reject) => {
      configs.push(config);
      const signal = config.signal;
      const onAbort = (): void => reject(new axios.CanceledError(undefined, config));
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener?.('abort', onAbort);
      releases.push(() => {
        signal?.removeEventListener?.('abort', onAbort);
        resolve(okResponse(config));
      });
    });
  return {
    adapter,
    configs,
    releaseAll: () => {
      for (const r of releases.splice(0)) r();
    },
  };
}

/**
 * An adapter that ignores the signal entirely: it answers when its gate opens, as a
 * response that was already on its way back would.
 */
export function stubbornAdapter(g: Gate): { adapter: AxiosAdapter; configs: InternalAxiosRequestConfig[] } {
  const configs: InternalAxiosRequestConfig[] = [];
  const adapter: AxiosAdapter = async (config) => {
    configs.push(config);
    await g.promise;
    return okResponse(config, { late: true });
  };
  return { adapter, configs };
}
