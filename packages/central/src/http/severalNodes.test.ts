import type { AddressInfo } from 'node:net';
import {
  generatePartyKeys,
  ManualClock,
  parseVendorPublicKeys,
  serializeVendorPublicKeys,
} from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerId } from '../admin/serverIds.ts';
import { migrations } from '../store/migrations.ts';
import { type CentralStore, openCentralStore } from '../store/open.ts';
import { postgresOnly, useSuiteResource } from '../test-support/databases.ts';
import { fakeLocalServer } from '../test-support/localServers.ts';
import { buildCentralApp } from './app.ts';

const ATTEMPTS = 50;

/**
 * C3: several central nodes serve one database. Two nodes, each with its own store (its own pool)
 * and its own HTTP listener, share one PostgreSQL schema, as two `central serve` processes would.
 */
describe.each(postgresOnly)('two central nodes on one $name schema', (backend) => {
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const location = useSuiteResource(
    () => backend.create(),
    (created) => created.remove(),
  );
  const nodes: Array<{ store: CentralStore; app: FastifyInstance; url: string }> = [];
  afterAll(async () => {
    for (const node of nodes) {
      await node.app.close();
      await node.store.close();
    }
  });

  it(`binds exactly one of ${ATTEMPTS} keys racing for one id through both nodes; the rest get SERVER_ID_IN_USE`, async () => {
    const vendorKeys = await generatePartyKeys();
    const vendor = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendorKeys));
    // Both nodes start together, as after a deploy: the migrations run once between them.
    const stores = await Promise.all([1, 2].map(() => openCentralStore(location().storage)));
    for (const store of stores) {
      const app = buildCentralApp({
        db: store.db,
        clock,
        vendorKeys,
        adminTokenSha256: '0'.repeat(64),
        syncRequestsPerMinutePerAddress: 600,
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      nodes.push({ store, app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` });
    }
    const [one, two] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const { id } = await createServerId({ db: one.store.db, clock, actor: 'test' }, {});

    const servers = await Promise.all(
      Array.from({ length: ATTEMPTS }, () => fakeLocalServer(id, { clock, vendor })),
    );
    const sealed = await Promise.all(servers.map((s) => s.seal()));
    const answers = await Promise.all(
      sealed.map(async (body, i) => {
        const node = i % 2 === 0 ? one : two;
        const res = await fetch(`${node.url}/v1/sync`, {
          method: 'POST',
          headers: { 'content-type': 'application/jose' },
          body,
        });
        if (res.ok) return { status: res.status, code: 'ACCEPTED' };
        return { status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code };
      }),
    );

    const accepted = answers.flatMap((a, i) => (a.code === 'ACCEPTED' ? [i] : []));
    expect(accepted).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409 && a.code === 'SERVER_ID_IN_USE')).toHaveLength(
      ATTEMPTS - 1,
    );
    const winner = servers[accepted[0] as number];

    // Read through the other node's store: the database, not a process, holds the outcome.
    const db = two.store.db;
    const binding = await db
      .selectFrom('bindings')
      .selectAll()
      .where('license_server_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(binding.signing_kid).toBe(winner?.keys.signing.kid);
    const log = await db.selectFrom('sync_log').selectAll().where('license_server_id', '=', id).execute();
    expect(log).toHaveLength(ATTEMPTS);
    expect(log.filter((l) => l.outcome === 'ok').map((l) => l.signing_kid)).toEqual([binding.signing_kid]);
    expect(new Set(log.map((l) => l.signing_kid)).size).toBe(ATTEMPTS);
    const bindingsCreated = await db
      .selectFrom('audit_log')
      .select('id')
      .where('license_server_id', '=', id)
      .where('action', '=', 'binding.created')
      .execute();
    expect(bindingsCreated).toHaveLength(1);
    const recorded = await sql<{ version: number }>`select version from schema_migrations`.execute(db);
    expect(recorded.rows.map((r) => r.version).sort()).toEqual(migrations.map((m) => m.version));
  });
});
