import { LICENSE_NUMBER_PATTERN, ManualClock } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { backends, codeOf, refusalOf, useTestDatabase } from '../test-support/databases.ts';
import type { AdminContext } from './context.ts';
import { addLicense, changeLicense, listLicenses, removeLicense } from './licenses.ts';
import { createServerId } from './serverIds.ts';

const NUMBER = (n: number) => `AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-${String(n).padStart(7, '0')}`;

const base = {
  startDate: '2026-01-01',
  expiryDate: '2026-12-31',
  maxCheckoutHours: 24,
  components: [
    { name: 'Base', seats: 10 },
    { name: 'Modeler', seats: 5 },
  ],
};

describe.each(backends)('licenses of a license server id on $name', (backend) => {
  let ctx: AdminContext;
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  let next = 0;

  useTestDatabase(backend, (database) => {
    ctx = { db: database.store.db, clock, actor: 'test-vendor' };
  });

  const newId = async () => (await createServerId(ctx, {})).id;
  const freshNumber = () => NUMBER(++next);
  const revisionOf = async (id: string) =>
    (
      await ctx.db
        .selectFrom('license_server_ids')
        .select('allocation_revision')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).allocation_revision;
  const licenseActions = async (id: string) =>
    (
      await ctx.db
        .selectFrom('audit_log')
        .select(['action', 'actor', 'details'])
        .where('license_server_id', '=', id)
        .where('action', 'like', 'license.%')
        .orderBy('id')
        .execute()
    ).map((r) => r.action);

  it('adds a license, lists it, bumps the allocation revision and records license.added', async () => {
    const id = await newId();
    const number = freshNumber();
    const added = await addLicense(ctx, id, { ...base, number, name: 'Engineering', domain: 'acme.example' });
    expect(added).toEqual({ ...base, number, name: 'Engineering', domain: 'acme.example' });
    expect(await listLicenses(ctx, id)).toEqual([added]);
    expect(await revisionOf(id)).toBe(1);
    const audit = await ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('license_server_id', '=', id)
      .where('action', '=', 'license.added')
      .executeTakeFirstOrThrow();
    expect(audit.actor).toBe('test-vendor');
    expect(audit.details).toEqual({ license: added });
  });

  it('generates a license number, starts the license today and forbids checkout unless told otherwise', async () => {
    const id = await newId();
    const added = await addLicense(ctx, id, {
      expiryDate: '2027-01-01',
      components: [{ name: 'Base', seats: 3 }],
    });
    expect(added.number).toMatch(LICENSE_NUMBER_PATTERN);
    expect(added).toMatchObject({ startDate: '2026-03-01', maxCheckoutHours: 0 });
    expect(added).not.toHaveProperty('domain');
    expect(added).not.toHaveProperty('name');
  });

  it('lists the licenses of an id in license number order and only those of that id', async () => {
    const id = await newId();
    const other = await newId();
    const [first, second, third] = [freshNumber(), freshNumber(), freshNumber()];
    await addLicense(ctx, id, { ...base, number: second });
    await addLicense(ctx, other, { ...base, number: third });
    await addLicense(ctx, id, { ...base, number: first });
    expect((await listLicenses(ctx, id)).map((l) => l.number)).toEqual([first, second]);
    expect(await revisionOf(id)).toBe(2);
    expect(await revisionOf(other)).toBe(1);
  });

  it('keeps early return on unless turned off, writing the field only when off (L3)', async () => {
    const id = await newId();
    const on = await addLicense(ctx, id, { ...base, number: freshNumber(), maxCheckoutHours: 24 });
    expect(on).not.toHaveProperty('earlyReturn');
    const off = await addLicense(ctx, id, {
      ...base,
      number: freshNumber(),
      maxCheckoutHours: 24,
      earlyReturn: false,
    });
    expect(off.earlyReturn).toBe(false);
    expect(await changeLicense(ctx, id, off.number, { earlyReturn: true })).not.toHaveProperty('earlyReturn');
    expect((await changeLicense(ctx, id, off.number, { earlyReturn: false })).earlyReturn).toBe(false);
    expect((await changeLicense(ctx, id, off.number, { expiryDate: '2031-01-01' })).earlyReturn).toBe(false);
    expect(await codeOf(changeLicense(ctx, id, off.number, { earlyReturn: 'no' }))).toBe('INVALID_INPUT');
  });

  it('refuses a license without a Base component with INVALID_INPUT and stores nothing', async () => {
    const id = await newId();
    const input = { ...base, number: freshNumber(), components: [{ name: 'Modeler', seats: 5 }] };
    const error = await refusalOf(addLicense(ctx, id, input));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('Base');
    // Base with 0 seats is no Base at all.
    const zeroBase = { ...base, number: freshNumber(), components: [{ name: 'Base', seats: 0 }] };
    expect(await codeOf(addLicense(ctx, id, zeroBase))).toBe('INVALID_INPUT');
    expect(await listLicenses(ctx, id)).toEqual([]);
    expect(await revisionOf(id)).toBe(0);
    expect(await licenseActions(id)).toEqual([]);
  });

  it('refuses a license whose expiry date is before its start date', async () => {
    const id = await newId();
    const input = { ...base, number: freshNumber(), startDate: '2026-06-01', expiryDate: '2026-05-31' };
    const error = await refusalOf(addLicense(ctx, id, input));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('expiryDate');
    expect(await listLicenses(ctx, id)).toEqual([]);
    expect(await revisionOf(id)).toBe(0);
  });

  it('refuses malformed license numbers, component names, seats and domains with INVALID_INPUT', async () => {
    const id = await newId();
    const bad = [
      { ...base, number: 'AAAAA-BBBBB' },
      { ...base, components: [{ name: '1Base', seats: 1 }] },
      { ...base, components: [{ name: 'Base', seats: -1 }] },
      { ...base, components: [{ name: 'Base', seats: 1.5 }] },
      { ...base, domain: ' acme.example' },
      { ...base, domain: 'acmé.example' },
      { ...base, expiryDate: '2026-02-30' },
      { ...base, colour: 'red' },
    ];
    for (const input of bad)
      expect(await codeOf(addLicense(ctx, id, input)), JSON.stringify(input)).toBe('INVALID_INPUT');
    expect(await listLicenses(ctx, id)).toEqual([]);
  });

  it('refuses a license number already used, on this id or another, with LICENSE_EXISTS', async () => {
    const id = await newId();
    const other = await newId();
    const number = freshNumber();
    await addLicense(ctx, id, { ...base, number });
    expect(await codeOf(addLicense(ctx, id, { ...base, number }))).toBe('LICENSE_EXISTS');
    expect(await codeOf(addLicense(ctx, other, { ...base, number }))).toBe('LICENSE_EXISTS');
    expect(await listLicenses(ctx, other)).toEqual([]);
    expect(await revisionOf(id)).toBe(1);
    expect(await revisionOf(other)).toBe(0);
  });

  it('answers LICENSE_EXISTS, not an internal error, when one number is added to two ids at once', async () => {
    // Repeated: the two transactions interleave differently each round.
    for (let round = 0; round < 10; round++) {
      const [a, b] = [await newId(), await newId()];
      const number = freshNumber();
      const codes = await Promise.all([a, b].map((id) => codeOf(addLicense(ctx, id, { ...base, number }))));
      expect(codes.sort(), `round ${round}`).toEqual(['ACCEPTED', 'LICENSE_EXISTS']);
      const holders = await ctx.db
        .selectFrom('licenses')
        .select('license_server_id')
        .where('number', '=', number)
        .execute();
      expect(holders).toHaveLength(1);
    }
  });

  it('refuses licenses for an id it does not know with SERVER_ID_UNKNOWN', async () => {
    const unknown = 'LS-ZZZZ-ZZZZ-ZZZZ';
    expect(await codeOf(addLicense(ctx, unknown, { ...base, number: freshNumber() }))).toBe(
      'SERVER_ID_UNKNOWN',
    );
    expect(await codeOf(listLicenses(ctx, unknown))).toBe('SERVER_ID_UNKNOWN');
    expect(await codeOf(changeLicense(ctx, unknown, NUMBER(1), { maxCheckoutHours: 1 }))).toBe(
      'SERVER_ID_UNKNOWN',
    );
    expect(await codeOf(removeLicense(ctx, unknown, NUMBER(1)))).toBe('SERVER_ID_UNKNOWN');
  });

  it('merges a change into the license: components by name, other fields kept unless given', async () => {
    const id = await newId();
    const number = freshNumber();
    await addLicense(ctx, id, { ...base, number, name: 'Engineering', domain: 'acme.example' });
    const changed = await changeLicense(ctx, id, number, {
      expiryDate: '2027-06-30',
      components: [
        { name: 'Base', seats: 20 },
        { name: 'Renderer', seats: 2 },
      ],
    });
    expect(changed).toEqual({
      ...base,
      number,
      name: 'Engineering',
      domain: 'acme.example',
      expiryDate: '2027-06-30',
      components: [
        { name: 'Base', seats: 20 },
        { name: 'Modeler', seats: 5 },
        { name: 'Renderer', seats: 2 },
      ],
    });
    expect(await listLicenses(ctx, id)).toEqual([changed]);
    expect(await revisionOf(id)).toBe(2);
    expect(await licenseActions(id)).toEqual(['license.added', 'license.changed']);
  });

  it('removes a component given 0 seats, and the domain or name given null', async () => {
    const id = await newId();
    const number = freshNumber();
    await addLicense(ctx, id, { ...base, number, name: 'Engineering', domain: 'acme.example' });
    const changed = await changeLicense(ctx, id, number, {
      components: [{ name: 'Modeler', seats: 0 }],
      domain: null,
      name: null,
    });
    expect(changed).toEqual({ ...base, number, components: [{ name: 'Base', seats: 10 }] });
    expect((await listLicenses(ctx, id))[0]).toEqual(changed);
    expect((await listLicenses(ctx, id))[0]).not.toHaveProperty('domain');
  });

  it('records the license before and after a change in the audit log', async () => {
    const id = await newId();
    const number = freshNumber();
    const before = await addLicense(ctx, id, { ...base, number });
    const after = await changeLicense(ctx, id, number, { maxCheckoutHours: 0 });
    const row = await ctx.db
      .selectFrom('audit_log')
      .select('details')
      .where('license_server_id', '=', id)
      .where('action', '=', 'license.changed')
      .executeTakeFirstOrThrow();
    expect(row.details).toEqual({ before, after });
  });

  it('refuses a change that would break the license and changes nothing', async () => {
    const id = await newId();
    const number = freshNumber();
    const original = await addLicense(ctx, id, { ...base, number, domain: 'acme.example' });
    const refusals = [
      { components: [{ name: 'Base', seats: 0 }] },
      { expiryDate: '2025-12-31' },
      { startDate: '2027-01-01' },
      { domain: ' spaced ' },
      { number: freshNumber() },
      { maxCheckoutHours: -1 },
    ];
    for (const patch of refusals) {
      expect(await codeOf(changeLicense(ctx, id, number, patch)), JSON.stringify(patch)).toBe(
        'INVALID_INPUT',
      );
    }
    expect(await listLicenses(ctx, id)).toEqual([original]);
    expect(await revisionOf(id)).toBe(1);
    expect(await licenseActions(id)).toEqual(['license.added']);
  });

  it('refuses to change or remove a license number the id does not hold with LICENSE_NOT_FOUND', async () => {
    const id = await newId();
    const other = await newId();
    const number = freshNumber();
    const original = await addLicense(ctx, other, { ...base, number });
    expect(await codeOf(changeLicense(ctx, id, number, { maxCheckoutHours: 1 }))).toBe('LICENSE_NOT_FOUND');
    expect(await codeOf(removeLicense(ctx, id, number))).toBe('LICENSE_NOT_FOUND');
    expect(await codeOf(changeLicense(ctx, id, freshNumber(), { maxCheckoutHours: 1 }))).toBe(
      'LICENSE_NOT_FOUND',
    );
    expect(await listLicenses(ctx, other)).toEqual([original]);
    expect(await revisionOf(id)).toBe(0);
    expect(await revisionOf(other)).toBe(1);
  });

  it('removes a license, bumps the revision, records license.removed and then no longer finds it', async () => {
    const id = await newId();
    const [kept, removed] = [freshNumber(), freshNumber()];
    await addLicense(ctx, id, { ...base, number: kept });
    await addLicense(ctx, id, { ...base, number: removed });
    expect(await removeLicense(ctx, id, removed)).toEqual({ removed });
    expect((await listLicenses(ctx, id)).map((l) => l.number)).toEqual([kept]);
    expect(await revisionOf(id)).toBe(3);
    expect(await licenseActions(id)).toEqual(['license.added', 'license.added', 'license.removed']);
    expect(await codeOf(removeLicense(ctx, id, removed))).toBe('LICENSE_NOT_FOUND');
    expect(await revisionOf(id)).toBe(3);
  });

  it('lets a removed license number be added again', async () => {
    const id = await newId();
    const number = freshNumber();
    await addLicense(ctx, id, { ...base, number });
    await removeLicense(ctx, id, number);
    expect(await codeOf(addLicense(ctx, id, { ...base, number }))).toBe('ACCEPTED');
  });
});
