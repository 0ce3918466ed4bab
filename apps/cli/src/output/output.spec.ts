import { runCli } from '../program';
import { testContext } from '../testing/test-context';
import { printFields, printTable } from './output';

describe('output', () => {
  it('prints aligned columns under upper-case headers', () => {
    const ctx = testContext({});
    printTable(
      ctx,
      [
        { name: 'a', guid: '1' },
        { name: 'longer-name', guid: '22' },
      ],
      [
        { header: 'Name', value: (r) => r.name },
        { header: 'GUID', value: (r) => r.guid },
      ],
      'none',
    );
    expect(ctx.stdout).toEqual(['NAME          GUID', 'a             1', 'longer-name   22']);
  });

  it('prints the empty message when there are no rows, and skips empty fields', () => {
    const ctx = testContext({});
    printTable(ctx, [], [{ header: 'X', value: () => '' }], 'Nothing here.');
    printFields(ctx, [
      ['Name', 'kms-1'],
      ['Parameters', undefined],
      ['Resource group', 'Default'],
    ]);
    expect(ctx.stdout).toEqual(['Nothing here.', 'Name:             kms-1', 'Resource group:   Default']);
  });

  it('--output is global: accepted before or after the subcommand, and checked', async () => {
    const before = testContext({ KEYWARD_CONFIG_DIR: '/nonexistent/keyward-test' });
    expect(await runCli(['--output', 'json', 'iam', 'api-keys'], before)).toBe(3);
    const after = testContext({ KEYWARD_CONFIG_DIR: '/nonexistent/keyward-test' });
    expect(await runCli(['iam', 'api-keys', '--output', 'json'], after)).toBe(3);
    const bad = testContext({});
    expect(await runCli(['iam', 'api-keys', '--output', 'xml'], bad)).toBe(2);
    expect(bad.stderr.join('\n')).toContain('Allowed choices are table, json');
  });
});
