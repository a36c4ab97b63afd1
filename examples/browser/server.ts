/**
 * The browser example's server: `npm run example:browser`, then open the address it prints
 * in two tabs. It serves the page (app.ts, bundled with esbuild as it starts) and a small
 * API on 127.0.0.1:
 *
 * - `POST /api/login` (body: a name) signs in: an access token that lives 30 seconds, and a
 *   rotating refresh token;
 * - `POST /api/token` (body: the refresh token) refreshes; each refresh token works once;
 * - `GET /api/me` answers who the token belongs to, or 401;
 * - `GET /api/report` takes 8 seconds (the slow request a logout cancels);
 * - `GET /api/log` is what the server saw: each API request, its token, and whether the
 *   browser dropped it before the answer.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { build } from 'esbuild';

/** What the server saw of one API request. */
export interface SeenRequest {
  readonly at: number;
  readonly path: string;
  /** The `Authorization` header's token, shortened, or `null` without one. */
  readonly token: string | null;
  /** `true` once the browser dropped it before the answer. */
  aborted: boolean;
}

export interface ExampleServer {
  readonly url: string;
  readonly seen: readonly SeenRequest[];
  close(): Promise<void>;
}

const ACCESS_LIFE_S = 30;
const REPORT_MS = 8_000;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>rx-session in the browser</title>
    <style>
      body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 46rem; color: #222; }
      h1 { font-size: 1.4rem; margin-bottom: .2rem; }
      .status { padding: .6rem .9rem; border-radius: .4rem; background: #eee; margin: 1rem 0; font-weight: 600; }
      .status[data-status="authenticated"] { background: #e3f6e8; }
      .status[data-status="anonymous"] { background: #fbe9e9; }
      button { font: inherit; margin: 0 .4rem .4rem 0; padding: .3rem .8rem; }
      input { font: inherit; padding: .25rem .5rem; }
      section { margin: 1rem 0; }
      pre { background: #f6f6f6; padding: .6rem; border-radius: .4rem; min-height: 1.5rem; white-space: pre-wrap; }
      small { color: #666; }
    </style>
  </head>
  <body>
    <h1>rx-session in the browser</h1>
    <small>Open this page in a second tab: both tabs follow one session. Reload: it stays.</small>
    <div class="status" id="status" data-status="restoring">Restoring…</div>
    <section id="signed-out">
      <input id="name" value="ada" aria-label="name"> <button id="login">Log in</button>
    </section>
    <section id="signed-in" hidden>
      <button id="me">Who am I?</button>
      <button id="report">Slow report (8 s)</button>
      <button id="logout">Log out</button>
      <a href="/" target="_blank" rel="noopener">Open another tab</a>
    </section>
    <section><b>Request</b><pre id="result"></pre></section>
    <section><b>This tab heard</b><pre id="log"></pre></section>
    <section><b>The server saw</b> <button id="refresh-log">Refresh</button><pre id="server"></pre></section>
    <script src="/app.js"></script>
  </body>
</html>
`;

/** Bundles app.ts for the browser, with `rx-session` resolved to this repository's source. */
async function bundleApp(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(__dirname, 'app.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    alias: { 'rx-session': path.join(__dirname, '..', '..', 'lib', 'index.ts') },
    logLevel: 'error',
  });
  return result.outputFiles[0]?.text ?? '';
}

const shorten = (token: string): string => `${token.slice(0, 6)}…`;

/** Starts the example's server on 127.0.0.1 (`port` 0: any free port). */
export async function startExampleServer(port = 0): Promise<ExampleServer> {
  const app = await bundleApp();
  const seen: SeenRequest[] = [];
  /** Access token → user name, and the refresh tokens that still work. */
  const access = new Map<string, { name: string; expires: number }>();
  const refresh = new Map<string, string>();

  const issue = (name: string): string => {
    const token = `at-${randomBytes(9).toString('base64url')}`;
    const refreshToken = `rt-${randomBytes(9).toString('base64url')}`;
    access.set(token, { name, expires: Date.now() + ACCESS_LIFE_S * 1000 });
    refresh.set(refreshToken, name);
    return JSON.stringify({ access_token: token, refresh_token: refreshToken, expires_in: ACCESS_LIFE_S, user: { name } });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, type: string, body: string): void => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const json = (status: number, value: unknown): void => send(status, 'application/json', JSON.stringify(value));
    if (url.pathname === '/') {
      send(200, 'text/html; charset=utf-8', PAGE);
      return;
    }
    if (url.pathname === '/app.js') {
      send(200, 'text/javascript; charset=utf-8', app);
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      send(404, 'text/plain', 'not found');
      return;
    }

    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : null;
    if (url.pathname !== '/api/log') {
      const entry: SeenRequest = { at: Date.now(), path: url.pathname, token: token && shorten(token), aborted: false };
      seen.push(entry);
      if (seen.length > 200) seen.shift();
      res.on('close', () => {
        if (!res.writableEnded) entry.aborted = true;
      });
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const who = token === null ? undefined : access.get(token);
      switch (url.pathname) {
        case '/api/login': {
          send(200, 'application/json', issue(body.trim() || 'guest'));
          return;
        }
        case '/api/token': {
          const name = refresh.get(body);
          // Each refresh token works once (rotation).
          refresh.delete(body);
          if (name === undefined) json(400, { error: 'invalid_grant' });
          else send(200, 'application/json', issue(name));
          return;
        }
        case '/api/me': {
          if (who && who.expires > Date.now()) json(200, { name: who.name });
          else json(401, { error: 'invalid_token' });
          return;
        }
        case '/api/report':
          if (!who) {
            json(401, { error: 'invalid_token' });
            return;
          }
          {
            const timer = setTimeout(() => json(200, { report: `the report of ${who.name}` }), REPORT_MS);
            // A request the browser dropped is not answered later.
            res.on('close', () => clearTimeout(timer));
          }
          return;
        case '/api/log': {
          json(200, seen.slice(-12));
          return;
        }
        default: {
          json(404, { error: 'not found' });
          return;
        }
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (require.main === module) {
  void startExampleServer(Number(process.env.PORT ?? 5173)).then(({ url }) => {
    process.stdout.write(`rx-session browser example: open ${url} in two tabs (Ctrl+C stops it)\n`);
  });
}
