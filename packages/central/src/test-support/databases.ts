import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseholdError } from '@leasehold/protocol';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type CentralStore, openCentralStore, type StorageConfig } from '../store/open.ts';
import { freshPgliteFolder } from './pgliteTemplate.ts';

/**
 * The two storage backends of the central server (C3), so that every suite runs against both:
 * PGlite in a fresh temporary folder (a copy of the run's empty cluster), and the machine's PostgreSQL with a fresh schema per suite.
 * PostgreSQL that cannot be reached fails every PostgreSQL test (none is skipped): CI must not pass
 * without them.
 */

export const POSTGRES_URL =
  process.env.LEASEHOLD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const START_HINT = 'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

export interface TestDatabase {
  kind: StorageConfig['kind'];
  /** Where the database lives: open more stores on it with `openCentralStore(storage)`. */
  storage: StorageConfig;
  /** The store opened (and migrated) for the suite. */
  store: CentralStore;
  /** Closes the store and removes the folder or drops the schema. */
  destroy(): Promise<void>;
}

export interface Backend {
  name: 'PGlite' | 'PostgreSQL';
  /** A fresh, empty location; nothing is opened yet. */
  create(): Promise<{ storage: StorageConfig; remove(): Promise<void>; schema?: string }>;
}

/** A URL on the test database whose search_path selects one schema (pg passes `options` to the server). */
export function urlWithSchema(schema: string, base = POSTGRES_URL): string {
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return `${base}${base.includes('?') ? '&' : '?'}options=${options}`;
}

/** Runs SQL on the test database outside any store (schema creation and removal, inspection). */
export async function withPostgres<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${POSTGRES_URL} is not reachable (${(error as Error).message}); ${START_HINT}`,
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const pglite: Backend = {
  name: 'PGlite',
  async create() {
    const folder = mkdtempSync(join(tmpdir(), 'leasehold-central-'));
    await freshPgliteFolder(join(folder, 'db'));
    return {
      storage: { kind: 'pglite', dataDir: join(folder, 'db') },
      remove: async () => rmSync(folder, { recursive: true, force: true }),
    };
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  async create() {
    const schema = `lh_${randomBytes(6).toString('hex')}`;
    await withPostgres((client) => client.query(`create schema ${schema}`));
    return {
      schema,
      storage: { kind: 'postgres', url: urlWithSchema(schema) },
      remove: async () => {
        await withPostgres((client) => client.query(`drop schema if exists ${schema} cascade`));
      },
    };
  },
};

/** Both backends, for `describe.each(backends)('… on $name', …)`. */
export const backends: readonly Backend[] = [pglite, postgres];
export const postgresOnly: readonly Backend[] = [postgres];

/** A fresh location on the backend with a store opened on it. */
export async function openTestDatabase(backend: Backend): Promise<TestDatabase> {
  const location = await backend.create();
  let store: CentralStore;
  try {
    store = await openCentralStore(location.storage);
  } catch (error) {
    await location.remove();
    throw error;
  }
  return {
    kind: location.storage.kind,
    storage: location.storage,
    store,
    async destroy() {
      try {
        await store.close();
      } finally {
        await location.remove();
      }
    },
  };
}

/**
 * Opens a resource before a suite's tests and closes it after them. When it cannot be opened (say,
 * PostgreSQL is down) every test of the suite fails with the reason: none is silently skipped.
 */
export function useSuiteResource<T>(open: () => Promise<T>, close: (resource: T) => Promise<void>): () => T {
  let resource: T | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      resource = await open();
    } catch (error) {
      failure = error;
    }
  });
  beforeEach(() => {
    if (failure !== undefined) throw failure;
  });
  afterAll(async () => {
    if (resource !== undefined) await close(resource);
  });
  return () => {
    if (resource === undefined) throw failure ?? new Error('the suite resource is not open yet');
    return resource;
  };
}

/**
 * A fresh database on the backend for the suite; `setup` runs once it is open (to build what the
 * tests share). Hooks the suite registers after this call run before the database is removed.
 */
export function useTestDatabase(
  backend: Backend,
  setup?: (database: TestDatabase) => Promise<void> | void,
): () => TestDatabase {
  return useSuiteResource(
    async () => {
      const database = await openTestDatabase(backend);
      try {
        await setup?.(database);
      } catch (error) {
        await database.destroy();
        throw error;
      }
      return database;
    },
    (database) => database.destroy(),
  );
}

/** The error code a promise rejects with, or 'ACCEPTED'; anything but a LeaseholdError is rethrown. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LeaseholdError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

/** The LeaseholdError a promise rejects with; fails the test when it resolves or throws anything else. */
export async function refusalOf(promise: Promise<unknown>): Promise<LeaseholdError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LeaseholdError) return error;
    throw error;
  }
  throw new Error('expected a refusal, but the operation succeeded');
}
