import type { AuditEntry } from '../api/types.ts';

export const AUDIT_COLUMNS = [
  'at',
  'action',
  'leaseId',
  'licenseNumber',
  'user',
  'computer',
  'code',
  'detail',
] as const;

/** One JSON document per line, as `leasehold server audit` prints. */
export function toJsonLines(entries: readonly AuditEntry[]): string {
  return entries.map((e) => `${JSON.stringify(e)}\n`).join('');
}

// A cell a spreadsheet would run as a formula (=, +, -, @) is prefixed with a quote (CSV injection).
function cell(value: string | undefined): string {
  if (value === undefined) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** RFC 4180 CSV with a header line and CRLF line ends. */
export function toCsv(entries: readonly AuditEntry[]): string {
  const lines = [AUDIT_COLUMNS.join(',')];
  for (const entry of entries) lines.push(AUDIT_COLUMNS.map((c) => cell(entry[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
