import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';
import { ESLint } from 'eslint';
import nxPlugin from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const root = join(__dirname, '..', '..', '..');
const boundaries = JSON.parse(readFileSync(join(root, 'tools/eslint/module-boundaries.json'), 'utf8')) as Record<string, unknown>;
delete boundaries['$comment'];

/** Lints a fixture's text as if it were a file at `asPath`, with the repository's boundary rules. */
async function lintFixture(fixture: string, asPath: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { '@nx': nxPlugin as unknown as ESLint.Plugin },
        rules: { '@nx/enforce-module-boundaries': ['error', boundaries] },
      },
    ],
  });
  const text = readFileSync(join(__dirname, 'fixtures', fixture), 'utf8');
  const [result] = await eslint.lintText(text, { filePath: join(root, asPath) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('module boundaries (tools/eslint/module-boundaries.json)', () => {
  beforeAll(async () => {
    // The rule reads Nx's project graph (tags and files): compute it as `nx lint` would.
    await createProjectGraphAsync({ exitOnError: false });
  });

  it('refuses apps/iam importing apps/kms', async () => {
    const messages = await lintFixture('iam-imports-kms.fixture.ts.txt', 'apps/iam/src/boundary-fixture.ts');
    expect(messages).toEqual([
      expect.stringMatching(/^@nx\/enforce-module-boundaries: Projects cannot be imported by a relative or absolute path/),
    ]);
  });

  it('refuses the KMS importing libs/crypto (only the HSM may)', async () => {
    const messages = await lintFixture('kms-imports-crypto.fixture.ts.txt', 'apps/kms/src/boundary-fixture.ts');
    expect(messages).toEqual([
      expect.stringMatching(/^@nx\/enforce-module-boundaries: A project tagged with "scope:kms" can only depend on libs tagged with "scope:kms", "scope:shared"/),
    ]);
  });

  it('lets the HSM import libs/crypto', async () => {
    expect(await lintFixture('kms-imports-crypto.fixture.ts.txt', 'apps/hsm/src/boundary-fixture.ts')).toEqual([]);
  });

  it('lets an app import a shared library', async () => {
    expect(await lintFixture('iam-imports-platform.fixture.ts.txt', 'apps/iam/src/boundary-fixture.ts')).toEqual([]);
  });

  describe('consumers (app-configuration, schematics, dbaas)', () => {
    const consumers = ['app-configuration', 'schematics', 'dbaas'];

    it.each(consumers)('%s may not import apps/kms, apps/hsm or libs/crypto', async (consumer) => {
      const asPath = `apps/${consumer}/src/boundary-fixture.ts`;
      const relativeImport = /^@nx\/enforce-module-boundaries: Projects cannot be imported by a relative or absolute path/;
      expect(await lintFixture('iam-imports-kms.fixture.ts.txt', asPath)).toEqual([expect.stringMatching(relativeImport)]);
      expect(await lintFixture('imports-hsm.fixture.ts.txt', asPath)).toEqual([expect.stringMatching(relativeImport)]);
      expect(await lintFixture('kms-imports-crypto.fixture.ts.txt', asPath)).toEqual([
        expect.stringMatching(/A project tagged with "scope:consumer" can only depend on libs tagged with "scope:consumer", "scope:shared"/),
      ]);
    });

    it.each(consumers)('%s may import libs/kms-client and the shared libs', async (consumer) => {
      const asPath = `apps/${consumer}/src/boundary-fixture.ts`;
      expect(await lintFixture('imports-kms-client.fixture.ts.txt', asPath)).toEqual([]);
      expect(await lintFixture('iam-imports-platform.fixture.ts.txt', asPath)).toEqual([]);
    });

    it('keeps libs/kms-client for consumers: the KMS itself and the HSM may not use it', async () => {
      for (const app of ['kms', 'hsm']) {
        expect(await lintFixture('imports-kms-client.fixture.ts.txt', `apps/${app}/src/boundary-fixture.ts`)).toEqual([
          expect.stringMatching(new RegExp(`A project tagged with "scope:${app}" can only depend on libs tagged with`)),
        ]);
      }
    });
  });
});
