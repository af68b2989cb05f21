import { randomBytes } from 'node:crypto';
import pg from 'pg';

const BASE_URL = process.env.LEASEHOLD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const START_HINT = 'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

/**
 * A fresh schema in the machine's PostgreSQL and a URL whose search_path selects it. Fails, never
 * skips, when PostgreSQL cannot be reached: CI must not pass without the PostgreSQL tests.
 */
export async function freshSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `lh_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${BASE_URL} is not reachable (${(error as Error).message}); ${START_HINT}`,
    );
  }
  await client.query(`create schema ${schema}`);
  await client.end();
  const url = `${BASE_URL}${BASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    async drop() {
      const admin = new pg.Client({ connectionString: BASE_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    },
  };
}
