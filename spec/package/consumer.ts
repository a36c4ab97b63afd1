/**
 * A throwaway consumer project for the package specs: `npm pack` of this repo, installed with
 * rxjs and axios into a temporary folder outside the repo (so nothing resolves through the
 * repo's own node_modules), with helpers to run Node and tsc there.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = resolve(__dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** What `npm pack --json` reports of the tarball. */
export interface PackReport {
  readonly filename: string;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string; readonly size: number }[];
}

export interface Consumer {
  readonly dir: string;
  readonly pack: PackReport;
  /** Writes `text` to `name` in the consumer's folder. */
  readonly write: (name: string, text: string) => void;
  /** Runs `node <args>` in the consumer's folder; rejects on a non-zero exit. */
  readonly node: (...args: string[]) => Promise<string>;
  /** Runs the repo's tsc with `-p <tsconfig>` in the consumer's folder; rejects with its output on errors. */
  readonly tsc: (tsconfig: string) => Promise<string>;
  /** Removes the folder. */
  readonly remove: () => void;
}

/** The environment of a child npm: it must see the consumer's folder as its project, not the repo that runs `npm test`. */
export function childEnv(): NodeJS.ProcessEnv {
  const fromRepo = (key: string): boolean =>
    key.startsWith('npm_package_') || key.startsWith('npm_lifecycle_') || key === 'npm_config_local_prefix';
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !fromRepo(key)));
}

/** The version of `name` installed in the repo (the one the specs run). */
export function versionOf(name: string): string {
  const { version } = JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return version;
}

/** Fails fast, and says what to do, when dist/ is missing or older than lib/. */
export function assertFreshBuild(): void {
  const sources = readdirSync(join(repo, 'lib'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join('lib', f));
  let built: number;
  try {
    built = Math.min(
      ...['index.cjs', 'index.mjs', 'index.d.cts', 'index.d.mts'].map((f) => statSync(join(repo, 'dist', f)).mtimeMs),
    );
  } catch {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)');
  }
  const stale = sources.filter((f) => statSync(join(repo, f)).mtimeMs > built);
  if (stale.length > 0) throw new Error(`dist/ is older than ${stale.join(', ')}: run \`npm run build\` first`);
}

/** Packs the repo into `dir` (without running `prepack`: call {@link assertFreshBuild} first). */
export async function packInto(dir: string): Promise<PackReport> {
  const packed = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: repo,
    env: childEnv(),
  });
  const [pack] = JSON.parse(packed.stdout) as PackReport[];
  if (pack === undefined) throw new Error(`npm pack reported nothing: ${packed.stdout}`);
  return pack;
}

/**
 * Packs the repo (without running `prepack`: the caller checked dist/ is fresh) into a new
 * temporary folder and installs the tarball there with the repo's versions of rxjs and axios
 * (and of the `peers` asked for), from npm's cache when it has them.
 */
export async function createConsumer(peers: readonly string[] = []): Promise<Consumer> {
  const dir = mkdtempSync(join(tmpdir(), 'rx-session-consumer-'));
  const env = childEnv();
  try {
    const pack = await packInto(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    await run(
      npm,
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--ignore-scripts',
        `./${pack.filename}`,
        `rxjs@${versionOf('rxjs')}`,
        `axios@${versionOf('axios')}`,
        ...peers.map((name) => `${name}@${versionOf(name)}`),
      ],
      { cwd: dir, env },
    );
    return {
      dir,
      pack,
      write: (name, text) => writeFileSync(join(dir, name), text),
      node: async (...args) => (await run(process.execPath, args, { cwd: dir })).stdout,
      tsc: async (tsconfig) => {
        try {
          return (await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', tsconfig], { cwd: dir })).stdout;
        } catch (err) {
          const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
          throw new Error(`tsc -p ${tsconfig} failed:\n${stdout}${stderr}`);
        }
      },
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
