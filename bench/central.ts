import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { StorageConfig } from '@leasehold/central';
import {
  generatePartyKeys,
  type PartyKeys,
  parseVendorPublicKeys,
  publicJwkOf,
  sealSyncRequest,
  serializePartyKeys,
  serializeVendorPublicKeys,
} from '@leasehold/protocol';
import type autocannon from 'autocannon';
import pg from 'pg';
import { type BulkKey, bulkId } from './centralFixture.ts';
import { startTarget } from './child.ts';
import { type LoadResult, load, log, type Mode, round, timed } from './common.ts';
import { measureCrypto, syncRequestFor } from './crypto.ts';
import { benchFolder } from './fixtures.ts';
import type { Results } from './results.ts';

const RATE_TARGET = 1000;
const CRYPTO_RATIO_TARGET = 3;
/** Server key pairs the bulk ids are bound to, in turn. */
const SERVER_KEYS = 8;
const CONNECTIONS = 32;
const POSTGRES_URL = process.env.LEASEHOLD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh PostgreSQL schema for one benchmark's central server, and how to drop it after. */
export async function postgresSchema(): Promise<{ storage: StorageConfig; drop: () => Promise<void> }> {
  const schema = `lh_bench_${randomBytes(4).toString('hex')}`;
  await onPostgres(`create schema ${schema}`);
  return {
    storage: { kind: 'postgres', url: urlWithSchema(schema) },
    drop: () => onPostgres(`drop schema if exists ${schema} cascade`),
  };
}

function urlWithSchema(schema: string): string {
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${options}`;
}

async function onPostgres(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Sealed requests, each for a random bulk id, signed with the key that id is bound to. */
async function sealRequests(
  count: number,
  ids: number,
  keys: PartyKeys[],
  vendor: PartyKeys,
): Promise<string[]> {
  const vendorPublic = await parseVendorPublicKeys(await serializeVendorPublicKeys(vendor));
  const sealed: string[] = [];
  for (let j = 0; j < count; j++) {
    const i = Math.floor(Math.random() * ids);
    const key = keys[i % keys.length] as PartyKeys;
    sealed.push(await sealSyncRequest(syncRequestFor(bulkId(i), key), key, vendorPublic));
  }
  return sealed;
}

function syncRequests(sealed: string[]): autocannon.Request[] {
  let next = 0;
  return [
    {
      method: 'POST',
      path: '/v1/sync',
      headers: { 'content-type': 'application/jose' },
      setupRequest: (request) => ({ ...request, body: sealed[next++ % sealed.length] }),
    },
  ];
}

/**
 * The central server's sync rate: the real app (own process) on PostgreSQL and on PGlite, holding
 * `mode.centralIds` bound ids with one license each, answering pre-sealed requests from many
 * connections. Each request is answered once (a second time it is a replay), so the runs are
 * counted in requests, not seconds. Compared with the bare crypto of one sync, in the same run.
 */
export async function measureCentral(mode: Mode, results: Results): Promise<void> {
  const vendor = await generatePartyKeys();
  const keys = await Promise.all(Array.from({ length: SERVER_KEYS }, () => generatePartyKeys()));
  const bulkKeys: BulkKey[] = keys.map((k) => ({
    kid: k.signing.kid,
    signing: publicJwkOf(k.signing.publicKey) as BulkKey['signing'],
    encryption: publicJwkOf(k.encryption.publicKey) as BulkKey['encryption'],
  }));
  const warmup = Math.max(50, Math.round(mode.centralSyncs / 10));
  log(`central: sealing ${mode.centralSyncs + warmup} requests`);
  const { value: sealed, ms: sealMs } = await timed(() =>
    sealRequests(mode.centralSyncs + warmup, mode.centralIds, keys, vendor),
  );
  const crypto = await measureCrypto(keys[0] as PartyKeys, vendor, 1, mode.cryptoCycles);
  results.add({
    section: 'Central',
    name: 'bare crypto of one sync, 1 license (sign, encrypt, decrypt, verify both ways)',
    value: round(crypto.totalMs, 3),
    unit: 'ms',
    note: `${Math.round(1000 / crypto.totalMs)} syncs/s on one core; central's half ${round(crypto.centralMs, 2)} ms`,
  });
  results.raw.central = { sealMs, crypto };

  const schema = `lh_bench_${randomBytes(4).toString('hex')}`;
  const backends: Array<{ name: string; storage: StorageConfig; cleanup?: () => Promise<void> }> = [
    {
      name: 'PostgreSQL',
      storage: { kind: 'postgres', url: urlWithSchema(schema) },
      cleanup: () => onPostgres(`drop schema if exists ${schema} cascade`),
    },
  ];
  if (mode.centralOnPglite)
    backends.push({
      name: 'PGlite',
      storage: { kind: 'pglite', dataDir: join(benchFolder('central-pglite'), 'db') },
    });
  for (const backend of backends) {
    if (backend.storage.kind === 'postgres') await onPostgres(`create schema ${schema}`);
    try {
      log(`central: ${backend.name}, ${mode.centralIds.toLocaleString('en-US')} ids`);
      const central = await startTarget(
        {
          kind: 'central',
          storage: backend.storage,
          vendorPrivateKeys: serializePartyKeys(vendor),
          setup: { allocations: [], bulk: { count: mode.centralIds, keys: bulkKeys } },
        },
        `central-${backend.name.toLowerCase()}`,
      );
      let r: LoadResult;
      try {
        await load({
          url: central.url,
          connections: CONNECTIONS,
          amount: warmup,
          requests: syncRequests(sealed.slice(0, warmup)),
        });
        log(`central: ${backend.name}, ${mode.centralSyncs} syncs from ${CONNECTIONS} connections`);
        r = await load({
          url: central.url,
          connections: CONNECTIONS,
          amount: mode.centralSyncs,
          requests: syncRequests(sealed.slice(warmup)),
        });
      } finally {
        await central.stop();
      }
      const perSyncMs = 1000 / r.rate;
      const ratio = perSyncMs / crypto.totalMs;
      results.add({
        section: 'Central',
        name: `syncs/s on ${backend.name}, ${mode.centralIds.toLocaleString('en-US')} ids, ${CONNECTIONS} connections`,
        value: r.rate,
        unit: 'syncs/s',
        baseline: { name: 'bare crypto', value: Math.round(1000 / crypto.totalMs), unit: 'syncs/s' },
        ratio,
        target:
          backend.storage.kind === 'postgres'
            ? `≥ ${RATE_TARGET.toLocaleString('en-US')}/s; ≤ ${CRYPTO_RATIO_TARGET}× crypto`
            : `≤ ${CRYPTO_RATIO_TARGET}× crypto`,
        met: ratio <= CRYPTO_RATIO_TARGET && (backend.storage.kind !== 'postgres' || r.rate >= RATE_TARGET),
        note: `ratio = time per sync / bare crypto; p50 ${r.p50} ms, p99 ${r.p99} ms; bulk insert ${round((central.ready.setupMs ?? 0) / 1000, 1)} s${r.non2xx ? `; ${r.non2xx} non-2xx` : ''}`,
      });
      (results.raw.central as Record<string, unknown>)[backend.name] = {
        ...r,
        setupMs: central.ready.setupMs,
      };
    } finally {
      await backend.cleanup?.();
    }
  }
}
