import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server saw of one request. */
export interface SeenRequest {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly headers: http.IncomingHttpHeaders;
}

/**
 * A real HTTP server on 127.0.0.1 (port 0) that records the headers it receives and
 * notices sockets the client drops.
 *
 * Routes: `/slow` never answers by itself (call `release()` to answer them all);
 * `/stream` sends a chunk every 20 ms for 5 s; `/redirect?to=<url>` answers 302 to that
 * URL; `/status/<code>` answers with that status; anything else answers 200 with JSON
 * `{ path, authorization }`.
 */
export interface TestServer {
  readonly origin: string;
  readonly seen: SeenRequest[];
  /** How many requests were dropped by the client before an answer was sent. */
  readonly dropped: () => number;
  /** How many `/slow` requests are waiting for an answer. */
  readonly waiting: () => number;
  /** Resolves once `n` requests have arrived. */
  arrived(n: number): Promise<void>;
  /** Resolves once `n` requests have been dropped by the client. */
  droppedAtLeast(n: number): Promise<void>;
  /** Answers every waiting `/slow` request with 200. */
  release(): void;
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const slow = new Set<http.ServerResponse>();
  let dropped = 0;
  const waiters: (() => void)[] = [];
  const poke = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const until = async (ok: () => boolean): Promise<void> => {
    while (!ok()) await new Promise<void>((resolve) => waiters.push(resolve));
  };

  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    seen.push({ path, authorization: req.headers.authorization, headers: req.headers });
    res.on('close', () => {
      slow.delete(res);
      if (!res.writableFinished) dropped++;
      poke();
    });
    poke();
    if (path.startsWith('/slow')) {
      slow.add(res);
      return;
    }
    if (path.startsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('chunk\n'), 20);
      const stop = setTimeout(() => res.end(), 5_000);
      res.on('close', () => {
        clearInterval(timer);
        clearTimeout(stop);
      });
      return;
    }
    if (path.startsWith('/redirect')) {
      const to = new URL(path, 'http://x').searchParams.get('to') ?? '/';
      res.writeHead(302, { location: to });
      res.end();
      return;
    }
    const status = /^\/status\/(\d{3})/.exec(path);
    res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path, authorization: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    dropped: () => dropped,
    waiting: () => slow.size,
    arrived: (n) => until(() => seen.length >= n),
    droppedAtLeast: (n) => until(() => dropped >= n),
    release() {
      for (const res of slow) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ late: true }));
      }
      slow.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
