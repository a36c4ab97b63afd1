/**
 * The browser example's server: `npm run example:browser`, then open the address it prints
 * in two tabs. It serves the page (app.ts, bundled with esbuild as it starts) and the
 * examples' API (examples/api.ts) on 127.0.0.1.
 */
import http from 'node:http';
import path from 'node:path';
import { build } from 'esbuild';
import { close, createExampleApi, listen, type SeenRequest } from '../api';

export interface ExampleServer {
  readonly url: string;
  readonly seen: readonly SeenRequest[];
  close(): Promise<void>;
}

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

/** Starts the example's server on 127.0.0.1 (`port` 0: any free port). */
export async function startExampleServer(port = 0): Promise<ExampleServer> {
  const app = await bundleApp();
  const api = createExampleApi();
  const server = http.createServer((req, res) => {
    if (api.handle(req, res)) return;
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (pathname === '/') send(200, 'text/html; charset=utf-8', PAGE);
    else if (pathname === '/app.js') send(200, 'text/javascript; charset=utf-8', app);
    else send(404, 'text/plain', 'not found');
  });
  const origin = await listen(server, port);
  return { url: `${origin}/`, seen: api.seen, close: () => close(server) };
}

if (require.main === module) {
  void startExampleServer(Number(process.env.PORT ?? 5173)).then(({ url }) => {
    process.stdout.write(`rx-session browser example: open ${url} in two tabs (Ctrl+C stops it)\n`);
  });
}
