import { LeaseholdError } from '@leasehold/protocol';
import { stderr, stdout } from './io.ts';

export interface OutputOptions {
  json?: boolean;
}

/** Prints a command's result: one JSON document with --json, else the human form. */
export function print(options: OutputOptions, value: unknown, human: () => string): void {
  stdout().write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** Prints a failure with its code; with --json also the error document on stdout. Returns the exit code. */
export function printError(error: unknown, json: boolean): number {
  const failure =
    error instanceof LeaseholdError
      ? error
      : new LeaseholdError('INTERNAL', error instanceof Error ? error.message : String(error));
  if (json) stdout().write(`${JSON.stringify({ error: failure.toJSON() }, null, 2)}\n`);
  stderr().write(`error ${failure.code}: ${failure.message}\n`);
  return 1;
}

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) =>
    columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}
