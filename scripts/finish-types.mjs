// After tsup: name the CJS declarations index.d.cts (tsup writes index.d.ts: its declaration
// worker does not see outExtension), and make sure both declaration files carry the
// `declare module 'axios'` augmentation (`skipAuth`, `GenericAbortSignal.reason`). axios
// ships separate declarations for `import` and `require`, so each of ours must augment its own.
import { readFileSync, renameSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
renameSync(new URL('index.d.ts', dist), new URL('index.d.cts', dist));

for (const file of ['index.d.cts', 'index.d.mts']) {
  if (!readFileSync(new URL(file, dist), 'utf8').includes("declare module 'axios' {")) {
    throw new Error(`finish-types: dist/${file} lacks the \`declare module 'axios'\` augmentation`);
  }
}
