/**
 * The layers of lib/: the store and the shared request machinery (lib/internal/,
 * lib/request/) know no HTTP client, and each client binding (lib/axios/, lib/fetch/)
 * stands on them alone, never on the other binding. So an app that uses only
 * `createFetch` never needs axios, and one binding can change without touching the other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const LIB = resolve(__dirname, '../../lib');

/** Every .ts file under `dir`, recursively. */
function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

// Comments go first, so that an `@example` in TSDoc does not count as an import. A `//`
// comment is taken only at the start of a line or after whitespace, which leaves URLs
// ('https://…') in strings alone.
const BLOCK_COMMENT = /\/\*[\s\S]*?\*\//g;
const LINE_COMMENT = /(^|\s)\/\/.*$/gm;
// `import … from 'x'`, `import type … from 'x'`, `export … from 'x'`, `import 'x'`,
// `import('x')`, `require('x')`, `import x = require('x')`.
const SPECIFIERS = [
  /\b(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
  /\bimport\s*(['"])([^'"]+)\1/g,
  /\b(?:import|require)\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
];

/** The module specifiers a source text imports or re-exports, in any of the forms above. */
function importsOf(source: string): string[] {
  const code = source.replace(BLOCK_COMMENT, '').replace(LINE_COMMENT, '$1');
  return SPECIFIERS.flatMap((pattern) => [...code.matchAll(pattern)].map((m) => m[2] ?? ''));
}

/** Each file under lib/`dir` with what it imports: package names as written, relative ones as lib/ paths. */
function importsUnder(dir: string): { file: string; imports: string[] }[] {
  return sourcesUnder(join(LIB, dir)).map((path) => ({
    file: relative(LIB, path).split(sep).join('/'),
    imports: importsOf(readFileSync(path, 'utf8')).map((spec) =>
      spec.startsWith('.')
        ? relative(LIB, resolve(dirname(path), spec))
            .split(sep)
            .join('/')
        : spec,
    ),
  }));
}

const isAxios = (spec: string): boolean => spec === 'axios' || spec.startsWith('axios/');
const isUnder = (dir: string) => (spec: string) => spec === dir || spec.startsWith(`${dir}/`);

/** `file imports spec` for every import of files under `dir` that `banned` matches. */
function offending(dir: string, banned: (spec: string) => boolean): string[] {
  return importsUnder(dir).flatMap(({ file, imports }) => imports.filter(banned).map((spec) => `${file} imports ${spec}`));
}

describe('the layers of lib/', () => {
  it('finds every form of import in a source text, and none in comments or strings', () => {
    const source = [
      `import axios from 'axios';`,
      `import type { AxiosInstance } from "axios";`,
      `import {\n  AxiosHeaders,\n  type AxiosError,\n} from 'axios/unsafe/core/AxiosHeaders.js';`,
      `export { isAxiosError } from 'axios';`,
      `export * from './axios/bind-axios';`,
      `import 'axios';`,
      `const lazy = await import('axios');`,
      `const cjs = require('axios');`,
      `import legacy = require('axios');`,
      `/** @example\n * import axios from 'not-imported-block';\n */`,
      `// import x from 'not-imported-line';`,
      'const message = `import \\`SessionStore\\` and \\`bindAxios\\` from the same place`;',
      `const url = 'https://example.com/x'; // from 'not-imported-trailing'`,
    ].join('\n');
    expect(importsOf(source).sort()).toEqual(
      [
        'axios',
        'axios',
        'axios/unsafe/core/AxiosHeaders.js',
        'axios',
        './axios/bind-axios',
        'axios',
        'axios',
        'axios',
        'axios',
      ].sort(),
    );
  });

  it('reads the binding sources it checks: lib/fetch/ stands on lib/request/', () => {
    const fetchImports = importsUnder('fetch').flatMap((f) => f.imports);
    expect(fetchImports).toContain('request/protocol');
    const axiosImports = importsUnder('axios').flatMap((f) => f.imports);
    expect(axiosImports).toContain('axios');
  });

  it.each(['internal', 'request', 'fetch'])('no file under lib/%s/ imports axios', (dir) => {
    expect(sourcesUnder(join(LIB, dir)).length).toBeGreaterThan(0);
    expect(offending(dir, isAxios)).toEqual([]);
  });

  it('lib/axios/ does not import lib/fetch/', () => {
    expect(offending('axios', isUnder('fetch'))).toEqual([]);
  });

  it('lib/fetch/ does not import lib/axios/', () => {
    expect(offending('fetch', isUnder('axios'))).toEqual([]);
  });

  it.each(['internal', 'request'])('lib/%s/ imports neither client binding', (dir) => {
    expect(offending(dir, (spec) => isUnder('axios')(spec) || isUnder('fetch')(spec) || isUnder('angular')(spec))).toEqual([]);
  });

  it('only lib/angular/ imports Angular, and it stands on lib/request/ without axios or fetch', () => {
    const isAngular = (spec: string): boolean => spec.startsWith('@angular/');
    const others = ['internal', 'request', 'fetch', 'axios', 'persist', 'tabs'];
    expect(others.flatMap((dir) => offending(dir, isAngular))).toEqual([]);
    expect(importsUnder('angular').flatMap((f) => f.imports)).toEqual(
      expect.arrayContaining(['request/protocol', '@angular/core']),
    );
    expect(offending('angular', (spec) => isAxios(spec) || isUnder('axios')(spec) || isUnder('fetch')(spec))).toEqual([]);
  });
});
