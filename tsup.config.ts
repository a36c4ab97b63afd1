import { defineConfig, type Options } from 'tsup';

// lib/index.ts bundled twice, each build importing its own format of rxjs and axios (so an ESM
// app and rx-session share one copy of axios): dist/index.cjs for `require` and dist/index.mjs
// for `import`, each with its declarations. Explicit extensions because package.json has
// "type": "commonjs" (jest.config.js is CommonJS). tsup's declaration worker does not see
// outExtension, so scripts/finish-types.mjs renames the CJS declarations to index.d.cts.
//
// rx-session/angular (lib/angular/index.ts) is ESM only, as Angular is. It is built with the
// ESM root entry, code shared in a chunk, so that both see the same stores (the link from a
// SessionStore to its internals is module state). Its declarations import the root's
// ('rx-session'), so that its SessionStore is the app's.
const common: Options = {
  outExtension: ({ format }) => ({ js: format === 'cjs' ? '.cjs' : '.mjs' }),
  tsconfig: 'tsconfig.build.json',
  target: 'es2022',
  platform: 'neutral',
  // rxjs, axios and Angular are peers: never bundled.
  external: ['rxjs', 'axios', /^@angular\//],
  // Minified to keep the package small (the declarations keep the full TSDoc). No keepNames:
  // its `__name(fn, "…")` calls run at the top level, so bundlers must keep them and could no
  // longer drop unused exports (an app importing only `isSessionError` got all of rx-session,
  // axios and rxjs). SessionError sets its `name` itself.
  minify: true,
  sourcemap: false,
  // `npm run build` empties dist/ first: the builds below run side by side.
  clean: false,
};

export default defineConfig([
  { ...common, entry: { index: 'lib/index.ts' }, format: ['cjs'], dts: true, splitting: false },
  { ...common, entry: { index: 'lib/index.ts', angular: 'lib/angular/index.ts' }, format: ['esm'], splitting: true },
  {
    ...common,
    entry: { angular: 'lib/angular/index.ts' },
    format: ['esm'],
    dts: { only: true },
    external: [...(common.external ?? []), 'rx-session'],
  },
]);
