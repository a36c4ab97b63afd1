/**
 * `npm run bench [-- --quick] [-- --diagnose] [-- --only=1,3]`: runs every scenario in
 * bench/scenarios/ (files named `<number>-<name>.ts`, each exporting a `Scenario`),
 * prints a markdown table and writes bench/results.json. `--only` takes numbers or ids
 * (`--only=8,9-fetch-logout`, or `--only 8`); it then updates those scenarios' fields of
 * results.json and keeps the others'.
 *
 * Timed comparisons run in this process (started with `--expose-gc`), variants
 * interleaved round by round after a warm-up round; instruction counts run each client in
 * its own `node --jitless` process under callgrind, in parallel up to one per core, after
 * the timed scenarios, so that they do not disturb the timings.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBenchBundles, ABLATIONS, ROOT } from './support/build';
import { valgrindAvailable } from './support/callgrind';
import { hasGc } from './support/stats';
import { isSkipped, type BenchContext, type Row, type Scenario, type ScenarioResult } from './scenarios/types';

async function main(): Promise<void> {
  // tsx turns on source-mapped stack traces (for lib/'s .ts files). Every stack read then
  // maps each of its frames, and axios reads the stack of every error it rejects with (to
  // append its own): some 30 µs per cancelled request here, more the deeper the stack,
  // which made scenario 3's logout look 1.2 × the floor when it is about 0.9 ×. No
  // browser, and no Node app without `--enable-source-maps`, pays that.
  process.setSourceMapsEnabled(false);
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const diagnose = args.includes('--diagnose');
  const onlyAt = args.indexOf('--only');
  const only = (onlyAt === -1 ? args.find((a) => a.startsWith('--only='))?.slice('--only='.length) : args[onlyAt + 1])
    ?.split(',')
    .filter((s) => s !== '');
  // `8` or `8-fetch-http`: a scenario's number, or its file name without `.ts`.
  const selected = (file: string): boolean =>
    only === undefined || only.some((s) => s === String(parseInt(file, 10)) || s === file.replace(/\.ts$/, ''));
  if (!hasGc()) {
    console.error('Run the bench with `node --expose-gc` (`npm run bench` does).');
    process.exit(2);
  }
  const started = Date.now();
  const ctx: BenchContext = {
    quick,
    diagnose,
    valgrind: valgrindAvailable(),
    log: (message) => console.error(`  [${((Date.now() - started) / 1000).toFixed(0)}s] ${message}`),
  };
  const dir = path.join(ROOT, 'bench', 'scenarios');
  const files = readdirSync(dir)
    .filter((f) => /^\d+-.*\.ts$/.test(f))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .filter(selected);
  if (files.length === 0) {
    console.error(`No scenario matches --only ${only?.join(',') ?? ''}`);
    process.exit(2);
  }
  // The ablations are counted by the axios callgrind scenarios (1 and 2) only.
  const countsAblations = files.some((f) => ['1', '2'].includes(String(parseInt(f, 10))));
  await buildBenchBundles(diagnose && countsAblations ? Object.keys(ABLATIONS) : []);
  const results: Record<string, ScenarioResult> = {};
  const titles: Record<string, string> = {};
  for (const file of files) {
    const scenario = ((await import(path.join(dir, file))) as { default: Scenario }).default;
    titles[scenario.id] = scenario.title;
    console.error(`${scenario.id}: ${scenario.title}`);
    let result: ScenarioResult;
    try {
      result = await scenario.run(ctx);
    } catch (err) {
      // One broken scenario must not cost the others' figures.
      console.error(err);
      const message = err instanceof Error ? (err.message.split('\n', 1)[0] ?? '') : String(err);
      result = {
        ratio: null,
        goal: 'error',
        pass: false,
        error: message,
        rows: [{ metric: 'error', value: message }],
      };
    }
    results[scenario.id] = result;
    // Each scenario's rows as soon as it is done (stderr), the whole table at the end (stdout).
    console.error(table({ [scenario.id]: result }, titles));
  }
  const seconds = (Date.now() - started) / 1000;

  console.log(table(results, titles));
  console.log(
    `\n${quick ? '--quick ' : ''}run took ${seconds.toFixed(0)} s on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}`,
  );
  const meta = {
    quick,
    diagnose,
    seconds: Math.round(seconds),
    node: process.version,
    cpus: os.cpus().length,
    date: new Date().toISOString(),
  };
  const fresh = Object.fromEntries(Object.entries(results).map(([id, r]) => [id, withoutRows(r)]));
  const file = path.join(ROOT, 'bench', 'results.json');
  let json: Record<string, unknown> = { meta, ...fresh };
  if (only !== undefined && existsSync(file)) {
    // Some scenarios only: theirs replace their fields, the others' stay, each partial run noted in `meta.partial`.
    const previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & {
      meta?: { partial?: Record<string, unknown> };
    };
    const partial = { ...previous.meta?.partial, ...Object.fromEntries(Object.keys(results).map((id) => [id, meta])) };
    json = { ...previous, meta: { ...previous.meta, partial }, ...fresh };
  }
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  const failed = Object.entries(results).filter(([, r]) => !isSkipped(r) && r.pass === false);
  if (failed.length > 0) console.log(`Goals missed: ${failed.map(([id]) => id).join(', ')}`);
}

function withoutRows(result: ScenarioResult): object {
  if (isSkipped(result)) return result;
  return Object.fromEntries(Object.entries(result).filter(([key]) => key !== 'rows'));
}

function table(results: Record<string, ScenarioResult>, titles: Record<string, string>): string {
  const lines = ['| scenario | metric | value | goal | pass |', '| --- | --- | --- | --- | --- |'];
  for (const [id, result] of Object.entries(results)) {
    const rows: Row[] = isSkipped(result) ? [{ metric: 'skipped', value: result.skipped }] : result.rows;
    rows.forEach((row, i) => {
      const pass = row.pass === undefined ? '' : row.pass ? 'pass' : '**FAIL**';
      lines.push(
        `| ${i === 0 ? `${id} ${titles[id] ?? ''}` : ''} | ${row.metric} | ${row.value} | ${row.goal ?? ''} | ${pass} |`,
      );
    });
  }
  return lines.join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
