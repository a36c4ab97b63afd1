/**
 * Helpers of the headless-Chromium specs (see shared/browser-testing.md):
 * - a node:http server on 127.0.0.1 (port 0) serving a page, the esbuild bundle of
 *   `page.ts`, and the API routes the specs call from the page;
 * - a second node:http server on 127.0.0.1 (another port, so another origin) that answers
 *   CORS and records what reaches it, for the origin specs;
 * - the Chromium launch (Debian's /usr/bin/chromium driven by playwright-core, a fresh
 *   profile per launch, no downloads).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, stop as stopEsbuild } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

/** What the server saw of one request. */
export interface SeenRequest {
  readonly method: string;
  /** The path, query included. */
  readonly path: string;
  /** The `Authorization` header, `undefined` when the request had none. */
  readonly authorization: string | undefined;
}

/** The page server. Its log is reset with `reset()` between specs. */
export interface PageServer {
  /** `http://127.0.0.1:<port>`: the one host spelling the specs use. */
  readonly origin: string;
  /** Every request, in arrival order (page and bundle included). */
  readonly seen: readonly SeenRequest[];
  /** Requests to one path (query ignored). */
  requestsTo(path: string): SeenRequest[];
  /** How many sockets closed before their request was answered (client aborts). */
  aborted(): number;
  /** How many of those were `/slow` requests. */
  slowAborted(): number;
  /** Resolves once `predicate()` holds, checked after every server event; rejects after `timeoutMs`. */
  until(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** The token endpoint (`POST /token`, body: the refresh token), as an OpenID provider runs it. */
  readonly grant: TokenGrant;
  /** Clears the log and the counters, and starts a new grant. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A grant with rotating refresh tokens: each refresh token works once, and one presented
 * again revokes the whole grant (every later call is refused), as OpenID providers do.
 */
export interface TokenGrant {
  /** Refresh calls received. */
  readonly calls: number;
  /** Whether a used refresh token was presented, and the grant revoked. */
  readonly revoked: boolean;
  /** The refresh token that works now: `rt-0` at first, `rt-1` after one refresh… */
  readonly current: string;
  /** How long the endpoint takes to answer, in ms (default 50). */
  delay: number;
  /** Leaves the next call unanswered (its socket stays open until the client goes). */
  hangNext: boolean;
}

const PAGE_HTML = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>rx-session browser specs</title></head>
  <body><script src="/bundle.js"></script></body>
</html>
`;

/** Bundles `page.ts` (rx-session + axios' browser build) into one IIFE script. */
export async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [join(__dirname, 'page.ts')],
    bundle: true,
    format: 'iife',
    write: false,
    platform: 'browser',
    target: 'chrome110',
    sourcemap: 'inline',
    logLevel: 'silent',
  }).finally(() => stopEsbuild()); // end esbuild's service process: nothing outlives the suite
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output for spec/browser/page.ts');
  return output.text;
}

/**
 * Starts the page server. Routes:
 * - `/` the page, `/bundle.js` the bundle;
 * - `/me` answers 200 with JSON `{ authorization }` (`null` when absent); `?delay=<ms>`
 *   (at most 5000) answers after that delay;
 * - `/slow` never answers: it stays open until the client aborts it (or `close()`);
 * - anything else 404.
 */
export async function startPageServer(): Promise<PageServer> {
  const bundle = await bundlePage();
  let seen: SeenRequest[] = [];
  let aborted = 0;
  let slowAborted = 0;
  let grant = newGrant();
  const waiters = new Set<() => void>();
  const poke = (): void => {
    for (const waiter of [...waiters]) waiter();
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push({ method: req.method ?? 'GET', path: url.pathname + url.search, authorization: req.headers.authorization });
    // 'close' on the response with nothing sent: the client dropped the connection.
    res.on('close', () => {
      if (!res.writableEnded) {
        aborted++;
        if (url.pathname === '/slow') slowAborted++;
      }
      poke();
    });
    poke();
    req.resume();

    switch (url.pathname) {
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(PAGE_HTML);
        return;
      case '/bundle.js':
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
        res.end(bundle);
        return;
      case '/favicon.ico':
        res.writeHead(204);
        res.end();
        return;
      case '/me': {
        const body = JSON.stringify({ authorization: req.headers.authorization ?? null });
        const delay = Math.min(Number(url.searchParams.get('delay') ?? 0) || 0, 5000);
        const answer = (): void => {
          if (res.destroyed) return;
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(body);
        };
        if (delay > 0) setTimeout(answer, delay);
        else answer();
        return;
      }
      case '/slow':
        // Never answered: only a client abort (or close()) ends it.
        return;
      case '/token': {
        const g = grant;
        g.calls++;
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          poke();
          if (g.hangNext) {
            g.hangNext = false;
            return;
          }
          setTimeout(() => {
            if (res.destroyed) return;
            if (g.revoked || body !== g.current) {
              g.revoked = true;
              res.writeHead(400, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ error: 'invalid_grant' }));
              return;
            }
            g.generation++;
            g.current = `rt-${g.generation}`;
            res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
            res.end(JSON.stringify({ access_token: `at-${g.generation}`, refresh_token: g.current, expires_in: 3600 }));
          }, g.delay);
        });
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
    }
  });

  const port = await listen(server);

  return {
    origin: `http://127.0.0.1:${port}`,
    get seen() {
      return seen;
    },
    requestsTo: (path) => seen.filter((r) => r.path.split('?')[0] === path),
    aborted: () => aborted,
    slowAborted: () => slowAborted,
    until(what, predicate, timeoutMs = 5000) {
      if (predicate()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for the server to see: ${what}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    get grant() {
      return grant;
    },
    reset() {
      seen = [];
      aborted = 0;
      slowAborted = 0;
      grant = newGrant();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function newGrant(): TokenGrant & { calls: number; revoked: boolean; current: string; generation: number } {
  return { calls: 0, revoked: false, current: 'rt-0', generation: 0, delay: 50, hangNext: false };
}

// ---------------------------------------------------------------------------
// Other origin
// ---------------------------------------------------------------------------

/** What the other-origin server saw of one request. */
export interface CrossSeenRequest extends SeenRequest {
  /** The `Origin` header (`undefined` when absent). */
  readonly origin: string | undefined;
  /** On a CORS preflight (`OPTIONS`): its `Access-Control-Request-Headers`, lower-cased by the browser. */
  readonly requestHeaders: string | undefined;
}

/** A server on another origin than the page's. Its log is reset with `reset()`. */
export interface OtherOriginServer {
  /** `http://127.0.0.1:<port>`: same host spelling as the page, another port. */
  readonly origin: string;
  /** `127.0.0.1:<port>`. */
  readonly host: string;
  /** Every request, preflights included, in arrival order. */
  readonly seen: readonly CrossSeenRequest[];
  /** Requests to one path (query ignored), preflights included. */
  requestsTo(path: string): CrossSeenRequest[];
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts a server on another origin that lets the page at `pageOrigin` call it, so that a
 * request the browser sends there really arrives and is recorded, header and all:
 * - `OPTIONS` (a preflight): 204 allowing `pageOrigin`, any method and whatever headers
 *   were asked for (a token on its way gets through), with no preflight caching;
 * - anything else: 200 with JSON `{ authorization, path }` (`authorization` `null` when
 *   absent), readable by `pageOrigin`.
 */
export async function startOtherOriginServer(pageOrigin: string): Promise<OtherOriginServer> {
  let seen: CrossSeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = url.pathname + url.search;
    const requestHeaders = req.headers['access-control-request-headers'];
    seen.push({ method, path, authorization: req.headers.authorization, origin: req.headers.origin, requestHeaders });
    req.resume();
    const cors = { 'access-control-allow-origin': pageOrigin, vary: 'Origin', 'cache-control': 'no-store' };
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
        'access-control-allow-headers': requestHeaders ?? 'authorization',
        'access-control-max-age': '0',
      });
      res.end();
      return;
    }
    res.writeHead(200, { ...cors, 'content-type': 'application/json' });
    res.end(JSON.stringify({ authorization: req.headers.authorization ?? null, path }));
  });

  const port = await listen(server);

  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    get seen() {
      return seen;
    },
    requestsTo: (path) => seen.filter((r) => r.path.split('?')[0] === path),
    reset() {
      seen = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const INSTALL_HINT =
  '[ -x /usr/bin/chromium ] || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }';

/** The Chromium binary, or an Error saying why there is none. Never skips: a missing browser fails. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
  if (existsSync(path)) return path;
  const from = process.env.CHROMIUM_PATH === undefined ? 'the default path' : 'CHROMIUM_PATH';
  if (process.env.REQUIRE_BROWSER === '1' || process.env.CI !== undefined) {
    throw new Error(
      `Browser specs: no Chromium at ${path} (${from}), and a browser is required here ` +
        `(REQUIRE_BROWSER=${process.env.REQUIRE_BROWSER ?? ''}, CI=${process.env.CI ?? ''}). ` +
        `The CI script must install it: ${INSTALL_HINT}`,
    );
  }
  throw new Error(
    `Browser specs: no Chromium at ${path} (${from}). These specs do not skip without a browser. ` +
      `Install Debian's Chromium with: ${INSTALL_HINT} ` +
      '(or point CHROMIUM_PATH at a Chromium binary). Never `npx playwright install`: it downloads.',
  );
}

/** A headless Chromium with a fresh profile, per shared/browser-testing.md. */
export interface Browser {
  readonly context: BrowserContext;
  /**
   * Every request the browser made to anything other than the allowed origins (should stay
   * empty: the specs talk to their own servers on 127.0.0.1 only).
   */
  readonly foreignRequests: string[];
  /** Opens a new tab on `url` and records its uncaught errors. */
  open(url: string): Promise<Tab>;
  close(): Promise<void>;
}

export interface Tab {
  readonly page: Page;
  /** Uncaught errors of the page (`pageerror`), as `name: message`. */
  readonly pageErrors: string[];
  /** `console.error` lines of the page, for diagnostics. */
  readonly consoleErrors: string[];
}

/** `allowedOrigins`: the origins of the specs' own servers (one, or several). */
export async function launchBrowser(allowedOrigins: string | readonly string[]): Promise<Browser> {
  const origins = typeof allowedOrigins === 'string' ? [allowedOrigins] : [...allowedOrigins];
  const executablePath = chromiumPath();
  const profile = mkdtempSync(join(tmpdir(), 'rx-session-profile-')); // fresh per run: a reused one fails
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }

  const foreignRequests: string[] = [];
  // Observe only (no `route()` interception, which would change how aborts reach the network).
  context.on('request', (request) => {
    const url = request.url();
    const ours = origins.some((origin) => url.startsWith(`${origin}/`));
    if (!ours && !url.startsWith('data:') && url !== 'about:blank') {
      foreignRequests.push(url);
    }
  });

  return {
    context,
    foreignRequests,
    async open(url) {
      const page = context.pages().find((p) => p.url() === 'about:blank') ?? (await context.newPage());
      const pageErrors: string[] = [];
      const consoleErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(`${err.name}: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') consoleErrors.push(msg.text());
      });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(() => (window as unknown as { rxReady?: boolean }).rxReady === true);
      return { page, pageErrors, consoleErrors };
    },
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** Listens on 127.0.0.1, port 0, and resolves with the port. */
async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
