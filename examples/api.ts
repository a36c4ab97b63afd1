/**
 * The examples' API, on 127.0.0.1 (examples/browser and examples/angular serve it next to
 * their pages):
 *
 * - `POST /api/login` (body: a name) signs in: an access token that lives 30 seconds, and a
 *   rotating refresh token;
 * - `POST /api/token` (body: the refresh token) refreshes; each refresh token works once;
 * - `GET /api/me` answers who the token belongs to, or 401;
 * - `GET /api/report` takes 8 seconds (the slow request a logout cancels);
 * - `POST /api/forget-tokens` makes the server forget every access token it issued, as a
 *   server restart or a revocation would: the next requests get a 401, and the app refreshes;
 * - `GET /api/log` is what the server saw: each API request, its token, and whether the
 *   browser dropped it before the answer.
 *
 * And a partner API on another origin (another port), which answers CORS and says whether a
 * token reached it: `GET /whoami`.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';

/** What a server saw of one API request. */
export interface SeenRequest {
  readonly at: number;
  readonly path: string;
  /** The `Authorization` header's token, shortened, or `null` without one. */
  readonly token: string | null;
  /** `true` once the browser dropped it before the answer. */
  aborted: boolean;
}

/** The API: `handle()` answers the `/api/*` requests of a server, and says whether it did. */
export interface ExampleApi {
  readonly seen: readonly SeenRequest[];
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean;
}

const ACCESS_LIFE_S = 30;
const REPORT_MS = 8_000;

const shorten = (token: string): string => `${token.slice(0, 6)}…`;

function tokenOf(req: http.IncomingMessage): string | null {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : null;
}

/** Records a request in `seen` (the last 200), and marks it once the client drops it. */
function record(seen: SeenRequest[], req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
  const token = tokenOf(req);
  const entry: SeenRequest = { at: Date.now(), path, token: token && shorten(token), aborted: false };
  seen.push(entry);
  if (seen.length > 200) seen.shift();
  res.on('close', () => {
    if (!res.writableEnded) entry.aborted = true;
  });
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(value));
}

/** Creates the examples' API, with its own users, tokens and log. */
export function createExampleApi(): ExampleApi {
  const seen: SeenRequest[] = [];
  /** Access token → user name, and the refresh tokens that still work. */
  const access = new Map<string, { name: string; expires: number }>();
  const refresh = new Map<string, string>();

  const issue = (name: string): unknown => {
    const token = `at-${randomBytes(9).toString('base64url')}`;
    const refreshToken = `rt-${randomBytes(9).toString('base64url')}`;
    access.set(token, { name, expires: Date.now() + ACCESS_LIFE_S * 1000 });
    refresh.set(refreshToken, name);
    return { access_token: token, refresh_token: refreshToken, expires_in: ACCESS_LIFE_S, user: { name } };
  };

  const answer = (path: string, req: http.IncomingMessage, res: http.ServerResponse, body: string): void => {
    const token = tokenOf(req);
    const who = token === null ? undefined : access.get(token);
    switch (path) {
      case '/api/login':
        sendJson(res, 200, issue(body.trim() || 'guest'));
        return;
      case '/api/token': {
        const name = refresh.get(body);
        // Each refresh token works once (rotation).
        refresh.delete(body);
        if (name === undefined) sendJson(res, 400, { error: 'invalid_grant' });
        else sendJson(res, 200, issue(name));
        return;
      }
      case '/api/me':
        if (who && who.expires > Date.now()) sendJson(res, 200, { name: who.name });
        else sendJson(res, 401, { error: 'invalid_token' });
        return;
      case '/api/report': {
        if (!who) {
          sendJson(res, 401, { error: 'invalid_token' });
          return;
        }
        const timer = setTimeout(() => sendJson(res, 200, { report: `the report of ${who.name}` }), REPORT_MS);
        // A request the browser dropped is not answered later.
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case '/api/forget-tokens':
        access.clear();
        sendJson(res, 200, { forgotten: true });
        return;
      case '/api/log':
        sendJson(res, 200, seen.slice(-12));
        return;
      default:
        sendJson(res, 404, { error: 'not found' });
    }
  };

  return {
    seen,
    handle(req, res) {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (!path.startsWith('/api/')) return false;
      if (path !== '/api/log') record(seen, req, res, path);
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => answer(path, req, res, body));
      return true;
    },
  };
}

/** A partner API on its own origin: it answers CORS, and says whether a token reached it. */
export interface PartnerServer {
  readonly origin: string;
  readonly seen: readonly SeenRequest[];
  close(): Promise<void>;
}

/** Starts the partner API on 127.0.0.1 (`port` 0: any free port). */
export async function startPartner(port = 0): Promise<PartnerServer> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET' });
      res.end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    record(seen, req, res, path);
    sendJson(res, 200, { token: tokenOf(req) === null ? 'none' : 'received' }, cors);
  });
  return { origin: await listen(server, port), seen, close: () => close(server) };
}

/** Listens on 127.0.0.1 and resolves with the server's origin. */
export async function listen(server: http.Server, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  return `http://127.0.0.1:${address.port}`;
}

/** Closes a server and the connections it still has. */
export function close(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
