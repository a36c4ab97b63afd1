/**
 * `createFetch` in a real browser: what headless Chromium actually puts on the wire, as
 * node:http servers on 127.0.0.1 record it.
 *
 * Three servers share one log and one idea of which token is valid:
 * - `page`: `http://127.0.0.1:<p>`, the page's own origin (also reached as
 *   `http://localhost:<p>`, which is another origin to the browser);
 * - `other`: `http://127.0.0.1:<q>`, another origin (another port);
 * - `h2`: `https://127.0.0.1:<r>`, HTTP/2 over TLS with a self-signed certificate made here
 *   (Chromium is told to ignore certificate errors for the tab over CDP).
 *
 * Why HTTP/2: Chromium sends a `ReadableStream` request body (`duplex: 'half'`) only over
 * HTTP/2 or QUIC. Over HTTP/1.1 (tried: Chromium 156) `fetch` rejects with
 * `TypeError: Failed to fetch` before anything reaches the server (net error
 * H2_OR_QUIC_REQUIRED), so a 401 never comes back and there is nothing to retry. The
 * stream case therefore runs against the HTTP/2 server, where the upload really arrives,
 * and a separate test pins the HTTP/1.1 refusal: the TypeError passes through as is and no
 * refresh starts.
 *
 * Every server answers CORS preflights and reflects the `Origin` in
 * `Access-Control-Allow-Origin`, so a request the browser sends to another origin arrives
 * and is recorded, header and all.
 *
 * The callbacks passed to `page.evaluate` run in the page: they may use only what
 * `page.ts` put on `window` and what `installHelpers` adds (types are imported for the
 * compiler only).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { PageGlobals } from './page';
import { bundlePage, launchBrowser, type Browser, type Tab } from './support';

// Also when this file is picked up by a config with a shorter default.
jest.setTimeout(60_000);

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

type ServerName = 'page' | 'other' | 'h2';

/** What one of the servers saw of one request. */
interface Seen {
  readonly server: ServerName;
  readonly method: string;
  /** The path, query included. */
  readonly path: string;
  /** `Host` (`:authority` over HTTP/2). */
  readonly host: string | undefined;
  readonly authorization: string | undefined;
  readonly origin: string | undefined;
  readonly referer: string | undefined;
  /** On a preflight: `Access-Control-Request-Headers`. */
  readonly requestHeaders: string | undefined;
  readonly httpVersion: string;
  /** The request body, complete once the request has ended. */
  body: string;
  /** The socket (stream) closed before the answer was complete: the client dropped it. */
  aborted: boolean;
}

