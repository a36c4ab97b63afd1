/**
 * The Angular example's server: `npm run example:angular` builds the app with Angular's
 * own tools (`ng build`, @angular/build), then serves it on 127.0.0.1 with the examples' API
 * (examples/api.ts), and a partner API on another port (another origin, which must never
 * get the token). Open the address it prints, in two tabs if you like.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { close, createExampleApi, listen, startPartner, type SeenRequest } from '../api';

/** `zoneless` (Angular 21's default) or `zone` (zone.js, `ng build -c zone`). */
export type ChangeDetection = 'zoneless' | 'zone';

export interface AngularExampleServer {
  readonly url: string;
  /** The API's requests, and the partner API's. */
  readonly seen: readonly SeenRequest[];
  readonly partner: { readonly origin: string; readonly seen: readonly SeenRequest[] };
  close(): Promise<void>;
}

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..', '..');

/** Builds the app with `ng build` (production), and resolves with the build's time in ms. */
export function buildAngularExample(detection: ChangeDetection = 'zoneless'): Promise<number> {
  const started = Date.now();
  const args = [path.join(ROOT, 'node_modules', '@angular', 'cli', 'bin', 'ng.js'), 'build'];
  if (detection === 'zone') args.push('--configuration', 'zone');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: HERE, env: { ...process.env, NG_CLI_ANALYTICS: 'false', NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`ng build failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(Date.now() - started),
    );
  });
}

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Serves a built app (`dist/<detection>/browser`) with the API, on 127.0.0.1 (`port` 0: any free port). */
export async function startAngularExample(port = 0, detection: ChangeDetection = 'zoneless'): Promise<AngularExampleServer> {
  const root = path.join(HERE, 'dist', detection, 'browser');
  const partner = await startPartner();
  // The page names the partner's origin (the app reads it as PARTNER_API).
  const index = (await readFile(path.join(root, 'index.html'), 'utf8')).replace(
    '<meta charset="utf-8">',
    `<meta charset="utf-8">\n    <meta name="partner-api" content="${partner.origin}">`,
  );
  const api = createExampleApi();
  const server = http.createServer((req, res) => {
    if (api.handle(req, res)) return;
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = path.join(root, path.normalize(pathname));
    const type = TYPES[path.extname(pathname)];
    if (type === undefined || !file.startsWith(root + path.sep)) {
      // Every other path is a route of the app (/login, /profile): the app's page.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(index);
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'content-type': type });
        res.end(body);
      },
      () => {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      },
    );
  });
  const origin = await listen(server, port);
  return {
    url: `${origin}/`,
    seen: api.seen,
    partner,
    close: async () => {
      await close(server);
      await partner.close();
    },
  };
}

if (require.main === module) {
  void (async () => {
    process.stdout.write('Building the Angular example (ng build)…\n');
    const ms = await buildAngularExample();
    const { url } = await startAngularExample(Number(process.env.PORT ?? 4200));
    process.stdout.write(`Built in ${(ms / 1000).toFixed(1)} s. rx-session Angular example: open ${url} (Ctrl+C stops it)\n`);
  })();
}
