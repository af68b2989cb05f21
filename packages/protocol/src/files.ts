import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { LeaseholdError } from './errors.ts';
import { describeIssues } from './schemas.ts';

/**
 * Writes a file so that a crash leaves either the old or the new content, never a torn one.
 * Secrets pass mode 0o600: the mode is set on the temporary file before any byte is written.
 * (The one file helper shared by both servers; the protocol package otherwise does no I/O.)
 */
export function writeFileAtomic(path: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', mode);
  try {
    chmodSync(temporary, mode);
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

export function writeSecretFile(path: string, content: string): void {
  writeFileAtomic(path, content, 0o600);
}

/** Reads and validates a JSON settings file; every problem is reported at once (CONFIG_INVALID). */
export function readConfigFile<S extends z.ZodType>(
  path: string,
  schema: S,
  notInitialized: string,
): Readonly<z.infer<S>> {
  if (!existsSync(path)) throw new LeaseholdError('NOT_INITIALIZED', notInitialized);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new LeaseholdError('CONFIG_INVALID', `${path} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new LeaseholdError('CONFIG_INVALID', `${path}: ${describeIssues(parsed.error).join('; ')}`);
  return Object.freeze(parsed.data);
}
