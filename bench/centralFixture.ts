import type { Ed25519PublicJwk, X25519PublicJwk } from '@leasehold/protocol';
import { type Kysely, sql } from 'kysely';
import type { CentralDatabase } from '../packages/central/src/store/schema.ts';

/** What the central benchmarks need in the database, inserted with set-based SQL before serving. */
export interface CentralSetup {
  /** Unbound ids whose allocation holds `licenses` licenses: the round-trip benchmark binds and syncs them. */
  allocations: Array<{ id: string; licenses: number }>;
  /** `count` ids with one license each, the i-th bound to `keys[i % keys.length]`. */
  bulk?: { count: number; keys: BulkKey[] };
}

export interface BulkKey {
  kid: string;
  signing: Ed25519PublicJwk;
  encryption: X25519PublicJwk;
}

/** The i-th bulk id: digits only, which the Crockford id pattern accepts. */
export function bulkId(i: number): string {
  const s = String(i).padStart(12, '0');
  return `LS-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}`;
}

/** The same as bulkId, in SQL over the integer `i`. */
const BULK_ID_SQL = `'LS-' || substr(lpad(i::text, 12, '0'), 1, 4) || '-' || substr(lpad(i::text, 12, '0'), 5, 4) || '-' || substr(lpad(i::text, 12, '0'), 9, 4)`;

/** A license as the vendor CLI would store it: a name, three components, no domain. */
function licenseDocumentSql(numberSql: string, nameSql: string): string {
  return `jsonb_build_object('number', ${numberSql}, 'name', ${nameSql}, 'startDate', '2020-01-01',
    'expiryDate', '2099-12-31', 'maxCheckoutHours', 24, 'components',
    '[{"name":"Base","seats":25},{"name":"Render","seats":10},{"name":"Export","seats":5}]'::jsonb)`;
}

export async function setupCentral(db: Kysely<CentralDatabase>, setup: CentralSetup): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const [a, allocation] of setup.allocations.entries()) {
      await sql`insert into license_server_ids (id, customer, created_at) values (${allocation.id}, 'bench', now())`.execute(
        trx,
      );
      const number = `'RTA${String(a).padStart(2, '0')}-00000-00000-00000-00000-' || lpad(j::text, 7, '0')`;
      await sql
        .raw(
          `insert into licenses (license_server_id, number, document, updated_at)
           select '${allocation.id}', ${number}, ${licenseDocumentSql(number, `'Round trip ' || j`)}, now()
           from generate_series(1, ${Number(allocation.licenses)}) as j`,
        )
        .execute(trx);
    }
    const bulk = setup.bulk;
    if (!bulk || bulk.count === 0) return;
    await sql
      .raw(
        `insert into license_server_ids (id, customer, created_at)
         select ${BULK_ID_SQL}, 'bulk', now() from generate_series(0, ${Number(bulk.count) - 1}) as i`,
      )
      .execute(trx);
    const number = `'BULK0-00000-00000-00000-' || lpad((i / 10000000)::text, 5, '0') || '-' || lpad((i % 10000000)::text, 7, '0')`;
    await sql
      .raw(
        `insert into licenses (license_server_id, number, document, updated_at)
         select ${BULK_ID_SQL}, ${number}, ${licenseDocumentSql(number, `'Bulk ' || i`)}, now()
         from generate_series(0, ${Number(bulk.count) - 1}) as i`,
      )
      .execute(trx);
    await sql`create temporary table bench_keys (n integer primary key, kid text, signing jsonb, encryption jsonb) on commit drop`.execute(
      trx,
    );
    for (const [n, key] of bulk.keys.entries()) {
      await sql`insert into bench_keys values (${n}, ${key.kid}, ${JSON.stringify(key.signing)}::jsonb, ${JSON.stringify(key.encryption)}::jsonb)`.execute(
        trx,
      );
    }
    await sql
      .raw(
        `insert into bindings (license_server_id, signing_kid, signing_jwk, encryption_jwk, bound_at, last_sync_count)
         select ${BULK_ID_SQL}, k.kid, k.signing, k.encryption, now(), 0
         from generate_series(0, ${Number(bulk.count) - 1}) as i
         join bench_keys k on k.n = i % ${bulk.keys.length}`,
      )
      .execute(trx);
  });
  await sql`analyze`.execute(db);
}
