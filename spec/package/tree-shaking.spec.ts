/**
 * Pay for what you import: an app that uses one client binding bundles none of the other's
 * modules. Each app is bundled by esbuild (ESM, minified, rxjs and axios external, as the
 * size check measures), and the metafile says which of lib/'s modules made it in.
 */
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '../..');

/** lib/ modules that contribute code to a bundle of an app importing `names` from the root entry. */
async function modulesIn(names: string[]): Promise<string[]> {
  const result = await build({
    stdin: {
      contents: `import { ${names.join(', ')} } from './lib/index';\nexport const used = [${names.join(', ')}];\n`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['rxjs', 'axios'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const [output] = Object.values(result.metafile.outputs);
  if (output === undefined) throw new Error('esbuild wrote no output');
  return Object.entries(output.inputs)
    .filter(([file, { bytesInOutput }]) => file.startsWith('lib/') && bytesInOutput > 0)
    .map(([file]) => file);
}

describe('what an app bundles', () => {
  it('bundles no axios-binding module with SessionStore and createFetch', async () => {
    const modules = await modulesIn(['SessionStore', 'createFetch']);
    expect(modules).toContain('lib/fetch/create-fetch.ts');
    expect(modules.filter((file) => file.startsWith('lib/axios/'))).toEqual([]);
  });

  it('bundles no fetch-binding module with SessionStore and bindAxios', async () => {
    const modules = await modulesIn(['SessionStore', 'bindAxios']);
    expect(modules).toContain('lib/axios/bind-axios.ts');
    expect(modules.filter((file) => file.startsWith('lib/fetch/'))).toEqual([]);
  });

  it('bundles neither binding with SessionStore alone', async () => {
    const modules = await modulesIn(['SessionStore']);
    expect(modules.filter((file) => /^lib\/(axios|fetch|request|persist)\//.test(file))).toEqual([]);
  });

  it('bundles no persistence module without persistSession, and no client binding with it', async () => {
    const bound = await modulesIn(['SessionStore', 'bindAxios', 'createFetch']);
    expect(bound.filter((file) => file.startsWith('lib/persist/'))).toEqual([]);
    const persisted = await modulesIn(['SessionStore', 'persistSession']);
    expect(persisted).toContain('lib/persist/persist-session.ts');
    expect(persisted.filter((file) => /^lib\/(axios|fetch)\//.test(file))).toEqual([]);
  });
});
