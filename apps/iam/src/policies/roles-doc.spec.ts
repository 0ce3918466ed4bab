import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLATFORM_ROLE_ACTIONS, SERVICE_ROLE_ACTIONS } from '@keyward/contracts';

/** docs/IAM.md lists the roles → actions table; this keeps it from drifting from the code. */
describe('docs/IAM.md roles and actions', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'IAM.md'), 'utf8');

  it('shows every role with exactly its actions', () => {
    const rows = [
      ...Object.entries(PLATFORM_ROLE_ACTIONS).map(([role, actions]) => ({ role, actions })),
      ...Object.values(SERVICE_ROLE_ACTIONS).flatMap((roles) => Object.entries(roles).map(([role, actions]) => ({ role, actions }))),
    ];
    for (const { role, actions } of rows) {
      expect(doc).toContain(`| ${role} | ${actions.map((a) => `\`${a}\``).join(', ')} |`);
    }
  });
});
