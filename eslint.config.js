// Lint enforces DESIGN.md's layering rules, so a violation fails `npm test`.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const layering = [
  // Imports flow http → oidc → services → stores/types.
  { target: './src/stores', from: ['./src/services', './src/oidc', './src/http', './src/app.ts', './src/container.ts'], message: 'stores must not depend on the layers above them' },
  { target: './src/services', from: ['./src/oidc', './src/http', './src/app.ts', './src/container.ts'], message: 'services must not depend on oidc/ or http/' },
  { target: './src/services', from: './src/stores/sqlite', message: 'services use store interfaces (stores/types.ts), not a backend' },
  { target: './src/oidc', from: ['./src/http', './src/app.ts', './src/container.ts', './src/stores/sqlite'], message: 'oidc/ must not depend on http/, the composition root or a backend' },
  { target: './src/http', from: ['./src/container.ts', './src/stores/sqlite'], message: 'http/ gets its dependencies injected' },
  // Only app.ts imports http/.
  {
    target: ['./src/oidc', './src/services', './src/stores', './src/lib', './src/errors', './src/config', './src/logger', './src/cli', './src/main.ts', './src/container.ts'],
    from: './src/http',
    message: 'only app.ts imports http/',
  },
  // Leaves.
  { target: ['./src/lib', './src/errors', './src/config', './src/logger'], from: ['./src/stores', './src/services', './src/oidc', './src/http', './src/container.ts', './src/app.ts'], message: 'lib/, errors/, config/ and logger/ are leaves' },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'coverage/', 'data/', 'test-artifacts/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  importX.flatConfigs.recommended,
  importX.flatConfigs.typescript,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      'no-console': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-default-export': 'off',
      'import-x/no-named-as-default-member': 'off',
      'import-x/no-named-as-default': 'off',
      // node:sqlite is newer than the resolver's list of built-in modules.
      'import-x/no-unresolved': ['error', { ignore: ['^node:'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layering }],
      // Only config/load.ts reads the environment (DESIGN.md, Layering rule 4).
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through config/load.ts' }],
      // Only src/oidc imports oidc-provider at runtime; others may import its types.
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'oidc-provider', message: 'only src/oidc imports oidc-provider at runtime', allowTypeImports: true },
          { name: 'mongoose', message: 'only src/stores/mongo imports mongoose' },
        ],
      }],
    },
  },
  { files: ['src/config/load.ts'], rules: { 'no-restricted-properties': 'off' } },
  {
    files: ['src/oidc/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'mongoose', message: 'only src/stores/mongo imports mongoose' }] }] },
  },
  {
    files: ['src/stores/mongo/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'oidc-provider', message: 'stores do not know oidc-provider', allowTypeImports: true }] }] },
  },
  {
    // Only main.ts, cli/, the CLI's operator context and test helpers import the composition root.
    files: ['src/**/*.ts'],
    ignores: ['src/main.ts', 'src/cli/**', 'src/app.ts', 'src/operator-context.ts'],
    rules: { 'no-restricted-syntax': ['error', { selector: "ImportDeclaration[source.value=/container\\.ts$/][importKind!='type']", message: 'only main.ts and cli/ import container.ts' }] },
  },
  {
    // The pages' progressive-enhancement scripts run in the browser.
    files: ['public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { window: 'readonly', document: 'readonly', navigator: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly', AbortController: 'readonly', PublicKeyCredential: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
