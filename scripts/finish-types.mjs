// After tsup: name the CJS declarations index.d.cts (tsup writes index.d.ts: its declaration
// worker does not see outExtension), and write the ESM declarations as a thin layer over them.
//
// axios ships separate declarations for `import` and `require`, so what mentions axios types
// (`bindAxios`, `BindAxiosOptions`, the `declare module 'axios'` augmentation with `skipAuth`)
// must be declared again in index.d.mts, where `axios` resolves to its ESM declarations.
// Everything else (rxjs has one set of declarations) is re-exported from index.d.cts, so the
// package does not ship the same 20 kB of declarations twice.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
renameSync(new URL('index.d.ts', dist), new URL('index.d.cts', dist));
rmSync(new URL('index.d.mts', dist), { force: true });
const cts = readFileSync(new URL('index.d.cts', dist), 'utf8');

const fail = (why) => {
  throw new Error(`finish-types: ${why}; see scripts/finish-types.mjs`);
};
const exportLine = /^export \{ (.*) \};$/m.exec(cts) ?? fail('no export list in index.d.cts');
// The bindAxios part: from BindAxiosOptions' doc comment to the end of bindAxios' declaration.
const start = cts.lastIndexOf('/**', cts.indexOf('interface BindAxiosOptions {'));
// bindAxios has overloads: up to the last one.
const end = cts.indexOf('\n', cts.lastIndexOf('declare function bindAxios<'));
if (start < 0 || end < 0 || !cts.slice(start, end).includes("declare module 'axios' {")) {
  fail('bindAxios, BindAxiosOptions and the axios augmentation are not where expected');
}
const axiosImport = /^import \{ ([^}]*) \} from 'axios';$/m.exec(cts) ?? fail('no axios import');
const own = new Set(['bindAxios', 'type BindAxiosOptions']);
const rest = exportLine[1].split(', ').filter((name) => !own.has(name));

writeFileSync(
  new URL('index.d.mts', dist),
  [
    `import { ${axiosImport[1]} } from 'axios';`,
    `import { SessionStore } from './index.cjs';`,
    '',
    `export { ${rest.join(', ')} } from './index.cjs';`,
    '',
    cts.slice(start, end),
    '',
    'export { type BindAxiosOptions, bindAxios };',
    '',
  ].join('\n'),
);
