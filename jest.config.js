// Jest runs the TypeScript sources as ESM through ts-jest (type-checking is `npm run typecheck`).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: { isolatedModules: true, allowImportingTsExtensions: true, noEmit: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2024' }, diagnostics: false }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.cjs'],
  testTimeout: 30_000,
  maxWorkers: 2,
};
