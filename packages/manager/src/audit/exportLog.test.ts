import { describe, expect, it } from 'vitest';
import { toCsv, toJsonLines } from './exportLog.ts';

const entries = [
  { at: '2027-03-01T09:00:00.000Z', action: 'lease.granted', leaseId: 'L1', user: 'ann', computer: 'ws-1' },
  { at: '2027-03-01T09:01:00.000Z', action: 'sync.auto', detail: 'automatic sync daily, "was" off' },
  { at: '2027-03-01T09:02:00.000Z', action: 'lease.denied', user: '=HYPERLINK("x")', code: 'NO_SEATS' },
];

describe('audit log export', () => {
  it('writes one JSON document per line, as `leasehold server audit` prints', () => {
    const text = toJsonLines(entries);
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(entries);
  });

  it('writes RFC 4180 CSV: header, quoted commas and quotes, CRLF lines', () => {
    const lines = toCsv(entries).split('\r\n');
    expect(lines[0]).toBe('at,action,leaseId,licenseNumber,user,computer,code,detail');
    expect(lines[1]).toBe('2027-03-01T09:00:00.000Z,lease.granted,L1,,ann,ws-1,,');
    expect(lines[2]).toBe('2027-03-01T09:01:00.000Z,sync.auto,,,,,,"automatic sync daily, ""was"" off"');
    expect(lines.at(-1)).toBe('');
  });

  it('defuses a cell a spreadsheet would run as a formula', () => {
    const line = toCsv(entries).split('\r\n')[3];
    expect(line).toContain(`"'=HYPERLINK(""x"")"`);
  });
});
