import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '@leasehold/cli';

export const BIN = fileURLToPath(new URL('../../packages/cli/bin/leasehold.js', import.meta.url));
export const DAY_MS = 86_400_000;

// Scenario tests talk to loopback only: a proxy set on the machine must not route them elsewhere.
const NO_MACHINE_PROXY = Object.fromEntries(
  ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'].map((name) => [
    name,
    undefined,
  ]),
);
const baseEnv = (): NodeJS.ProcessEnv => ({ ...process.env, ...NO_MACHINE_PROXY });

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (commands run with --json). */
  json: any;
}

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `leasehold-${name}-`));
}

/**
 * Runs one `leasehold` command in this process, as the program's own `main(argv, io)` with buffers for
 * streams and `env` over this process's environment: the same code as the built program, without
 * a Node start per command. `leaseholdProcess` runs the real built program.
 */
export async function leasehold(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { input?: string } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'leasehold', ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: definedOnly({ ...baseEnv(), ...env }),
    stdin: () => options.input ?? '',
  });
  return { code, stdout, stderr, json: parseJson(stdout) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Runs the real, built `leasehold` program as its own process and waits for it to exit. */
export function leaseholdProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: definedOnly({ ...baseEnv(), ...env }) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, json: parseJson(stdout) }));
  });
}

export interface Daemon {
  info: any;
  child: ChildProcessWithoutNullStreams;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The line a program prints once ready. `serve` prints `{ listening, url }` once its ports listen;
 * `demo --json` prints one summary naming both servers. Log lines (pino, on stdout too) carry
 * `level` and `msg` and come before it at level info and below, so any JSON line will not do.
 */
export type ReadyLine = (value: any) => boolean;

export const listeningLine: ReadyLine = (value) =>
  isObject(value) && !('level' in value) && 'listening' in value && typeof value.url === 'string';

const demoSummaryLine: ReadyLine = (value) =>
  isObject(value) &&
  !('level' in value) &&
  isObject(value.server) &&
  typeof value.server.clientUrl === 'string' &&
  isObject(value.central) &&
  typeof value.central.url === 'string';

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Starts a long-running `leasehold … serve` (or `demo`) and waits for the line it prints once ready. */
export function daemon(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  ready: ReadyLine = args[0] === 'demo' ? demoSummaryLine : listeningLine,
): Promise<Daemon> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: definedOnly({ ...baseEnv(), LEASEHOLD_LOG_LEVEL: 'warn', ...env }),
  });
  return untilReady(child, args.join(' '), ready);
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `npm start -- ARGS` in the repository, exactly as a new user runs the demo. npm runs the program in
 * a child of its own, so the whole process group is stopped.
 */
export function npmStart(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  const child = spawn('npm', ['start', '--', ...args], {
    cwd: REPO,
    detached: true,
    env: definedOnly({ ...baseEnv(), LEASEHOLD_LOG_LEVEL: 'warn', ...env }),
  });
  return untilReady(child, `npm start -- ${args.join(' ')}`, demoSummaryLine).then((started) => ({
    ...started,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        process.kill(-(child.pid as number), 'SIGTERM');
      }),
  }));
}

/**
 * Resolves with the first complete stdout line that parses as JSON and satisfies `ready`, skipping
 * log lines; rejects if the process exits (or fails to start) first, or after 60 s (the process is
 * then stopped, so a failed start leaves nothing running).
 */
export function untilReady(
  child: ChildProcessWithoutNullStreams,
  name: string,
  ready: ReadyLine,
  timeoutMs = 60_000,
): Promise<Daemon> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let scanned = 0; // stdout before this offset holds only complete lines already looked at
    let settled = false;
    const output = () => stdout + stderr;
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(() => {
      fail(new Error(`no ready line from ${name} within ${timeoutMs} ms: ${output()}`));
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      if (settled) return;
      // Only whole lines: a chunk may end in the middle of the ready line.
      let newline = stdout.indexOf('\n', scanned);
      while (newline !== -1) {
        const line = stdout.slice(scanned, newline).trim();
        scanned = newline + 1;
        if (line.startsWith('{')) {
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch {
            value = undefined;
          }
          if (ready(value)) {
            settled = true;
            clearTimeout(timer);
            resolve({ info: value, child, output, stop });
            return;
          }
        }
        newline = stdout.indexOf('\n', scanned);
      }
    });
    child.on('error', (error) => fail(new Error(`${name} did not start: ${error.message}`)));
    // After 'exit' stdout may still hold a ready line printed just before: wait for 'close' (all
    // read), or a moment if something else keeps the pipe open.
    child.on('exit', (code, signal) => {
      const exited = () =>
        fail(new Error(`${name} exited (${signal ?? `code ${code}`}) before its ready line: ${output()}`));
      const grace = setTimeout(exited, 2_000);
      child.once('close', () => {
        clearTimeout(grace);
        exited();
      });
    });
  });
}

/** A loopback port that nothing listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The status document minus the fields that change on every read. */
export function stableStatus(status: any) {
  const { clock: _clock, lastSyncAttempt: _attempt, ...rest } = status;
  return rest;
}

function definedOnly(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}
