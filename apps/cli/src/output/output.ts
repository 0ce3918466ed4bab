import type { Command } from 'commander';
import type { CliContext } from '../cli-context';

export const OUTPUT_FORMATS = ['table', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The `--output` chosen for this invocation (a global option: before or after the subcommand). */
export function outputFormat(command: Command): OutputFormat {
  const value = (command.optsWithGlobals() as { output?: string }).output;
  return value === 'json' ? 'json' : 'table';
}

export function printJson(context: CliContext, value: unknown): void {
  context.out(JSON.stringify(value, null, 2));
}

export interface Column<T> {
  header: string;
  value(row: T): string;
}

/** Rows in aligned columns under upper-case headers, or `empty` when there are none. */
export function printTable<T>(context: CliContext, rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
  if (rows.length === 0) {
    context.out(empty);
    return;
  }
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => (line[i] ?? '').length)));
  const render = (line: readonly string[]) => line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('   ').trimEnd();
  context.out(render(columns.map((column) => column.header.toUpperCase())));
  for (const line of cells) context.out(render(line));
}

/** One resource as `Label:   value` lines. */
export function printFields(context: CliContext, fields: readonly (readonly [string, string | undefined])[]): void {
  const shown = fields.filter((field): field is readonly [string, string] => field[1] !== undefined && field[1] !== '');
  const width = Math.max(...shown.map(([label]) => label.length)) + 1;
  for (const [label, value] of shown) context.out(`${`${label}:`.padEnd(width)}   ${value}`);
}

/** Prints `value` as JSON or through `table`, as the user chose. */
export function present(context: CliContext, command: Command, value: unknown, table: () => void): void {
  if (outputFormat(command) === 'json') printJson(context, value);
  else table();
}
