import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LeaseholdError } from '@leasehold/protocol';
import { InvalidArgumentError } from 'commander';
import { readStdin, runSignal, setExitCode } from '../io.ts';
import { printError } from '../output.ts';

/** Runs a command action; a failure prints its code and sets a non-zero exit code. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      const options = args.find((a) => typeof a === 'object' && a !== null && 'json' in (a as object)) as
        | { json?: boolean }
        | undefined;
      setExitCode(printError(error, Boolean(options?.json)));
    }
  };
}

export function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

export function portList(value: string): number[] {
  const ports = value.split(',').map((p) => p.trim());
  if (ports.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535)) {
    throw new InvalidArgumentError('expected ports such as 443,8080');
  }
  return ports.map(Number);
}

export function componentSeats(value: string, previous: Array<{ name: string; seats: number }> = []) {
  const match = /^([^=]+)=(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected NAME=SEATS, for example Base=10');
  return [...previous, { name: (match[1] as string).trim(), seats: Number(match[2]) }];
}

/** Waits for Ctrl-C or SIGTERM (or the run's abort signal, in-process), then runs the cleanup. */
export function untilSignal(cleanup: () => Promise<void>): Promise<void> {
  const signal = runSignal();
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      cleanup().finally(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}

/** The first line of standard input: a password given with `option` (never on the command line). */
export function firstLineOfStdin(option: string): string {
  const line = readStdin().split(/\r?\n/)[0] ?? '';
  if (!line) throw new LeaseholdError('INVALID_INPUT', `${option} read no password`);
  return line;
}

/** --tls-cert and --tls-key come together or not at all; paths are stored absolute. */
export function tlsFiles(o: { tlsCert?: string; tlsKey?: string }): {
  tls?: { certFile: string; keyFile: string };
} {
  if (!o.tlsCert && !o.tlsKey) return {};
  if (!o.tlsCert || !o.tlsKey)
    throw new LeaseholdError('INVALID_INPUT', '--tls-cert and --tls-key go together');
  return { tls: { certFile: resolve(o.tlsCert), keyFile: resolve(o.tlsKey) } };
}

/** Reads a sync file given on the command line, refusing what cannot be one before reading it all. */
export function readTextFile(path: string): string {
  if (!existsSync(path)) throw new LeaseholdError('INVALID_INPUT', `no file at ${path}`);
  if (statSync(path).size > 40 * 1024 * 1024) throw new LeaseholdError('MESSAGE_TOO_LARGE', path);
  return readFileSync(path, 'utf8');
}
