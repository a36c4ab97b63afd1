/** Unit and over-the-wire specs (node:http on 127.0.0.1). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  detectOpenHandles: false,
  testTimeout: 20000,
};
