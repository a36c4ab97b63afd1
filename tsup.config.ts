import { defineConfig } from 'tsup';

// lib/index.ts bundled twice, each build importing its own format of rxjs and axios (so an ESM
// app and rx-session share one copy of axios): dist/index.cjs for `require` and dist/index.mjs
// for `import`, each with its declarations. Explicit extensions because package.json has
// "type": "commonjs" (jest.config.js is CommonJS). tsup's declaration worker does not see
// outExtension, so scripts/finish-types.mjs renames the CJS declarations to index.d.cts.
export default defineConfig({
  entry: { index: 'lib/index.ts' },
  format: ['cjs', 'esm'],
  outExtension: ({ format }) => ({ js: format === 'cjs' ? '.cjs' : '.mjs' }),
  dts: true,
  tsconfig: 'tsconfig.build.json',
  target: 'es2022',
  platform: 'neutral',
  // rxjs and axios are peers: never bundled.
  external: ['rxjs', 'axios'],
  // Minified to keep the package small (the declarations keep the full TSDoc). No keepNames:
  // its `__name(fn, "…")` calls run at the top level, so bundlers must keep them and could no
  // longer drop unused exports (an app importing only `isSessionError` got all of rx-session,
  // axios and rxjs). SessionError sets its `name` itself.
  minify: true,
  sourcemap: false,
  splitting: false,
  clean: true,
});
