/**
 * Helpers for the token-lifecycle acceptance suite, written from the issue text and the
 * README only: a recording token/API server on 127.0.0.1, a virtual clock, a JWT maker,
 * and a few small async utilities.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

// ---------------------------------------------------------------------------------------
// A real API + token endpoint.
// ---------------------------------------------------------------------------------------

export interface SeenCall {
  readonly method: string;
  readonly path: string;
  /** The Authorization header as it arrived on the wire. */
  readonly authorization: string | undefined;
  /** The socket closed before an answer was written. */
  aborted: boolean;
}

export interface RefreshReply {
  readonly status: number;
  readonly body: unknown;
}

/**
 * - `POST /refresh`: `onRefresh(n)` decides (default: issues `fresh-<n>`, which replaces
 *   every earlier token as the only valid one). `refreshGate` (if set) is awaited first.
 * - `/api/...`: 200 `{ authorization }` with `Bearer <valid token>`, else 401 `invalid_token`.
 *   `apiGate` (if set) is awaited before answering.
 * - `/forbidden`: always 401 (a business rule, not an expired token).
 * - `/teapot`: 419 unless the token is valid (for custom `shouldRefresh`).
 */
export interface ApiServer {
  readonly origin: string;
  readonly valid: Set<string>;
  readonly seen: SeenCall[];
  refreshCount(): number;
  onRefresh: (n: number) => RefreshReply;
  refreshGate: Promise<void> | undefined;
  apiGate: ((call: SeenCall) => Promise<void>) | undefined;
  /** Calls whose path starts with the prefix. */
  calls(prefix: string): SeenCall[];
  close(): Promise<void>;
}

export async function startApiServer(initialValid: string[] = []): Promise<ApiServer> {
  let refreshes = 0;
  const seen: SeenCall[] = [];
  const valid = new Set<string>(initialValid);
  const send = (_req: http.IncomingMessage, res: http.ServerResponse, call: SeenCall, status: number, body: unknown): void => {
    if (res.destroyed || call.aborted) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const state: ApiServer = {
    origin: '',
    valid,
    seen,
    refreshCount: () => refreshes,
    onRefresh: (n) => {
      const token = `fresh-${n}`;
      valid.clear();
      valid.add(token);
      return { status: 200, body: { access_token: token, refresh_token: `rt-${n}` } };
    },
    refreshGate: undefined,
    apiGate: undefined,
    calls: (prefix) => seen.filter((c) => c.path.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const call: SeenCall = { method: req.method ?? 'GET', path, authorization: req.headers.authorization, aborted: false };
    seen.push(call);
    res.on('close', () => {
      if (!res.writableFinished) call.aborted = true;
    });
    // Drain the body.
    req.resume();
    req.on('end', () => {
      void (async () => {
        const bearer = (call.authorization ?? '').replace(/^Bearer /, '');
        if (path === '/refresh') {
          refreshes += 1;
          const n = refreshes;
          if (state.refreshGate) await state.refreshGate;
          const reply = state.onRefresh(n);
          send(req, res, call, reply.status, reply.body);
          return;
        }
        if (state.apiGate) await state.apiGate(call);
        if (path === '/forbidden') {
          send(req, res, call, 401, { error: 'forbidden' });
          return;
        }
        if (path === '/teapot') {
          if (valid.has(bearer)) send(req, res, call, 200, { ok: true });
          else send(req, res, call, 419, { error: 'expired' });
          return;
        }
        if (valid.has(bearer)) send(req, res, call, 200, { authorization: call.authorization });
        else send(req, res, call, 401, { error: 'invalid_token' });
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (state as { origin: string }).origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** An origin on 127.0.0.1 where nothing listens (a network error, no response). */
export async function deadOrigin(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

// ---------------------------------------------------------------------------------------
// Time.
// ---------------------------------------------------------------------------------------

interface VTimer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A virtual clock for the store's `clock` option. `advance(ms)` fires due timers in order
 * (flushing promise jobs between them); `sleep(ms)` moves the wall clock only, as when a
 * machine is suspended: timers set before it fire late, relative to the old time.
 */
export class VirtualClock {
  private wall: number;
  /** Monotonic time, which drives timers. */
  private mono = 0;
  private nextId = 1;
  private timers: VTimer[] = [];
  /** Every delay ever requested. */
  readonly requested: number[] = [];

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.wall = start;
  }

  readonly clock = {
    now: (): number => this.wall,
    setTimeout: (fn: () => void, ms: number): number => {
      const id = this.nextId++;
      this.requested.push(ms);
      this.timers.push({ id, due: this.mono + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout: (handle: unknown): void => {
      this.timers = this.timers.filter((t) => t.id !== handle);
    },
  };

  now(): number {
    return this.wall;
  }

  pending(): number {
    return this.timers.length;
  }

  /** Moves the wall clock without firing any timer (a suspended machine). */
  sleep(ms: number): void {
    this.wall += ms;
  }

  async advance(ms: number): Promise<void> {
    const target = this.mono + ms;
    await flush();
    for (;;) {
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.wall += next.due - this.mono;
      this.mono = next.due;
      this.timers = this.timers.filter((t) => t !== next);
      next.fn();
      await flush();
    }
    this.wall += target - this.mono;
    this.mono = target;
    await flush();
  }
}

/** Lets promise jobs and I/O callbacks queued so far run (real setImmediate). */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Polls `check` with short real waits (loopback HTTP), failing after `ms`. */
export async function waitFor(check: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
}

/** Settles a promise into an observable outcome, never throwing. */
export async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Tracks whether a promise settled yet, without awaiting it. */
export function track<T>(p: Promise<T>): {
  settled: () => boolean;
  result: Promise<{ ok: true; value: T } | { ok: false; error: unknown }>;
} {
  let done = false;
  const result = settle(p).then((r) => {
    done = true;
    return r;
  });
  return { settled: () => done, result };
}

/** A promise released by `open()`. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

// ---------------------------------------------------------------------------------------
// Tokens.
// ---------------------------------------------------------------------------------------

const b64url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');

/** An unsigned JWT with the given payload (exp in seconds). */
export function jwt(payload: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}.c2lnbmF0dXJl`;
}

/** A JWT that expires at `expMs` (ms since epoch, whole seconds). */
export function jwtExpiringAt(expMs: number, extra: Record<string, unknown> = {}): string {
  return jwt({ sub: 'user-1', ...extra, exp: Math.floor(expMs / 1000) });
}
