// Jest transform for ESM-only packages (Angular ships only .mjs): esbuild turns them into
// CommonJS, which is what the specs run as (see jest.config.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest loads transformers as CommonJS
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: 'js',
      format: 'cjs',
      target: 'es2022',
      sourcemap: true,
      sourcefile: filename,
    });
    return { code, map };
  },
};
