// vitest globalSetup, once per run, before any worker starts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  makePgliteTemplate,
  PGLITE_TEMPLATE_VARIABLE,
} from '../../packages/central/src/test-support/pgliteTemplate.ts';
// @ts-expect-error: a plain JavaScript module without declarations
import { buildJavaScript } from '../../scripts/build.mjs';

// Each project (tier) inherits this setup: the first to run does the work for the whole run.
const DONE = 'LEASEHOLD_TEST_RUN_PREPARED';

export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env[DONE]) return undefined;
  process.env[DONE] = '1';
  const folder = mkdtempSync(join(tmpdir(), 'leasehold-run-'));
  // What tests spawn, or import from outside the workspace, is built JavaScript: build it from the
  // current sources. Meanwhile make the one empty PGlite cluster that fresh databases copy.
  const template = join(folder, 'pglite-template');
  await Promise.all([buildJavaScript(), makePgliteTemplate(template)]);
  // Workers start after this and inherit the environment.
  process.env[PGLITE_TEMPLATE_VARIABLE] = template;
  return () => rmSync(folder, { recursive: true, force: true });
}
