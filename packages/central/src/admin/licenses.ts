import {
  componentNameSchema,
  domainSchema,
  LeaseholdError,
  type License,
  licenseNumberSchema,
  licenseSchema,
  newLicenseNumber,
} from '@leasehold/protocol';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit.ts';
import type { CentralDatabase } from '../store/schema.ts';
import type { AdminContext } from './context.ts';
import { parseInput } from './input.ts';
import { presentLicense } from './presenters.ts';

const componentSeats = z.strictObject({ name: componentNameSchema, seats: z.int().min(0).max(10_000_000) });

export const addLicenseInput = z.strictObject({
  number: licenseNumberSchema.optional(),
  name: z.string().min(1).max(200).optional(),
  startDate: z.iso.date().optional(),
  expiryDate: z.iso.date(),
  domain: domainSchema.optional(),
  maxCheckoutHours: z.int().min(0).max(8784).default(0),
  /** L3: false: a checkout runs to its end (its token verifies offline until then anyway). */
  earlyReturn: z.boolean().default(true),
  components: z.array(componentSeats).min(1),
});

/** A change: omitted fields stay; `null` removes name or domain; components merge by name, 0 seats removes one. */
export const changeLicenseInput = z.strictObject({
  name: z.string().min(1).max(200).nullable().optional(),
  startDate: z.iso.date().optional(),
  expiryDate: z.iso.date().optional(),
  domain: domainSchema.nullable().optional(),
  maxCheckoutHours: z.int().min(0).max(8784).optional(),
  earlyReturn: z.boolean().optional(),
  components: z.array(componentSeats).optional(),
});

function validLicense(candidate: unknown): License {
  const parsed = licenseSchema.safeParse(candidate);
  if (!parsed.success) return parseInput(licenseSchema, candidate);
  return parsed.data;
}

async function lockServerId(trx: Transaction<CentralDatabase>, id: string): Promise<void> {
  const row = await trx
    .selectFrom('license_server_ids')
    .select('id')
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new LeaseholdError('SERVER_ID_UNKNOWN', id);
}

async function bumpRevision(trx: Transaction<CentralDatabase>, id: string): Promise<void> {
  await trx
    .updateTable('license_server_ids')
    .set((eb) => ({ allocation_revision: eb('allocation_revision', '+', 1) }))
    .where('id', '=', id)
    .execute();
}

export async function addLicense(
  ctx: AdminContext,
  licenseServerId: string,
  input: unknown,
): Promise<License> {
  const parsed = parseInput(addLicenseInput, input);
  const now = ctx.clock.now();
  const license = validLicense({
    number: parsed.number ?? newLicenseNumber(),
    ...(parsed.name ? { name: parsed.name } : {}),
    startDate: parsed.startDate ?? now.toISOString().slice(0, 10),
    expiryDate: parsed.expiryDate,
    ...(parsed.domain ? { domain: parsed.domain } : {}),
    maxCheckoutHours: parsed.maxCheckoutHours,
    // Written only when off: allocations without the field read as before on every local server.
    ...(parsed.earlyReturn ? {} : { earlyReturn: false }),
    components: parsed.components.filter((c) => c.seats > 0),
  });
  await ctx.db.transaction().execute(async (trx) => {
    await lockServerId(trx, licenseServerId);
    // License numbers are unique across all ids. The unique index decides, so that two adds of one
    // number to two ids at once (their id locks do not exclude each other) end in LICENSE_EXISTS.
    const inserted = await trx
      .insertInto('licenses')
      .values({
        license_server_id: licenseServerId,
        number: license.number,
        document: JSON.stringify(license),
        updated_at: now,
      })
      .onConflict((oc) => oc.column('number').doNothing())
      .returning('number')
      .executeTakeFirst();
    if (!inserted) throw new LeaseholdError('LICENSE_EXISTS', license.number);
    await bumpRevision(trx, licenseServerId);
    await recordAudit(trx, {
      at: now,
      actor: ctx.actor,
      action: 'license.added',
      licenseServerId,
      details: { license },
    });
  });
  return license;
}

export async function changeLicense(
  ctx: AdminContext,
  licenseServerId: string,
  number: string,
  input: unknown,
): Promise<License> {
  const patch = parseInput(changeLicenseInput, input);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    await lockServerId(trx, licenseServerId);
    const row = await trx
      .selectFrom('licenses')
      .select('document')
      .where('license_server_id', '=', licenseServerId)
      .where('number', '=', number)
      .executeTakeFirst();
    if (!row) throw new LeaseholdError('LICENSE_NOT_FOUND', number);
    const before = presentLicense(row.document);
    const seats = new Map(before.components.map((c) => [c.name, c.seats]));
    for (const c of patch.components ?? []) seats.set(c.name, c.seats);
    const { name, domain, earlyReturn, ...rest } = { ...before, ...withoutUndefined(patch) };
    const after = validLicense({
      ...rest,
      ...(name ? { name } : {}),
      ...(domain ? { domain } : {}),
      ...(earlyReturn === false ? { earlyReturn: false } : {}),
      components: [...seats].filter(([, n]) => n > 0).map(([n, s]) => ({ name: n, seats: s })),
    });
    await trx
      .updateTable('licenses')
      .set({ document: JSON.stringify(after), updated_at: now })
      .where('license_server_id', '=', licenseServerId)
      .where('number', '=', number)
      .execute();
    await bumpRevision(trx, licenseServerId);
    await recordAudit(trx, {
      at: now,
      actor: ctx.actor,
      action: 'license.changed',
      licenseServerId,
      details: { before, after },
    });
    return after;
  });
}

export async function removeLicense(
  ctx: AdminContext,
  licenseServerId: string,
  number: string,
): Promise<{ removed: string }> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await lockServerId(trx, licenseServerId);
    const deleted = await trx
      .deleteFrom('licenses')
      .where('license_server_id', '=', licenseServerId)
      .where('number', '=', number)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw new LeaseholdError('LICENSE_NOT_FOUND', number);
    await bumpRevision(trx, licenseServerId);
    await recordAudit(trx, {
      at: now,
      actor: ctx.actor,
      action: 'license.removed',
      licenseServerId,
      details: { number },
    });
  });
  return { removed: number };
}

export async function listLicenses(ctx: AdminContext, licenseServerId: string): Promise<License[]> {
  const id = await ctx.db
    .selectFrom('license_server_ids')
    .select('id')
    .where('id', '=', licenseServerId)
    .executeTakeFirst();
  if (!id) throw new LeaseholdError('SERVER_ID_UNKNOWN', licenseServerId);
  const rows = await ctx.db
    .selectFrom('licenses')
    .select('document')
    .where('license_server_id', '=', licenseServerId)
    .orderBy('number')
    .execute();
  return rows.map((r) => presentLicense(r.document));
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
