import { readFileSync } from 'node:fs';
import path from 'node:path';
import { transform } from 'esbuild';
import { ABLATIONS, ROOT } from '../../bench/support/build';

// `npm run bench -- --diagnose` rebuilds the bound client with one feature patched out of
// lib/ at a time. A patch whose text the code no longer has would fail that run after
// minutes of benchmarking: each is checked against today's lib/ here.
describe('the --diagnose ablations', () => {
  it.each(Object.entries(ABLATIONS))(
    "%s patches text that today's lib/ has, once, and leaves valid TypeScript",
    async (_name, patches) => {
      const files = new Map<string, string>();
      for (const { file, from, to } of patches) {
        const text = files.get(file) ?? readFileSync(path.join(ROOT, file), 'utf8');
        expect(text.split(from).length - 1).toBe(1);
        files.set(file, text.replace(from, to));
      }
      for (const [file, text] of files) {
        await expect(transform(text, { loader: 'ts', sourcefile: file })).resolves.toHaveProperty('code');
      }
    },
  );
});
