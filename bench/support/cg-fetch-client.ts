/**
 * The fetch client counted under callgrind by scenario 8 with `--diagnose`, one variant per
 * process: `node cg-fetch-client.cjs <plain|bound> <requests> <port>`. Sequential requests
 * to the loopback server's `/storm/data`, each body read with `text()`, after a warm-up.
 *
 * Unlike cg-client.cjs it runs with the JIT (`--predictable`, see fetch-callgrind.ts):
 * Node's fetch (undici) parses HTTP in WebAssembly, which `--jitless` does not have.
 */
import { createFetch, SessionStore } from '../../lib/index';

/** Requests before the counted ones; the harness's two counts difference them out. */
export const FETCH_WARMUP = 300;

async function main(): Promise<void> {
  const [variant, count, port] = process.argv.slice(2);
  if (variant !== 'plain' && variant !== 'bound') throw new Error('usage: cg-fetch-client.cjs <plain|bound> <requests> <port>');
  const origin = `http://127.0.0.1:${port ?? ''}`;
  const url = `${origin}/storm/data`;
  const headers = { Authorization: 'Bearer storm-0' };
  const store = new SessionStore({ initial: 'storm-0' });
  const api = createFetch(store, { baseURL: `${origin}/` });
  const one = variant === 'bound' ? (): Promise<Response> => api('storm/data') : (): Promise<Response> => fetch(url, { headers });
  const send = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const res = await one();
      if (res.status !== 200) throw new Error(`${variant}: status ${res.status}`);
      await res.text();
    }
  };
  await send(FETCH_WARMUP);
  await send(Number(count));
  process.exit(0);
}

void main();
