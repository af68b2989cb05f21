import { cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * A new PGlite database costs an initdb (4.5–7 s on this machine); a copy of an empty one costs
 * ~0.2 s. Test runs make one empty, unmigrated cluster (vitest's globalSetup names it in
 * LEASEHOLD_TEST_PGLITE_TEMPLATE) and copy it wherever a test needs a fresh database, so every
 * test still migrates and fills its own.
 */
export const PGLITE_TEMPLATE_VARIABLE = 'LEASEHOLD_TEST_PGLITE_TEMPLATE';

/** Makes an empty PGlite cluster in `dir` (which must not exist yet). */
export async function makePgliteTemplate(dir: string): Promise<void> {
  const lite = new PGlite(dir);
  await lite.waitReady;
  await lite.close();
}

let ownTemplate: Promise<string> | undefined;

/** The run's template, or (without globalSetup) one made once for this process. */
function template(): Promise<string> {
  const given = process.env[PGLITE_TEMPLATE_VARIABLE];
  if (given && existsSync(given)) return Promise.resolve(given);
  ownTemplate ??= (async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'leasehold-pglite-template-')), 'db');
    await makePgliteTemplate(dir);
    return dir;
  })();
  return ownTemplate;
}

/** Puts a fresh, empty PGlite database at `dir` (a folder that does not exist yet). */
export async function freshPgliteFolder(dir: string): Promise<void> {
  const source = await template();
  mkdirSync(join(dir, '..'), { recursive: true });
  cpSync(source, dir, { recursive: true });
}
