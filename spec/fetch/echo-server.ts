import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the echo server received it, body included. */
export interface EchoedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A node:http server on 127.0.0.1 (port 0) that records each request's method, path,
 * headers and whole body (what spec/support/test-server.ts does not keep), and answers
 * 200 with them as JSON.
 */
export interface EchoServer {
  readonly origin: string;
  readonly seen: EchoedRequest[];
  close(): Promise<void>;
}

export async function startEchoServer(): Promise<EchoServer> {
  const seen: EchoedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const echoed = {
        method: req.method ?? '',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(echoed);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: echoed.method, body: echoed.body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
