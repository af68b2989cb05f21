import { LeaseholdError } from './errors.ts';

/**
 * Sync files (S5): plain ASCII, safe to e-mail and paste. A sealed message between BEGIN/END lines,
 * wrapped at 64 columns, under a few informational headers. Headers are for people; the sealed
 * message alone decides what the file means.
 */
export type SyncFileKind = 'REQUEST' | 'RESPONSE';

const LINE = 64;

export function armor(kind: SyncFileKind, message: string, headers: Record<string, string>): string {
  const lines = [`-----BEGIN LEASEHOLD SYNC ${kind}-----`];
  for (const [name, value] of Object.entries(headers))
    lines.push(`${name}: ${value.replace(/[^\x20-\x7e]/g, '?')}`);
  lines.push('');
  for (let i = 0; i < message.length; i += LINE) lines.push(message.slice(i, i + LINE));
  lines.push(`-----END LEASEHOLD SYNC ${kind}-----`, '');
  return lines.join('\n');
}

export interface Dearmored {
  kind: SyncFileKind;
  headers: Record<string, string>;
  message: string;
}

/** Reads a sync file; anything that is not one whole sync file of the expected kind is FILE_CORRUPT. */
export function dearmor(text: string, expected: SyncFileKind): Dearmored {
  if (text.length > 40 * 1024 * 1024) throw new LeaseholdError('MESSAGE_TOO_LARGE');
  // Mail clients turn \n into \r\n and may indent quoted text; neither changes the message.
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const begin = lines.findIndex((l) => /^-----BEGIN LEASEHOLD SYNC (REQUEST|RESPONSE)-----$/.test(l));
  if (begin < 0) throw new LeaseholdError('FILE_CORRUPT', 'no BEGIN LEASEHOLD SYNC line');
  const kind = (/(REQUEST|RESPONSE)/.exec(lines[begin] as string)?.[1] ?? '') as SyncFileKind;
  if (kind !== expected) {
    throw new LeaseholdError(
      'MESSAGE_TYPE_UNEXPECTED',
      `this is a sync ${kind.toLowerCase()} file, a sync ${expected.toLowerCase()} file is needed`,
    );
  }
  const end = lines.indexOf(`-----END LEASEHOLD SYNC ${kind}-----`, begin + 1);
  if (end < 0) throw new LeaseholdError('FILE_CORRUPT', 'the END line is missing: the file is cut short');
  const headers: Record<string, string> = {};
  let i = begin + 1;
  for (; i < end && lines[i] !== ''; i++) {
    const match = /^([A-Za-z-]+):\s*(.*)$/.exec(lines[i] as string);
    if (!match) throw new LeaseholdError('FILE_CORRUPT', `unreadable header line ${i - begin}`);
    headers[match[1] as string] = match[2] as string;
  }
  const message = lines.slice(i + 1, end).join('');
  if (!/^[A-Za-z0-9_.-]+$/.test(message))
    throw new LeaseholdError('FILE_CORRUPT', 'the message holds characters a sync file never has');
  return { kind, headers, message };
}
