import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';

/** Where a command writes: a process stream, or a buffer a test reads. */
export interface TextSink {
  write(text: string): unknown;
}

/** What one run of the program reads and writes; `main(argv, io)` runs in-process with its own. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: NodeJS.ProcessEnv;
  /** Standard input, read whole by the options that take a password from it; the process's fd 0 by default. */
  stdin?: () => string;
  /** Ends a long-running command (`serve`, `demo`) as SIGINT or SIGTERM do. */
  signal?: AbortSignal;
}

interface Run {
  io: CliIo;
  exitCode: number;
}

// Each run's streams and exit code travel with its async context, so runs in one process (tests
// call main() side by side) never share them, and nothing sets process.exitCode behind a test.
const runs = new AsyncLocalStorage<Run>();

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Runs `fn` as one run of the program; resolves with the exit code its commands set. */
export async function asRun(io: CliIo, fn: () => Promise<number | undefined>): Promise<number> {
  const run: Run = { io, exitCode: 0 };
  return runs.run(run, async () => {
    const code = await fn();
    return code ?? run.exitCode;
  });
}

function current(): Run {
  return runs.getStore() ?? { io: processIo(), exitCode: 0 };
}

export const stdout = (): TextSink => current().io.stdout;
export const stderr = (): TextSink => current().io.stderr;
export const readStdin = (): string => (current().io.stdin ?? (() => readFileSync(0, 'utf8')))();
export const runSignal = (): AbortSignal | undefined => current().io.signal;

/** Sets the run's exit code (a failed command: 1). */
export function setExitCode(code: number): void {
  const run = runs.getStore();
  if (run) run.exitCode = code;
  else process.exitCode = code;
}

/** The run's stdout when it is not the process's own (in-process runs): where a server's log lines go. */
export function inProcessStdout(): TextSink | undefined {
  const out = current().io.stdout;
  return out === process.stdout ? undefined : out;
}
