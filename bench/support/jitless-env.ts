/**
 * Imported first by the callgrind client. Under `node --jitless` there is no WebAssembly,
 * and Node's fetch (undici) compiles its HTTP parser to WebAssembly when first set up:
 * axios probes `fetch`, `Request`, `Response` and `FormData` when it loads, which
 * then crashes an HTTP client with "WebAssembly is not defined". The http adapter (what
 * axios uses in Node) does not need them, so the client hides them.
 *
 * The client imports `HIDDEN_GLOBALS` and checks it: a bare `import './jitless-env'` would
 * be dropped by esbuild, since package.json says `"sideEffects": false`.
 */
export const HIDDEN_GLOBALS = ['fetch', 'Request', 'Response', 'Headers', 'FormData'] as const;
for (const name of HIDDEN_GLOBALS) Reflect.deleteProperty(globalThis, name);
