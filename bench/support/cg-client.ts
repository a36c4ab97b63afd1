/**
 * The client run under `valgrind --tool=callgrind` (scenarios 1 and 2), one variant per
 * process: `node --jitless cg-client.cjs <variant> <noop|http> <requests> [port]`.
 * It warms up, sends `requests` requests, and exits; the harness runs it at two request
 * counts and takes the difference, so start-up and warm-up cancel out.
 */
import { HIDDEN_GLOBALS } from './jitless-env';
import http from 'node:http';
import type { AxiosInstance, CreateAxiosDefaults } from 'axios';
import {
  CONCURRENCY,
  makeClient,
  NOOP_BASE,
  noopAdapter,
  probeClient,
  VARIANTS,
  WARMUP,
  type Probe,
  type Variant,
} from './variants';

async function main(): Promise<void> {
  const visible = HIDDEN_GLOBALS.filter((name) => name in globalThis);
  if (visible.length > 0) throw new Error(`jitless-env did not run: ${visible.join(', ')} still defined`);
  const [variant, mode, count, port] = process.argv.slice(2);
  if (variant === undefined) throw new Error('usage: cg-client.cjs <variant> <noop|http> <requests> [port]');
  const n = Number(count);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const config: CreateAxiosDefaults =
    mode === 'http' ? { baseURL: `http://127.0.0.1:${port}`, httpAgent: agent } : { baseURL: NOOP_BASE, adapter: noopAdapter };
  let api: AxiosInstance;
  let perRequest = (): object => ({});
  if ((VARIANTS as readonly string[]).includes(variant)) api = makeClient(variant as Variant, config).api;
  else ({ api, perRequest } = probeClient(variant as Probe, config));

  const send = async (total: number): Promise<void> => {
    if (mode !== 'http') {
      for (let i = 0; i < total; i++) await api.get('/x', perRequest());
      return;
    }
    let left = total;
    const worker = async (): Promise<void> => {
      while (left-- > 0) await api.get('/x', perRequest());
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, total) }, worker));
  };
  await send(WARMUP);
  await send(n);
  agent.destroy();
  process.exit(0);
}

void main();