interface Servers {
  readonly page: string;
  readonly other: string;
  readonly h2: string;
  /** The page server under another spelling: `http://localhost:<p>`. */
  readonly localhost: string;
  readonly seen: readonly Seen[];
  /** Requests to one path (query ignored) of one server, preflights excluded. */
  to(server: ServerName, path: string): Seen[];
  /** The token `/api` and `/upload` accept (`null`: none). `/token` replaces it. */
  valid: string | null;
  /** Resolves once `predicate()` holds; rejects after `timeoutMs`. */
  until(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Answers whatever is still held, clears the log and the valid token. */
  reset(): void;
  close(): Promise<void>;
}

const PAGE_HTML = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>rx-session fetch specs</title></head>
  <body><script src="/bundle.js"></script></body>
</html>
`;

/**
 * Routes (every server; query `?delay=<ms>`, at most 5000, delays the answer):
 * - `OPTIONS *`: a CORS preflight, allowed for any origin and the headers asked for;
 * - `/`, `/bundle.js`: the page and the bundle of `page.ts`;
 * - `/me`: 200 with JSON `{ authorization }` (`null` when absent);
 * - `/hold`: never answered, until the client drops it (or `reset()`);
 * - `/half`: 200 and the first part of a body, the rest never (until the client drops it);
 * - `/api`, `/upload`: 200 with JSON `{ authorization, body }` when the request carries
 *   `Bearer <valid>`, else 401 with the same JSON;
 * - `/token`: a refresh: makes `tok-fresh-<n>` the valid token and answers JSON `{ token }`.
 *
 * `?together=<n>` holds the answer until n requests to the same path with the same
 * `Authorization` have arrived (at most 5 s).
 */
async function startServers(): Promise<Servers> {
  const bundle = await bundlePage();
  let seen: Seen[] = [];
  let refreshes = 0;
  let held = new Set<http.ServerResponse>();

  const handle = (server: ServerName, req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const origin = req.headers.origin;
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    const entry: Seen = {
      server,
      method,
      path: url.pathname + url.search,
      host: header(':authority') ?? req.headers.host,
      authorization: req.headers.authorization,
      origin,
      referer: header('referer'),
      requestHeaders: header('access-control-request-headers'),
      httpVersion: req.httpVersion,
      body: '',
      aborted: false,
    };
    seen.push(entry);
    res.on('close', () => {
      if (!res.writableEnded) entry.aborted = true;
      held.delete(res);
    });
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (entry.body += chunk));

    const cors: http.OutgoingHttpHeaders = origin === undefined ? {} : { 'access-control-allow-origin': origin, vary: 'Origin' };
    const answer = (status: number, type: string, body: string): void => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(status, { ...cors, 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const json = (status: number, value: unknown): void => answer(status, 'application/json', JSON.stringify(value));
    const delay = Math.min(Number(url.searchParams.get('delay') ?? 0) || 0, 5000);

    const route = (): void => {
      if (method === 'OPTIONS') {
        if (res.destroyed) return;
        res.writeHead(204, {
          ...cors,
          'access-control-allow-methods': 'GET, POST',
          'access-control-allow-headers': entry.requestHeaders ?? '',
          'access-control-max-age': '0',
          'cache-control': 'no-store',
        });
        res.end();
        return;
      }
      switch (url.pathname) {
        case '/':
          answer(200, 'text/html; charset=utf-8', PAGE_HTML);
          return;
        case '/bundle.js':
          answer(200, 'text/javascript; charset=utf-8', bundle);
          return;
        case '/favicon.ico':
          answer(204, 'text/plain', '');
          return;
        case '/me':
          json(200, { authorization: entry.authorization ?? null });
          return;
        case '/hold':
          held.add(res);
          return;
        case '/half':
          held.add(res);
          res.writeHead(200, { ...cors, 'content-type': 'text/plain', 'cache-control': 'no-store' });
          res.write('the first part of the body, and never the rest…');
          return;
        case '/api':
        case '/upload': {
          const ok = state.valid !== null && entry.authorization === `Bearer ${state.valid}`;
          json(ok ? 200 : 401, { authorization: entry.authorization ?? null, body: entry.body });
          return;
        }
        case '/token':
          refreshes++;
          state.valid = `tok-fresh-${refreshes}`;
          json(200, { token: state.valid });
          return;
        default:
          answer(404, 'text/plain', 'not found');
      }
    };
    // `?together=<n>`: answer only once n requests to this path with this same
    // `Authorization` have arrived (at most 5 s): they were all in flight at once.
    const together = Math.min(Number(url.searchParams.get('together') ?? 0) || 0, 10);
    const gathered = (): boolean =>
      seen.filter((r) => r.server === server && r.path.split('?')[0] === url.pathname && r.authorization === entry.authorization)
        .length >= together;
    const startedAt = Date.now();
    const gather = (): void => {
      if (gathered() || Date.now() - startedAt > 5000) route();
      else setTimeout(gather, 5);
    };
    // Answer once the whole request body is in (it is recorded by then).
    req.on('end', () => {
      if (delay > 0) setTimeout(gather, delay);
      else gather();
    });
  };

  const page = http.createServer((req, res) => handle('page', req, res));
  const other = http.createServer((req, res) => handle('other', req, res));
  const { key, cert } = selfSignedCertificate();
  const h2 = http2.createSecureServer({ key, cert }, (req, res) =>
    // The compatibility API has the same shape for what `handle` uses.
    handle('h2', req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse),
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });

  const [pagePort, otherPort, h2Port] = [await listen(page), await listen(other), await listen(h2)];
  const waiters = new Set<() => void>();
  const state: Servers = {
    page: `http://127.0.0.1:${pagePort}`,
    other: `http://127.0.0.1:${otherPort}`,
    h2: `https://127.0.0.1:${h2Port}`,
    localhost: `http://localhost:${pagePort}`,
    get seen() {
      return seen;
    },
    to: (server, path) => seen.filter((r) => r.server === server && r.method !== 'OPTIONS' && r.path.split('?')[0] === path),
    valid: null,
    until(what, predicate, timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const check = (): void => {
          if (predicate()) {
            waiters.delete(check);
            resolve();
          } else if (Date.now() - started > timeoutMs) {
            waiters.delete(check);
            reject(new Error(`timed out after ${timeoutMs} ms waiting for the servers to see: ${what}`));
          } else {
            setTimeout(check, 10);
          }
        };
        waiters.add(check);
        check();
      });
    },
    reset() {
      for (const res of held) res.end();
      held = new Set();
      seen = [];
      refreshes = 0;
      state.valid = null;
    },
    async close() {
      for (const res of held) res.destroy();
      for (const session of sessions) session.destroy();
      page.closeAllConnections();
      other.closeAllConnections();
      await Promise.all([closed(page), closed(other), closed(h2)]);
    },
  };
  return state;
}

/** Listens on 127.0.0.1, port 0, and resolves with the port. */
async function listen(server: http.Server | http2.Http2SecureServer): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function closed(server: http.Server | http2.Http2SecureServer): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * A throwaway self-signed certificate for 127.0.0.1 (P-256, valid one day either side of
 * now), built with node:crypto alone: no `openssl` binary is needed on a bare CI machine.
 * Chromium is told to ignore certificate errors anyway; this only has to be well-formed.
 */
