import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReadyMessage, StatsMessage, TargetConfig } from './target.ts';

const TARGET = fileURLToPath(new URL('./target.ts', import.meta.url));
export const PROFILE_DIR = fileURLToPath(new URL('./profiles/', import.meta.url));

/** Set by `--profile`: every target process writes a V8 CPU profile to bench/profiles/ when it stops. */
export const profiling = { enabled: false };

export interface Target {
  url: string;
  port: number;
  ready: ReadyMessage;
  stats(): Promise<StatsMessage>;
  stop(): Promise<void>;
}

/** Forks a bench script under tsx with an IPC channel; `name` labels its CPU profile. */
export function forkBench(script: string, args: string[], name: string): ChildProcess {
  const execArgv = ['--conditions=leasehold-source', '--import', 'tsx'];
  if (profiling.enabled) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`);
  }
  return fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== type) return;
      cleanup();
      resolve(message as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`bench child exited (${code}) before sending ${type}`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('close', onExit);
    };
    child.on('message', onMessage);
    // 'close' comes after the IPC channel has delivered everything; 'exit' may come before.
    child.on('close', onExit);
  });
}

/** Starts a server in its own process and waits until it listens. */
export async function startTarget(config: TargetConfig, name: string = config.kind): Promise<Target> {
  const child = forkBench(TARGET, [JSON.stringify(config)], name);
  const ready = await nextMessage<ReadyMessage>(child, 'ready');
  return {
    url: `http://127.0.0.1:${ready.port}`,
    port: ready.port,
    ready,
    async stats() {
      const reply = nextMessage<StatsMessage>(child, 'stats');
      child.send({ type: 'stats' });
      return reply;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits for a child's `result` message and its exit. */
export async function resultOf<T>(child: ChildProcess): Promise<T> {
  const result = await nextMessage<{ type: 'result'; value: T }>(child, 'result');
  if (child.exitCode === null) await once(child, 'exit');
  return result.value;
}
