import { DAY_MS, HOUR_MS, type License, SYNC_WINDOW_MS } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { syncState } from '../sync/state.ts';
import { type MessageFacts, statusMessages } from './messages.ts';

const lastSync = new Date('2027-03-01T09:00:00Z');
/** An hour before `days` whole days are left of the signed sync window. */
const withDaysRemaining = (days: number) => new Date(lastSync.getTime() + (366 - days) * DAY_MS - HOUR_MS);
const window = { lastSyncAt: lastSync, notAfter: new Date(lastSync.getTime() + SYNC_WINDOW_MS) };

function license(overrides: Partial<License> = {}): License {
  return {
    number: 'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001',
    startDate: '2026-01-01',
    expiryDate: '2030-12-31',
    maxCheckoutHours: 0,
    components: [{ name: 'Base', seats: 10 }],
    ...overrides,
  };
}

function facts(now: Date, overrides: Partial<MessageFacts> = {}): MessageFacts {
  return {
    now,
    sync: syncState(window, now),
    clock: { state: 'ok', highWater: now.toISOString() },
    licenses: [license()],
    autoSync: { mode: 'off', lastRunAt: null, lastOutcome: null, consecutiveFailures: 0, retryAt: null },
    ...overrides,
  };
}

const codes = (f: MessageFacts) => statusMessages(f).map((m) => m.code);

describe('statusMessages: days remaining until the required sync (S11)', () => {
  it('says nothing with more than 30 days left', () => {
    expect(statusMessages(facts(lastSync))).toEqual([]);
    expect(statusMessages(facts(withDaysRemaining(31)))).toEqual([]);
  });

  it.each([
    [30, 'SYNC_DUE_30_DAYS'],
    [29, 'SYNC_DUE_30_DAYS'],
    [8, 'SYNC_DUE_30_DAYS'],
    [7, 'SYNC_DUE_7_DAYS'],
    [2, 'SYNC_DUE_7_DAYS'],
    [1, 'SYNC_DUE_1_DAY'],
    [0, 'SYNC_DUE_1_DAY'],
  ])('warns with %i day(s) left: %s', (days, code) => {
    const f = facts(withDaysRemaining(days));
    expect(f.sync.daysRemaining).toBe(days);
    expect(statusMessages(f)).toEqual([{ level: 'warning', code, text: expect.any(String) }]);
  });

  it('names the days left, the moment licenses stop and the fix', () => {
    const [message] = statusMessages(facts(withDaysRemaining(7)));
    expect(message?.text).toContain('7 days remain until the required sync');
    expect(message?.text).toContain('2028-03-01T09:00:00.000Z');
    expect(message?.text).toContain('leasehold server sync');
    expect(statusMessages(facts(withDaysRemaining(1)))[0]?.text).toContain('1 day remain');
    expect(statusMessages(facts(withDaysRemaining(0)))[0]?.text).toContain('Today is the last day');
  });

  it('suggests automatic sync only while it is off', () => {
    const now = withDaysRemaining(20);
    expect(statusMessages(facts(now))[0]?.text).toContain('sync auto daily');
    const on = { mode: 'weekly', lastRunAt: null, lastOutcome: null, consecutiveFailures: 0, retryAt: null };
    expect(statusMessages(facts(now, { autoSync: on }))[0]?.text).not.toContain('sync auto');
  });

  it('is an error once the server is not synchronized', () => {
    const expired = statusMessages(facts(new Date(lastSync.getTime() + 367 * DAY_MS)));
    expect(expired).toEqual([{ level: 'error', code: 'NOT_SYNCHRONIZED', text: expect.any(String) }]);
    expect(expired[0]?.text).toContain('more than 366 days old');
  });

  it('is an error on a server that never synchronized, with no license messages to add', () => {
    const never = statusMessages(facts(lastSync, { sync: syncState(undefined, lastSync), licenses: [] }));
    expect(never).toEqual([{ level: 'error', code: 'NOT_SYNCHRONIZED', text: expect.any(String) }]);
    expect(never[0]?.text).toContain('never synchronized');
  });
});