function selfSignedCertificate(): { key: string; cert: string } {
  const der = (tag: number, ...parts: Buffer[]): Buffer => {
    const body = Buffer.concat(parts);
    const n = body.length;
    const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
    return Buffer.concat([Buffer.from([tag, ...length]), body]);
  };
  const seq = (...parts: Buffer[]): Buffer => der(0x30, ...parts);
  const oid = (hex: string): Buffer => der(0x06, Buffer.from(hex, 'hex'));
  const utcTime = (date: Date): Buffer =>
    der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaWithSha256 = seq(oid('2a8648ce3d040302'));
  const name = seq(der(0x31, seq(oid('550403'), der(0x0c, Buffer.from('127.0.0.1', 'ascii')))));
  const day = 24 * 60 * 60 * 1000;
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, Buffer.from([1])), // serial number
    ecdsaWithSha256,
    name, // issuer
    seq(utcTime(new Date(Date.now() - day)), utcTime(new Date(Date.now() + day))),
    name, // subject
    publicKey.export({ type: 'spki', format: 'der' }),
    // subjectAltName: IP 127.0.0.1
    der(0xa3, seq(seq(oid('551d11'), der(0x04, seq(der(0x87, Buffer.from([127, 0, 0, 1]))))))),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = seq(tbs, ecdsaWithSha256, der(0x03, Buffer.from([0]), signature));
  const lines = certificate.toString('base64').match(/.{1,64}/g) ?? [];
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`,
  };
}

// ---------------------------------------------------------------------------
// The page's side
// ---------------------------------------------------------------------------

type Api = ReturnType<PageGlobals['createFetch']>;
type Store = InstanceType<PageGlobals['SessionStore']>;

/** How a request (or a body read) settled, as the page reports it. */
interface Failure {
  readonly ok: false;
  readonly name: string;
  readonly message: string;
  readonly code: string | null;
  readonly isSessionError: boolean;
  /** `getSessionEnd(err)?.reason`. */
  readonly endReason: string | null;
  /** Whether the rejection is the SESSION_ENDED SessionError itself (`getSessionEnd(err) === err`). */
  readonly isTheSessionEnd: boolean;
}
interface Success {
  readonly ok: true;
  readonly status: number;
  /** The body, parsed as JSON when it is JSON. */
  readonly data: unknown;
}
type Settled = Success | Failure;

/** What `installHelpers` adds to the page's `window`. */
interface Helpers {
  /** Summarises a rejection (a function property: passed around as `.then(…, w.fx.failure)`). */
  readonly failure: (err: unknown) => Failure;
  /** Awaits the response and its body, never rejecting. */
  settle(request: Promise<Response>): Promise<Settled>;
  /** A one-chunk request body that can be read once. */
  stream(text: string): ReadableStream<Uint8Array>;
  /** A store whose refresh POSTs the page server's `/token?delay=<ms>` with `{ ...ctx.config }`, and a fetch function bound to it. */
  refreshing(options?: Parameters<PageGlobals['createFetch']>[1], delay?: number): { store: Store; api: Api; calls: string[] };
}
type Page = PageGlobals & { fx: Helpers };

/** Runs in the page (serialised by `page.evaluate`): puts `fx` on `window`. */
function installHelpers(): void {
  const w = window as unknown as Page;
  const failure = (err: unknown): Failure => {
    const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; message?: unknown; code?: unknown };
    const end = w.getSessionEnd(err);
    return {
      ok: false,
      name: typeof e.name === 'string' ? e.name : typeof err,
      message: typeof e.message === 'string' ? e.message : String(err),
      code: typeof e.code === 'string' ? e.code : null,
      isSessionError: w.isSessionError(err),
      endReason: end?.reason ?? null,
      isTheSessionEnd: end !== undefined && end === err,
    };
  };
  w.fx = {
    failure,
    async settle(request) {
      try {
        const response = await request;
        const text = await response.text();
        let data: unknown = text;
        try {
          data = JSON.parse(text);
        } catch {
          // Not JSON: kept as text.
        }
        return { ok: true, status: response.status, data };
      } catch (err) {
        return failure(err);
      }
    },
    stream(text) {
      return new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(text));
          controller.close();
        },
      });
    },
    refreshing(options = {}, delay = 0) {
      const calls: string[] = [];
      const store = new w.SessionStore({
        refresh: async (session, ctx) => {
          calls.push(session.token);
          // The refresh request goes with the refresh's config: `skipAuth` (no token, not
          // held behind the refresh it is part of) and its signal.
          const response = await api(`/token?delay=${delay}`, { ...ctx.config, method: 'POST' });
          const { token } = (await response.json()) as { token: string };
          return token;
        },
      });
      const api = w.createFetch(store, options);
      return { store, api, calls };
    },
  };
}

// ---------------------------------------------------------------------------
// Suite
// ---------------------------------------------------------------------------

let servers: Servers | undefined;
let browser: Browser | undefined;
let tab: Tab | undefined;

beforeAll(async () => {
  servers = await startServers();
  const { page, other, h2, localhost } = servers;
  browser = await launchBrowser([page, other, h2, localhost]);
  // One tab for the file: every test builds its own store and fetch function in it.
  tab = await browser.open(`${page}/`);
  // The HTTP/2 server's certificate is self-signed.
  const cdp = await browser.context.newCDPSession(tab.page);
  await cdp.send('Security.setIgnoreCertificateErrors', { ignore: true });
  await tab.page.evaluate(installHelpers);
});

afterAll(async () => {
  await browser?.close();
  await servers?.close();
});

beforeEach(() => {
  servers?.reset();
});

afterEach(async () => {
  if (tab === undefined || browser === undefined) return;
  // Let queued microtasks and timers of the page run: nothing may have been thrown, and
  // nothing may have gone anywhere but the servers.
  await tab.page.evaluate(() => new Promise<void>((resolve) => setTimeout(resolve, 20)));
  expect(tab.pageErrors).toEqual([]);
  expect(browser.foreignRequests).toEqual([]);
});

function setup(): { srv: Servers; tab: Tab } {
  if (servers === undefined || tab === undefined) throw new Error('the browser or the servers did not start');
  return { srv: servers, tab };
}

/** `[path, authorization]` of each request, to compare what reached a server. */
const wire = (requests: readonly Seen[]): [string, string | undefined][] => requests.map((r) => [r.path, r.authorization]);

/** The failure a request of a session ended by `logout()` rejects with. */
const ENDED_BY_USER: Failure = {
  ok: false,
  name: 'SessionError',
  message: expect.any(String) as string,
  code: 'SESSION_ENDED',
  isSessionError: true,
  endReason: 'user',
  isTheSessionEnd: true,
};

describe('createFetch in headless Chromium', () => {
  test("stamps the current token as each request is sent: a relative URL on the page's origin gets it, and after update() the next request gets the new one", async () => {
    const { srv, tab: t } = setup();

    const results = await t.page.evaluate(async () => {
      const w = window as unknown as Page;
      const store = new w.SessionStore();
      // Made before the login: the token is read per request, not when binding.
      const api = w.createFetch(store);
      const anonymous = await w.fx.settle(api('/me?step=anonymous'));
      store.login('tok-1');
      const first = await w.fx.settle(api('/me?step=login'));
      const request = await w.fx.settle(api(new Request('/me?step=request-object')));
      store.update({ token: 'tok-2' });
      const updated = await w.fx.settle(api('/me?step=update'));
      store.logout();
      const after = await w.fx.settle(api('/me?step=logout'));
      return { anonymous, first, request, updated, after, origin: location.origin };
    });

    expect(results.origin).toBe(srv.page);
    expect(results.first).toEqual({ ok: true, status: 200, data: { authorization: 'Bearer tok-1' } });
    expect(results.updated).toEqual({ ok: true, status: 200, data: { authorization: 'Bearer tok-2' } });
    // What reached the wire, not only what the page saw.
    expect(wire(srv.to('page', '/me'))).toEqual([
      ['/me?step=anonymous', undefined],
      ['/me?step=login', 'Bearer tok-1'],
      ['/me?step=request-object', 'Bearer tok-1'],
      ['/me?step=update', 'Bearer tok-2'],
      ['/me?step=logout', undefined],
    ]);
    expect(srv.to('page', '/me').map((r) => r.host)).toEqual(Array(5).fill(srv.page.slice('http://'.length)));
  });

  test('a Request keeps its own referrer and referrerPolicy, as fetch(request) does', async () => {
    const { srv, tab: t } = setup();

    await t.page.evaluate(async () => {
      const w = window as unknown as Page;
      const store = new w.SessionStore({ initial: 'tok-referrer' });
      const api = w.createFetch(store);
      const requests = (step: string): Request[] => [
        new Request(`/me?step=${step}-default`, { referrer: '/from/here' }),
        new Request(`/me?step=${step}-origin`, { referrer: '/from/here', referrerPolicy: 'origin' }),
        new Request(`/me?step=${step}-none`, { referrer: '/from/here', referrerPolicy: 'no-referrer' }),
      ];
      for (const request of requests('plain')) await w.fx.settle(fetch(request));
      for (const request of requests('bound')) await w.fx.settle(api(request));
      store.dispose();
    });

    const referers = srv.to('page', '/me').map((r) => [r.path, r.referer, r.authorization]);
    expect(referers).toEqual([
      ['/me?step=plain-default', `${srv.page}/from/here`, undefined],
      ['/me?step=plain-origin', `${srv.page}/`, undefined],
      ['/me?step=plain-none', undefined, undefined],
      ['/me?step=bound-default', `${srv.page}/from/here`, 'Bearer tok-referrer'],
      ['/me?step=bound-origin', `${srv.page}/`, 'Bearer tok-referrer'],
      ['/me?step=bound-none', undefined, 'Bearer tok-referrer'],
    ]);
  });

  test('another origin (the other server, another port) gets no token when allowedOrigins does not list it', async () => {
    const { srv, tab: t } = setup();

    const results = await t.page.evaluate(async (other) => {
      const w = window as unknown as Page;
      const store = new w.SessionStore();
      const api = w.createFetch(store);
      store.login('tok-unlisted');
      const away = await w.fx.settle(api(`${other}/me?case=unlisted`));
      const home = await w.fx.settle(api('/me?case=home'));
      store.dispose();
      return { away, home };
    }, srv.other);

    // The browser really sent it there (the case is not vacuous), bare.
    expect(results.away).toEqual({ ok: true, status: 200, data: { authorization: null } });
    // No preflight either: nothing asked to send an `authorization` header there.
    expect(srv.seen.filter((r) => r.server === 'other').map((r) => [r.method, r.path, r.authorization, r.origin])).toEqual([
      ['GET', '/me?case=unlisted', undefined, srv.page],
    ]);
    // The page's own origin still gets it: the fetch function does stamp.
    expect(results.home).toEqual({ ok: true, status: 200, data: { authorization: 'Bearer tok-unlisted' } });
  });

  test("'localhost' and '127.0.0.1' are different origins: the page's own server, reached as localhost, gets no token", async () => {
    const { srv, tab: t } = setup();

    const results = await t.page.evaluate(async (localhost) => {
      const w = window as unknown as Page;
      const store = new w.SessionStore();
      const api = w.createFetch(store);
      store.login('tok-spelling');
      const away = await w.fx.settle(api(`${localhost}/me?case=localhost`));
      store.dispose();
      return { away };
    }, srv.localhost);

    expect(results.away).toEqual({ ok: true, status: 200, data: { authorization: null } });
    const requests = srv.seen.filter((r) => r.path === '/me?case=localhost');
    expect(requests.map((r) => [r.server, r.method, r.host, r.authorization, r.origin])).toEqual([
      ['page', 'GET', srv.localhost.slice('http://'.length), undefined, srv.page],
    ]);
  });

  test('an origin listed exactly in allowedOrigins gets the token; the same host under another spelling does not', async () => {
    const { srv, tab: t } = setup();

    const results = await t.page.evaluate(
      async ({ other, localhost }) => {
        const w = window as unknown as Page;
        const store = new w.SessionStore();
        const api = w.createFetch(store, { allowedOrigins: [other] });
        store.login('tok-listed');
        const listed = await w.fx.settle(api(`${other}/me?case=listed`));
        const spelling = await w.fx.settle(api(`${localhost}/me?case=not-listed`));
        const home = await w.fx.settle(api('/me?case=home'));
        store.dispose();
        return { listed, spelling, home };
      },
      { other: srv.other, localhost: srv.localhost },
    );

    expect(results.listed).toEqual({ ok: true, status: 200, data: { authorization: 'Bearer tok-listed' } });
    // The browser asks first (a preflight never carries the header itself), then sends it.
    const atOther = srv.seen.filter((r) => r.server === 'other');
    expect(atOther.map((r) => [r.method, r.path, r.authorization])).toEqual([
      ['OPTIONS', '/me?case=listed', undefined],
      ['GET', '/me?case=listed', 'Bearer tok-listed'],
    ]);
    expect(atOther[0]?.requestHeaders?.split(',').map((h) => h.trim())).toContain('authorization');
    expect(results.spelling).toEqual({ ok: true, status: 200, data: { authorization: null } });
    expect(results.home).toEqual({ ok: true, status: 200, data: { authorization: 'Bearer tok-listed' } });
    expect(wire(srv.to('page', '/me'))).toEqual([
      ['/me?case=not-listed', undefined],
      ['/me?case=home', 'Bearer tok-listed'],
    ]);
  });

  test('near misses in allowedOrigins (another host spelling, scheme or port) do not let the token through', async () => {
    const { srv, tab: t } = setup();
    const otherPort = new URL(srv.other).port;
    const nearMisses = [`http://localhost:${otherPort}`, `https://127.0.0.1:${otherPort}`, 'http://127.0.0.1', srv.page];

    const results = await t.page.evaluate(
      async ({ other, allowedOrigins }) => {
        const w = window as unknown as Page;
        const store = new w.SessionStore();
        const api = w.createFetch(store, { allowedOrigins });
        store.login('tok-near-miss');
        const away = await w.fx.settle(api(`${other}/me?case=near-miss`));
        store.dispose();
        return { away };
      },
      { other: srv.other, allowedOrigins: nearMisses },
    );

    expect(results.away).toEqual({ ok: true, status: 200, data: { authorization: null } });
    expect(srv.seen.filter((r) => r.server === 'other').map((r) => [r.method, r.path, r.authorization])).toEqual([
      ['GET', '/me?case=near-miss', undefined],
    ]);
  });

  test("logout rejects fetches in flight with the SESSION_ENDED SessionError itself (reason 'user'), and the server sees their connections closed", async () => {
    const { srv, tab: t } = setup();

    await t.page.evaluate(() => {
      const w = window as unknown as Page;
      const store = new w.SessionStore();
      const api = w.createFetch(store);
      store.login('tok-in-flight');
      w.spec.store = store;
      w.spec.api = api;
      w.spec.pending = [1, 2].map((n) => api(`/hold?n=${n}`).then(() => 'resolved', w.fx.failure));
    });
    await srv.until('two requests to /hold', () => srv.to('page', '/hold').length === 2);
    expect(wire(srv.to('page', '/hold'))).toEqual([
      ['/hold?n=1', 'Bearer tok-in-flight'],
      ['/hold?n=2', 'Bearer tok-in-flight'],
    ]);
    expect(srv.to('page', '/hold').map((r) => r.aborted)).toEqual([false, false]);

    const results = await t.page.evaluate(async () => {
      const w = window as unknown as Page;
      const store = w.spec.store as Store;
      const inFlightBefore = store.inFlight;
      const logouts: string[] = [];
      store.logout$.subscribe((event) => logouts.push(event.reason));
      store.logout();
      const inFlightAfter = store.inFlight;
      const pending = await Promise.all((w.spec.pending as Promise<unknown>[]).map((p) => w.within(p, 3000)));
      const later = await w.fx.settle((w.spec.api as Api)('/me?step=after-logout'));
      return { inFlightBefore, inFlightAfter, logouts, pending, later };
    });

    expect(results.inFlightBefore).toBe(2);
    expect(results.inFlightAfter).toBe(0);
    expect(results.logouts).toEqual(['user']);
    expect(results.pending).toEqual([ENDED_BY_USER, ENDED_BY_USER]);
    // Nothing with the old token leaves after the fence.
    expect(results.later).toEqual({ ok: true, status: 200, data: { authorization: null } });
    // The browser really dropped both connections: the servers saw them close unanswered.
    await srv.until('both /hold connections closed', () => srv.to('page', '/hold').every((r) => r.aborted));
    expect(srv.to('page', '/hold').map((r) => r.aborted)).toEqual([true, true]);
  });

  test('a response received before logout whose body is read after logout rejects with the SESSION_ENDED SessionError', async () => {
    const { srv, tab: t } = setup();

    const results = await t.page.evaluate(async () => {
      const w = window as unknown as Page;
      const store = new w.SessionStore();
      const api = w.createFetch(store);
      store.login('tok-body');
      const beforeLogout = await api('/me?case=read-before');
      const readBefore = (await beforeLogout.json()) as unknown;
      const asJson = await api('/me?case=json');
      const asText = await api('/me?case=text');
      const asStream = await api('/me?case=stream');
      // Let the (small) bodies arrive in full first: a buffered body is fenced too.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const statuses = [asJson.status, asText.status, asStream.status];
      store.logout();
      const json = await asJson.json().then(() => 'read', w.fx.failure);
      const text = await asText.text().then(() => 'read', w.fx.failure);
      const reader = asStream.body?.getReader();
      const stream = reader === undefined ? 'no body' : await reader.read().then(() => 'read', w.fx.failure);
      return { readBefore, statuses, json, text, stream };
    });

    expect(results.readBefore).toEqual({ authorization: 'Bearer tok-body' });
    expect(results.statuses).toEqual([200, 200, 200]);
    expect(results.json).toEqual(ENDED_BY_USER);
    expect(results.text).toEqual(ENDED_BY_USER);
    expect(results.stream).toEqual(ENDED_BY_USER);
    expect(srv.to('page', '/me')).toHaveLength(4);
  });

  test('a body read as a stream, cancelled or read with a BYOB reader settles its request; a clone reads as its original, and after logout rejects the same way', async () => {
    const { srv, tab: t } = setup();

    const results = await t.page.evaluate(async () => {
      const w = window as unknown as Page;
      const store = new w.SessionStore();
      const api = w.createFetch(store);
      store.login('tok-stream');
      const [streamed, cancelled, byob, looked] = await Promise.all(
        ['stream', 'cancel', 'byob', 'look'].map((c) => api(`/me?case=${c}`)),
      );
      const counts = [store.inFlight];
      let text = '';
      const reader = streamed?.body?.getReader();
      for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read())
        text += new TextDecoder().decode(chunk.value);
      counts.push(store.inFlight);
      await cancelled?.body?.cancel();
      counts.push(store.inFlight);
      const own = byob?.body?.getReader({ mode: 'byob' });
      let bytes = 0;
      for (let chunk = await own?.read(new Uint8Array(8)); chunk && !chunk.done; chunk = await own?.read(new Uint8Array(8)))
        bytes += chunk.value.byteLength;
      counts.push(store.inFlight);
      // A look at `body` reads nothing: `json()` still works.
      const same = looked?.body === looked?.body;
      const data = (await looked?.json()) as unknown;
      counts.push(store.inFlight);
      const original = await api('/me?case=clone');
      const copy = original.clone();
      const copyData = (await copy.json()) as unknown;
      const kept = store.inFlight; // the original is not read yet
      store.logout();
      const read = await original.text().then(() => 'read', w.fx.failure);
      let clonedAfter: unknown = 'cloned';
      try {
        original.clone();
      } catch (err) {
        clonedAfter = w.fx.failure(err);
      }
      return { counts, text: JSON.parse(text) as unknown, bytes, same, data, copyData, kept, read, clonedAfter };
    });

    expect(results.counts).toEqual([4, 3, 2, 1, 0]);
    expect(results.text).toEqual({ authorization: 'Bearer tok-stream' });
    expect(results.bytes).toBeGreaterThan(0);
    expect(results.same).toBe(true);
    expect(results.data).toEqual({ authorization: 'Bearer tok-stream' });
    expect(results.copyData).toEqual({ authorization: 'Bearer tok-stream' });
    expect(results.kept).toBe(1);
    expect(results.read).toEqual(ENDED_BY_USER);
    expect(results.clonedAfter).toEqual(ENDED_BY_USER);
    expect(srv.to('page', '/me')).toHaveLength(5);
  });

  test('logout while a body is still arriving aborts it: the read in progress rejects with the SESSION_ENDED SessionError and the server sees the connection closed', async () => {
    const { srv, tab: t } = setup();

    await t.page.evaluate(async () => {
      const w = window as unknown as Page;
      const store = new w.SessionStore();
      const api = w.createFetch(store);
      store.login('tok-half');
      const response = await api('/half');
      w.spec.store = store;
      w.spec.status = response.status;
      w.spec.reading = response.text().then(() => 'read', w.fx.failure);
    });
    expect(srv.to('page', '/half').map((r) => [r.authorization, r.aborted])).toEqual([['Bearer tok-half', false]]);

    const results = await t.page.evaluate(async () => {
      const w = window as unknown as Page;
      (w.spec.store as Store).logout();
      return { status: w.spec.status, reading: await w.within(w.spec.reading as Promise<unknown>, 3000) };
    });

    expect(results.status).toBe(200);
    expect(results.reading).toEqual(ENDED_BY_USER);
    await srv.until('the /half connection closed', () => srv.to('page', '/half')[0]?.aborted === true);
  });

  test("the caller's own signal cancels just that request: it rejects with the caller's reason, the session and the other request go on", async () => {
    const { srv, tab: t } = setup();

    await t.page.evaluate(() => {
      const w = window as unknown as Page;
      const store = new w.SessionStore();
      const api = w.createFetch(store);
      store.login('tok-own');
      const controller = new AbortController();
      w.spec.store = store;
      w.spec.controller = controller;
      w.spec.mine = api('/hold?own=1', { signal: controller.signal }).then(() => 'resolved', w.fx.failure);
      // In flight at the same time, and still in flight when the controller aborts.
      w.spec.other = w.fx.settle(api('/me?delay=400'));
    });
    await srv.until('/hold and /me arrived', () => srv.to('page', '/hold').length === 1 && srv.to('page', '/me').length === 1);

    const results = await t.page.evaluate(async () => {
      const w = window as unknown as Page;
      const store = w.spec.store as Store;
      const inFlightBefore = store.inFlight;
      (w.spec.controller as AbortController).abort();
      const mine = await w.within(w.spec.mine as Promise<unknown>, 3000);
      const other = await w.within(w.spec.other as Promise<Settled>, 3000);
      return { inFlightBefore, mine, other, status: store.session.status, inFlight: store.inFlight };
    });

    expect(results.inFlightBefore).toBe(2);
    // The caller's reason (the DOM's default AbortError), not the session's.
    expect(results.mine).toMatchObject({ ok: false, name: 'AbortError', isSessionError: false, endReason: null });
    expect(results.other).toEqual({ ok: true, status: 200, data: { authorization: 'Bearer tok-own' } });
    expect(results.status).toBe('authenticated');
    expect(results.inFlight).toBe(0);
    await srv.until('the /hold connection closed', () => srv.to('page', '/hold')[0]?.aborted === true);
    expect(srv.to('page', '/me').map((r) => [r.authorization, r.aborted])).toEqual([['Bearer tok-own', false]]);
  });

  test('a 401 on two concurrent requests triggers one refresh (its /token call sent with skipAuth) and one retry of each with the new token', async () => {
    const { srv, tab: t } = setup();
    srv.valid = 'tok-not-yet'; // the login's token is refused

    const results = await t.page.evaluate(async () => {
      const w = window as unknown as Page;
      // /token answers after 200 ms, well after both 401s: both wait for the one refresh.
      const { store, api, calls } = w.fx.refreshing({}, 200);
      store.login('tok-expired');
      // Each 401 waits until both requests are in: both were sent with the expired token.
      const [a, b] = await Promise.all([w.fx.settle(api('/api?n=1&together=2')), w.fx.settle(api('/api?n=2&together=2'))]);
      const token = store.session.token;
      store.dispose();
      return { a, b, calls, token };
    });

    expect(results.a).toEqual({ ok: true, status: 200, data: { authorization: 'Bearer tok-fresh-1', body: '' } });
    expect(results.b).toEqual({ ok: true, status: 200, data: { authorization: 'Bearer tok-fresh-1', body: '' } });
    expect(results.calls).toEqual(['tok-expired']);
    expect(results.token).toBe('tok-fresh-1');
    // Exactly one refresh request, without the (expired) token.
    expect(srv.to('page', '/token').map((r) => [r.method, r.authorization])).toEqual([['POST', undefined]]);
    // Each request twice: refused with the old token, then once more with the new one.
    const calls = srv.seen.filter((r) => r.path.startsWith('/api') || r.path.startsWith('/token'));
    expect(calls).toHaveLength(5);
    const tokenAt = calls.findIndex((r) => r.path.startsWith('/token'));
    expect(tokenAt).toBe(2);
    expect(wire(calls.slice(0, 2)).sort()).toEqual([
      ['/api?n=1&together=2', 'Bearer tok-expired'],
      ['/api?n=2&together=2', 'Bearer tok-expired'],
    ]);
    expect(wire(calls.slice(3)).sort()).toEqual([
      ['/api?n=1&together=2', 'Bearer tok-fresh-1'],
      ['/api?n=2&together=2', 'Bearer tok-fresh-1'],
    ]);
  });

  test('a ReadableStream body is not sent again after a 401 (over HTTP/2): the 401 is returned once the refresh is done, and the refresh serves later requests', async () => {
    const { srv, tab: t } = setup();
    srv.valid = 'tok-not-yet';

    const results = await t.page.evaluate(async (h2) => {
      const w = window as unknown as Page;
      const { store, api, calls } = w.fx.refreshing({ allowedOrigins: [h2] });
      store.login('tok-expired');
      const init = { method: 'POST', body: w.fx.stream('a stream, read once'), duplex: 'half' } as RequestInit;
      const streamed = await w.fx.settle(api(`${h2}/upload?case=stream`, init));
      const tokenAfter = store.session.token;
      // The refresh helps the next request: a string body, with the new token at once.
      const next = await w.fx.settle(api(`${h2}/upload?case=next`, { method: 'POST', body: 'next' }));
      // The control: a body that can be sent twice is sent again after a 401.
      store.login('tok-expired-2');
      const replayed = await w.fx.settle(api(`${h2}/upload?case=replayable`, { method: 'POST', body: 'sent twice' }));
      const refreshes = calls.slice();
      store.dispose();
      return { streamed, tokenAfter, next, replayed, refreshes };
    }, srv.h2);

    expect(results.streamed).toEqual({
      ok: true,
      status: 401,
      data: { authorization: 'Bearer tok-expired', body: 'a stream, read once' },
    });
    expect(results.tokenAfter).toBe('tok-fresh-1');
    expect(results.next).toEqual({ ok: true, status: 200, data: { authorization: 'Bearer tok-fresh-1', body: 'next' } });
    expect(results.replayed).toEqual({
      ok: true,
      status: 200,
      data: { authorization: 'Bearer tok-fresh-2', body: 'sent twice' },
    });
    expect(results.refreshes).toEqual(['tok-expired', 'tok-expired-2']);

    const uploads = srv.to('h2', '/upload');
    // The streamed upload really went over HTTP/2, with its body, and only once.
    expect(uploads.map((r) => [r.httpVersion, r.path, r.authorization, r.body])).toEqual([
      ['2.0', '/upload?case=stream', 'Bearer tok-expired', 'a stream, read once'],
      ['2.0', '/upload?case=next', 'Bearer tok-fresh-1', 'next'],
      ['2.0', '/upload?case=replayable', 'Bearer tok-expired-2', 'sent twice'],
      ['2.0', '/upload?case=replayable', 'Bearer tok-fresh-2', 'sent twice'],
    ]);
    expect(srv.to('page', '/token').map((r) => [r.method, r.authorization])).toEqual([
      ['POST', undefined],
      ['POST', undefined],
    ]);
  });

  test('over HTTP/1.1 Chromium refuses a ReadableStream body before sending it: its TypeError passes through and no refresh starts', async () => {
    const { srv, tab: t } = setup();
    srv.valid = 'tok-not-yet';

    const results = await t.page.evaluate(async () => {
      const w = window as unknown as Page;
      const { store, api, calls } = w.fx.refreshing();
      store.login('tok-h1');
      const init = { method: 'POST', body: w.fx.stream('never sent'), duplex: 'half' } as RequestInit;
      const streamed = await w.fx.settle(api('/upload?case=http1-stream', init));
      const session = { status: store.session.status, token: store.session.token };
      store.dispose();
      return { streamed, calls, session };
    });

    expect(results.streamed).toMatchObject({ ok: false, name: 'TypeError', isSessionError: false });
    expect(results.calls).toEqual([]);
    expect(results.session).toEqual({ status: 'authenticated', token: 'tok-h1' });
    expect(srv.to('page', '/upload')).toEqual([]);
    expect(srv.to('page', '/token')).toEqual([]);
  });
});
