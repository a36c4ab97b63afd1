/**
 * The loopback server of scenarios 2 and 5, run in its own process so that its CPU is not
 * the client's: listens on 127.0.0.1, port 0, and reports the port over IPC (or stdout).
 *
 * Every path answers 200 `{"ok":true}` (scenario 2), except the refresh storm's routes
 * under `/storm/` (scenario 5):
 * - `GET /storm/data`: 200 `{"ok":true,"token":…}` with `Authorization: Bearer <the valid
 *   token>`, 401 `{"error":"invalid_token"}` otherwise;
 * - `POST /storm/refresh`: counts the call and issues a new valid token (the old one stops
 *   working): 200 `{"token":…}`;
 * - `GET /storm/count`: 200 with the counters (`StormCounts`), not counted itself.
 */
import http from 'node:http';

/** What `GET /storm/count` answers. */
export interface StormCounts {
  refreshCalls: number;
  token: string;
  /** `/storm/data` requests answered 200 and 401. */
  authorized: number;
  unauthorized: number;
}

const body = JSON.stringify({ ok: true });
const unauthorizedBody = JSON.stringify({ error: 'invalid_token' });
const counts: StormCounts = { refreshCalls: 0, token: 'storm-0', authorized: 0, unauthorized: 0 };
let bearer = `Bearer ${counts.token}`;

function send(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function storm(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/storm/data') {
    if (req.headers.authorization === bearer) {
      counts.authorized++;
      send(res, 200, JSON.stringify({ ok: true, token: counts.token }));
    } else {
      counts.unauthorized++;
      send(res, 401, unauthorizedBody);
    }
  } else if (req.url === '/storm/refresh' && req.method === 'POST') {
    counts.refreshCalls++;
    counts.token = `storm-${counts.refreshCalls}`;
    bearer = `Bearer ${counts.token}`;
    send(res, 200, JSON.stringify({ token: counts.token }));
  } else if (req.url === '/storm/count') {
    send(res, 200, JSON.stringify(counts));
  } else {
    send(res, 404, JSON.stringify({ error: 'not_found' }));
  }
}

const server = http.createServer((req, res) => {
  req.resume();
  if (req.url?.startsWith('/storm/') === true) {
    storm(req, res);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
// A backlog for the storm's 1,000 connections opened at once (the default, 511, would drop SYNs: 1 s retransmits).
server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, () => {
  const { port } = server.address() as { port: number };
  if (process.send) process.send({ port });
  else console.log(JSON.stringify({ port }));
});
process.on('disconnect', () => process.exit(0));
