import {
  armor,
  dearmor,
  generatePartyKeys,
  isErrorCode,
  ManualClock,
  parseVendorPublicKeys,
  serializeVendorPublicKeys,
} from '@leasehold/protocol';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLicense } from '../../packages/central/src/admin/licenses.ts';
import { createServerId, showServerId } from '../../packages/central/src/admin/serverIds.ts';
import { buildCentralApp } from '../../packages/central/src/http/app.ts';
import {
  backends,
  openTestDatabase,
  type TestDatabase,
} from '../../packages/central/src/test-support/databases.ts';
import { fakeLocalServer } from '../../packages/central/src/test-support/localServers.ts';

/**
 * Hostile files (S5, S8; docs/security.md, Messages between the servers), the vendor's side of sync
 * via file: request files damaged at random — a character changed anywhere in the message, cut short,
 * lines dropped, swapped or repeated, parts reordered, junk or megabytes added — handed to the
 * central server's /v1/sync/file. Every one is refused with a catalogue code, and nothing changes: an
 * unbound id stays unbound, a bound id keeps its binding and its version. (The response side is
 * packages/server/src/sync/responseFile.fuzz.test.ts.)
 */
const SEED = Number(process.env.LEASEHOLD_FUZZ_SEED ?? 20_260_308);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('sync request files under random damage (fuzz, S8)', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  const clock = new ManualClock('2027-03-01T09:00:00Z');
  const ctx = () => ({ db: database.store.db, clock, actor: 'test' });
  const files: Record<'unbound' | 'bound', { id: string; file: string; message: string }> = {} as never;
  let tried = 0;

  const state = async () =>
    Promise.all(
      Object.values(files).map(async ({ id }) => {
        const shown = await showServerId(ctx(), id);
        return {
          binding: shown.binding,
          version: shown.lastAllocationVersion,
          rev: shown.allocationRevision,
        };
      }),
    );
  const post = (body: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/sync/file',
      headers: { 'content-type': 'text/plain' },
      payload: body,
    });

  beforeAll(async () => {
    database = await openTestDatabase(backends[0] as (typeof backends)[number]);
    const vendorKeys = await generatePartyKeys();
    const vendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendorKeys));
    app = buildCentralApp({ db: database.store.db, clock, vendorKeys, adminTokenSha256: 'x'.repeat(64) });
    await app.ready();
    for (const which of ['unbound', 'bound'] as const) {
      const { id } = await createServerId(ctx(), { customer: which });
      await addLicense(ctx(), id, { expiryDate: '2030-12-31', components: [{ name: 'Base', seats: 5 }] });
      const fake = await fakeLocalServer(id, { clock, vendor });
      if (which === 'bound') {
        const first = await post(armor('REQUEST', await fake.seal(), { 'License-Server-Id': id }));
        expect(first.statusCode, first.body).toBe(200);
      }
      // A fresh request, never sent: only a damaged copy of it reaches the central server.
      const message = await fake.seal();
      files[which] = { id, message, file: armor('REQUEST', message, { 'License-Server-Id': id }) };
    }
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await database?.destroy();
    console.info(`request file fuzz: ${tried} damaged files refused, seed ${SEED}`);
  });

  /** The file must be refused with a code and leave both ids as they were. */
  async function expectRefused(damaged: string, original: string) {
    // A change the reader ignores (white space, line breaks) leaves the same message: not damage.
    let same = false;
    try {
      same = dearmor(damaged, 'REQUEST').message === original;
    } catch {}
    if (same) return;
    const before = await state();
    const answer = await post(damaged);
    tried += 1;
    expect(answer.statusCode, `accepted: ${damaged.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
    expect(answer.statusCode).toBeLessThan(500);
    expect(isErrorCode(JSON.parse(answer.body).error?.code)).toBe(true);
    expect(await state()).toEqual(before);
  }

  const which = fc.constantFrom('unbound' as const, 'bound' as const);

  it('refuses a request file with any one character of its message changed', async () => {
    await fc.assert(
      fc.asyncProperty(which, fc.nat(), fc.integer({ min: 1, max: 63 }), async (w, at, shift) => {
        const { message, id } = files[w];
        const i = at % message.length;
        if (message[i] === '.') return;
        const changed = B64URL[(B64URL.indexOf(message[i] as string) + shift) % 64] as string;
        const damaged = message.slice(0, i) + changed + message.slice(i + 1);
        await expectRefused(armor('REQUEST', damaged, { 'License-Server-Id': id }), message);
      }),
      { seed: SEED, numRuns: 120 },
    );
  }, 120_000);

  it('refuses a request file cut short, with lines dropped, swapped or repeated, or parts reordered', async () => {
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
      fc.record({ kind: fc.constant('repeat' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('reorder' as const), at: fc.nat(), with: fc.nat() }),
      fc.record({ kind: fc.constant('junk' as const), at: fc.nat(), text: fc.string({ unit: 'binary' }) }),
      fc.record({ kind: fc.constant('huge' as const), size: fc.integer({ min: 1, max: 40 }) }),
    );
    await fc.assert(
      fc.asyncProperty(which, damage, async (w, d) => {
        const { file, message, id } = files[w];
        const lines = file.split('\n');
        const n = (k: number, of: number) => k % of;
        let damaged: string;
        if (d.kind === 'cut') damaged = file.slice(0, n(d.at, file.length));
        else if (d.kind === 'drop') damaged = lines.filter((_, i) => i !== n(d.at, lines.length)).join('\n');
        else if (d.kind === 'repeat') {
          const i = n(d.at, lines.length);
          damaged = [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)].join('\n');
        } else if (d.kind === 'swap') {
          const [i, j] = [n(d.at, lines.length), n(d.with, lines.length)];
          const copy = [...lines];
          [copy[i], copy[j]] = [copy[j] as string, copy[i] as string];
          damaged = copy.join('\n');
        } else if (d.kind === 'reorder') {
          const parts = message.split('.');
          const [i, j] = [n(d.at, parts.length), n(d.with, parts.length)];
          [parts[i], parts[j]] = [parts[j] as string, parts[i] as string];
          damaged = armor('REQUEST', parts.join('.'), { 'License-Server-Id': id });
        } else if (d.kind === 'junk') {
          const i = n(d.at, file.length);
          damaged = file.slice(0, i) + d.text + file.slice(i);
        } else damaged = armor('REQUEST', message + 'A'.repeat(d.size * 1024 * 1024), {});
        await expectRefused(damaged, message);
      }),
      { seed: SEED, numRuns: 120 },
    );
  }, 180_000);

  it('still answers the undamaged file, once (the control case)', async () => {
    const answer = await post(files.unbound.file);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(
      ((await showServerId(ctx(), files.unbound.id)).binding as { serverKeyId: string } | null)?.serverKeyId,
    ).toBeTruthy();
    const again = await post(files.unbound.file);
    expect(JSON.parse(again.body).error.code).toBe('REQUEST_REPLAYED');
  });
});
