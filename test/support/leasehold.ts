import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Runs the real `leasehold` program and waits for it to exit. */
export function leasehold(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: definedOnly({ ...baseEnv(), ...env }) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
}

export interface Daemon {
  info: any;
  child: ChildProcessWithoutNullStreams;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a long-running `leasehold … serve` and waits for the JSON line it prints once listening. */
export function daemon(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: definedOnly({ ...baseEnv(), LEASEHOLD_LOG_LEVEL: 'warn', ...env }),
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`no ready line from ${args.join(' ')}: ${stdout}${stderr}`)),
      60_000,
    );
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line && stdout.includes('\n')) {
        clearTimeout(timer);
        resolve({ info: JSON.parse(line), child, output: () => stdout + stderr, stop });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}: ${stdout}${stderr}`));
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
