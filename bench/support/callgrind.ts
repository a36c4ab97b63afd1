import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TMP } from './build';

/** Whether valgrind can be run; prints how to install it when not. */
export function valgrindAvailable(): boolean {
  const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  console.error(
    'valgrind was not found: instruction counts (scenarios 1 and 2) are skipped.\n' +
      'Install it with `apt-get install valgrind` (Debian/Ubuntu) and run `npm run bench` again.',
  );
  return false;
}

let seq = 0;

/** Runs `node --jitless <script> ...args` under callgrind and returns the instructions it executed. */
export function countInstructions(script: string, args: readonly string[]): Promise<number> {
  const out = path.join(TMP, `callgrind.${process.pid}.${++seq}.out`);
  const argv = [
    '--tool=callgrind',
    `--callgrind-out-file=${out}`,
    // Without a JIT there is no self-modifying code to watch; one GC thread keeps counts
    // steady, and fixed hash and random seeds make them repeat to within a few hundred
    // instructions per run (with random seeds, runs of the same client differ by about 1.4
    // million at 1,000 requests: hash tables laid out differently). The seed moves the
    // ratio a little: bound ÷ plain measured 1.0456, 1.0458 and 1.0463 with seeds 2, 3 and
    // 7, and 1.036 with seed 1, whose plain run happens to cost 8,000 more per request.
    // Seed 2 is a typical one, not the kindest.
    'node',
    '--jitless',
    '--single-threaded',
    '--hash-seed=2',
    '--random-seed=2',
    script,
    ...args,
  ];
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
      const text = readFileSync(out, 'utf8');
      const line = /^totals:\s*(\d+)/m.exec(text) ?? /^summary:\s*(\d+)/m.exec(text);
      if (process.env['BENCH_KEEP_CALLGRIND'] === undefined) rmSync(out, { force: true });
      if (line === null) reject(new Error(`no totals in ${out}`));
      else resolve(Number(line[1]));
    });
  });
}

/** Runs jobs with at most `limit` at a time (one per core: callgrind is single-threaded). */
export async function pool<T>(jobs: (() => Promise<T>)[], limit = Math.max(1, os.availableParallelism())): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const job = jobs[i];
      if (job === undefined) return;
      results[i] = await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