describe('statusMessages: licenses expiring within 30 days (S11)', () => {
  const now = new Date('2027-06-01T23:30:00Z');
  const expiring = (expiryDate: string) =>
    statusMessages(facts(now, { licenses: [license({ expiryDate })] }));

  it('says nothing of a license expiring in 31 days', () => {
    expect(expiring('2027-07-02')).toEqual([]);
  });

  it('warns of a license expiring in exactly 30 days, naming its number and date', () => {
    expect(expiring('2027-07-01')).toEqual([
      {
        level: 'warning',
        code: 'LICENSE_EXPIRING',
        text: expect.stringContaining(
          'AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-0000001 expires on 2027-07-01 (in 30 days)',
        ),
      },
    ]);
  });

  it('warns tomorrow and on the last day', () => {
    expect(expiring('2027-06-02')[0]?.text).toContain('(tomorrow)');
    expect(expiring('2027-06-01')[0]?.text).toContain('(today: its last day)');
  });

  it('counts UTC calendar days, as the lease engine does, whatever the hour', () => {
    const early = statusMessages(
      facts(new Date('2027-06-01T00:00:00Z'), { licenses: [license({ expiryDate: '2027-07-01' })] }),
    );
    expect(early[0]?.text).toContain('in 30 days');
  });

  it('warns of a license that has expired', () => {
    expect(expiring('2027-05-31')).toEqual([
      { level: 'warning', code: 'LICENSE_EXPIRED', text: expect.stringContaining('expired on 2027-05-31') },
    ]);
  });

  it('names the license by its display name too, one message per license, soonest first', () => {
    const messages = statusMessages(
      facts(now, {
        licenses: [
          license({
            number: 'BBBBB-BBBBB-BBBBB-BBBBB-BBBBB-0000002',
            expiryDate: '2027-06-20',
            name: 'Render',
          }),
          license({ expiryDate: '2030-01-01' }),
          license({ number: 'CCCCC-CCCCC-CCCCC-CCCCC-CCCCC-0000003', expiryDate: '2027-06-10' }),
        ],
      }),
    );
    expect(messages.map((m) => /license (\S+)/.exec(m.text)?.[1])).toEqual([
      'CCCCC-CCCCC-CCCCC-CCCCC-CCCCC-0000003',
      'BBBBB-BBBBB-BBBBB-BBBBB-BBBBB-0000002',
    ]);
    expect(messages[1]?.text).toContain('(Render)');
  });

  it('tells, as information, of a license that has not started yet', () => {
    expect(statusMessages(facts(now, { licenses: [license({ startDate: '2027-09-01' })] }))).toEqual([
      { level: 'info', code: 'LICENSE_NOT_STARTED', text: expect.stringContaining('starts on 2027-09-01') },
    ]);
  });
});

describe('statusMessages: automatic sync and the clock', () => {
  const failed = {
    mode: 'weekly',
    lastRunAt: '2027-03-08T09:00:00.000Z',
    lastOutcome: 'PORTS_BLOCKED',
    consecutiveFailures: 2,
    retryAt: '2027-03-08T09:10:00.000Z',
  };

  it('warns that the last automatic sync failed, with its code and the retry', () => {
    const messages = statusMessages(facts(lastSync, { autoSync: failed }));
    expect(messages).toEqual([{ level: 'warning', code: 'AUTO_SYNC_FAILED', text: expect.any(String) }]);
    expect(messages[0]?.text).toContain('failed with PORTS_BLOCKED (2 failures in a row)');
    expect(messages[0]?.text).toContain('retried at 2027-03-08T09:10:00.000Z');
  });

  it('says nothing of an automatic sync failure once a sync succeeded since, or once it is off', () => {
    expect(codes(facts(lastSync, { autoSync: { ...failed, consecutiveFailures: 0 } }))).toEqual([]);
    expect(codes(facts(lastSync, { autoSync: { ...failed, mode: 'off' } }))).toEqual([]);
  });

  it('is an error when the clock was rolled back', () => {
    const messages = statusMessages(
      facts(lastSync, { clock: { state: 'rollback', highWater: '2027-03-05T00:00:00.000Z' } }),
    );
    expect(messages).toEqual([{ level: 'error', code: 'CLOCK_ROLLBACK', text: expect.any(String) }]);
    expect(messages[0]?.text).toContain('2027-03-05T00:00:00.000Z');
  });

  it('puts errors first, then warnings, then information', () => {
    const now = withDaysRemaining(5);
    expect(
      codes(
        facts(now, {
          clock: { state: 'rollback', highWater: now.toISOString() },
          autoSync: failed,
          licenses: [license({ startDate: '2028-06-01' }), license({ expiryDate: '2028-02-28' })],
        }),
      ),
    ).toEqual([
      'CLOCK_ROLLBACK',
      'SYNC_DUE_7_DAYS',
      'AUTO_SYNC_FAILED',
      'LICENSE_EXPIRING',
      'LICENSE_NOT_STARTED',
    ]);
  });
});

describe('SERVER_STATE_ROLLBACK (S3, S11)', () => {
  it('warns for 30 days after the central server saw the sync count go backwards, then stops', () => {
    const flagged = '2027-03-02T10:00:00.000Z';
    const at = (days: number) => new Date(Date.parse(flagged) + days * DAY_MS);
    expect(codes(facts(at(0), { stateRollbackAt: flagged }))).toContain('SERVER_STATE_ROLLBACK');
    expect(codes(facts(at(30), { stateRollbackAt: flagged }))).toContain('SERVER_STATE_ROLLBACK');
    expect(codes(facts(at(31), { stateRollbackAt: flagged }))).not.toContain('SERVER_STATE_ROLLBACK');
    expect(codes(facts(at(0), { stateRollbackAt: null }))).not.toContain('SERVER_STATE_ROLLBACK');
  });
});
