/**
 * Instruction counts of Node's fetch with and without `createFetch` (scenario 8, with
 * `--diagnose`). The callgrind support of scenarios 1 and 2 runs `node --jitless`, where
 * undici cannot run (no WebAssembly for its HTTP parser). So this runs Node with its JIT,
 * made repeatable by `--predictable` (V8 single-threaded: no concurrent compilation, no GC
 * helper threads) and fixed seeds. Two runs of the same
 * client at 200 requests differed by 2.5 and 8.6 million instructions (of 2,600 million):
 * under 1% of the per-request figure at a 2,000-request difference.
 *
 * Slow: valgrind runs JIT-compiled code at about a hundredth of its speed (a run at 3,000
 * requests takes about 6 minutes here).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT, TMP } from './build';
import { pool } from './callgrind';

const BUNDLE = path.join(TMP, 'cg-fetch-client.cjs');
export const FETCH_NODE_FLAGS = ['--predictable', '--hash-seed=2', '--random-seed=2'] as const;

/** Builds bench/support/cg-fetch-client.ts into bench/.tmp. */
export async function buildFetchClient(): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [path.join(ROOT, 'bench/support/cg-fetch-client.ts')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    target: 'node18',
    logLevel: 'warning',
  });
}

let seq = 0;

function count(args: readonly string[]): Promise<number> {
  const out = path.join(TMP, `callgrind-fetch.${process.pid}.${++seq}.out`);
  const argv = ['--tool=callgrind', `--callgrind-out-file=${out}`, 'node', ...FETCH_NODE_FLAGS, BUNDLE, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || !existsSync(out)) {
        reject(new Error(`callgrind run failed (${code}): ${stderr.slice(-2000)}`));
        return;
      }
      const line = /^totals:\s*(\d+)/m.exec(readFileSync(out, 'utf8')) ?? /^summary:\s*(\d+)/m.exec(readFileSync(out, 'utf8'));
      if (process.env['BENCH_KEEP_CALLGRIND'] === undefined) rmSync(out, { force: true });
      if (line === null) reject(new Error(`no totals in ${out}`));
      else resolve(Number(line[1]));
    });
  });
}

/** Instructions per request of the plain and bound fetch clients: (high − low) ÷ (counts[1] − counts[0]). */
export async function fetchInstructionsPerRequest(
  port: number,
  counts: readonly [number, number],
): Promise<Record<'plain' | 'bound', { low: number; high: number; perRequest: number }>> {
  await buildFetchClient();
  const variants = ['plain', 'bound'] as const;
  const jobs = variants.flatMap((v) => counts.map((n) => () => count([v, String(n), String(port)])));
  const totals = await pool(jobs);
  const at = (i: number): number => {
    const t = totals[i];
    if (t === undefined) throw new RangeError(`bench: callgrind total ${i} is missing`);
    return t;
  };
  const per = (i: number): { low: number; high: number; perRequest: number } => ({
    low: at(2 * i),
    high: at(2 * i + 1),
    perRequest: Math.round((at(2 * i + 1) - at(2 * i)) / (counts[1] - counts[0])),
  });
  return { plain: per(0), bound: per(1) };
}
