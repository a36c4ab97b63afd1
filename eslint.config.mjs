// @ts-check
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // node_modules is ignored by default.
  { ignores: ['**/dist/', 'docs/', 'coverage/', '.scratch/', 'bench/.tmp/', '**/.angular/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // In place of verbatimModuleSyntax (which ts-jest's CommonJS emit cannot take): imports
      // used only as types say so, inline (`import { x, type Y }`), as the code already does.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Two options of the strict set relaxed to the code's idioms, not switched off:
      // `() => store.logout()` as a callback is clear, and so is a number in a message.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Passing on a failure we did not make (an adapter's, a caller's) as it is; every
      // rejection rx-session makes itself is an Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // Config files and scripts: plain Node JavaScript, outside the TypeScript project.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
