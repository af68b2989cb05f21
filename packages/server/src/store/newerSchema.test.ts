import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LeaseholdError } from '@leasehold/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations } from './migrations.ts';
import { openServerDatabase } from './open.ts';

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('a local server database migrated by a newer program', () => {
  it('is refused with DATA_FROM_NEWER_VERSION before anything is written', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'leasehold-newer-')), 'server.db');
    openServerDatabase(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${migrations.length + 1}`);
    raw.close();
    const before = digest(path);

    let refusal: LeaseholdError | undefined;
    try {
      openServerDatabase(path).close();
    } catch (error) {
      refusal = error as LeaseholdError;
    }
    expect(refusal?.code).toBe('DATA_FROM_NEWER_VERSION');
    expect(refusal?.message).toContain(
      `schema version ${migrations.length + 1}; this program knows versions up to ${migrations.length}`,
    );
    expect(digest(path)).toBe(before);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});
