import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createProgram } from './program';
import { testContext } from './testing/test-context';

/** Every command a user can run, as its words after `keyward` (groups are not commands). */
function leafCommands(command: Command, path: string[] = []): string[][] {
  if (command.commands.length === 0) return [path];
  return command.commands.flatMap((sub) => leafCommands(sub, [...path, sub.name()]));
}

describe('docs/CLI.md', () => {
  const docs = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'CLI.md'), 'utf8');
  const program = createProgram(testContext({}), () => undefined);

  it.each(leafCommands(program).map((path) => [path.join(' '), path]))('documents `keyward %s`', (_name, path) => {
    const forms = [`\`keyward ${path.join(' ')}`, `\`${path.join(' ')}`, `\`${path.slice(1).join(' ')}`];
    expect(forms.some((form) => docs.includes(form))).toBe(true);
  });
});
