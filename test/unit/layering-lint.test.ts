import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';

/**
 * DESIGN.md's layering rules are enforced by lint; this proves each rule fires by linting
 * small offending sources as if they lived at the given paths.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIdsFor(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('layering lint rules', () => {
  it('forbids a store importing a service', async () => {
    expect(await ruleIdsFor('src/stores/sqlite/x.store.ts', "import { createAccountService } from '../../services/accounts.service.ts';\nexport const x = createAccountService;\n"))
      .toContain('import-x/no-restricted-paths');
  });

  it('forbids a service importing the oidc layer or a backend', async () => {
    expect(await ruleIdsFor('src/services/x.service.ts', "import { createProvider } from '../oidc/provider.ts';\nexport const x = createProvider;\n")).toContain('import-x/no-restricted-paths');
    expect(await ruleIdsFor('src/services/y.service.ts', "import { openSqlite } from '../stores/sqlite/database.ts';\nexport const y = openSqlite;\n")).toContain('import-x/no-restricted-paths');
  });

  it('forbids importing http/ from anywhere but app.ts', async () => {
    expect(await ruleIdsFor('src/oidc/x.ts', "import { healthRoutes } from '../http/routes/health.routes.ts';\nexport const x = healthRoutes;\n")).toContain('import-x/no-restricted-paths');
    expect(await ruleIdsFor('src/app.ts', "import { healthRoutes } from './http/routes/health.routes.ts';\nexport const x = healthRoutes;\n")).not.toContain('import-x/no-restricted-paths');
  });

  it('forbids importing oidc-provider at runtime outside src/oidc', async () => {
    expect(await ruleIdsFor('src/services/x.service.ts', "import { Provider } from 'oidc-provider';\nexport const x = Provider;\n")).toContain('no-restricted-imports');
    expect(await ruleIdsFor('src/services/y.service.ts', "import type { Provider } from 'oidc-provider';\nexport type Y = Provider;\n")).not.toContain('no-restricted-imports');
    expect(await ruleIdsFor('src/oidc/z.ts', "import { Provider } from 'oidc-provider';\nexport const z = Provider;\n")).not.toContain('no-restricted-imports');
  });

  it('forbids reading process.env outside config/load.ts, and console', async () => {
    expect(await ruleIdsFor('src/services/x.service.ts', 'export const port = process.env.PORT;\n')).toContain('no-restricted-properties');
    expect(await ruleIdsFor('src/config/load.ts', 'export const port = process.env.PORT;\n')).not.toContain('no-restricted-properties');
    expect(await ruleIdsFor('src/services/y.service.ts', "console.log('x');\n")).toContain('no-console');
  });

  it('forbids importing the composition root outside main.ts and cli/', async () => {
    expect(await ruleIdsFor('src/services/x.service.ts', "import { buildContainer } from '../container.ts';\nexport const x = buildContainer;\n")).toContain('no-restricted-syntax');
    expect(await ruleIdsFor('src/cli/x.ts', "import { buildContainer } from '../container.ts';\nexport const x = buildContainer;\n")).not.toContain('no-restricted-syntax');
  });
});
