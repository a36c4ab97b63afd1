/** Unit and over-the-wire specs (node:http on 127.0.0.1). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  // The headless-Chromium specs run under jest.browser.config.js, after these.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/spec/browser/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
    // Angular ships ESM only: turned into CommonJS for the rx-session/angular specs.
    '^.+\\.m?js$': '<rootDir>/scripts/jest-esm.cjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!@angular/)'],
  moduleNameMapper: { '^rx-session$': '<rootDir>/lib/index.ts' },
  // Reports any handle (socket, timer) a spec leaves open; the lifecycle specs rely on it.
  detectOpenHandles: true,
  testTimeout: 20000,
};
