/**
 * Releases open leases when the process ends (L2: "releases it on exit"), so a seat comes back at
 * once instead of when its lease runs out. One registry for the whole process, whatever the number
 * of clients: two clients each re-raising a signal would each see the other's handler and neither
 * would let the process go.
 *
 * Handlers are installed only while a lease is open, so an application holding no lease keeps the
 * default behaviour of its signals. On SIGINT/SIGTERM the leases are released (best effort, bounded
 * in time) and, if no other handler of the application listens, the signal is raised again so the
 * process ends as it would have. `beforeExit` covers a program that simply runs out of work.
 * `process.exit()` and crashes cannot be covered: the 'exit' event allows no network I/O; those
 * leases run out on the server.
 */

export interface Releasable {
  close(): Promise<void>;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** How long exit waits for the releases; a slow server must not hold a user's Ctrl-C. */
const EXIT_RELEASE_TIMEOUT_MS = 3_000;

const open = new Set<Releasable>();
let installed = false;

export function releaseOnExit(lease: Releasable): void {
  open.add(lease);
  if (!installed) install();
}

export function forgetOnExit(lease: Releasable): void {
  open.delete(lease);
  if (open.size === 0 && installed) uninstall();
}

/** Closes every open lease, waiting at most `timeoutMs`; failures are ignored. */
export async function releaseAll(timeoutMs = EXIT_RELEASE_TIMEOUT_MS): Promise<void> {
  const leases = [...open];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.allSettled(leases.map((lease) => lease.close())), timeout]);
  clearTimeout(timer);
}

function onSignal(signal: NodeJS.Signals): void {
  uninstall();
  // Other listeners already ran for this signal and decided themselves; only re-raise when the
  // default action (ending the process) is what would have happened without us.
  const othersListen = process.listenerCount(signal) > 0;
  void releaseAll().finally(() => {
    if (!othersListen) process.kill(process.pid, signal);
  });
}

function onBeforeExit(): void {
  uninstall();
  // The requests keep the event loop alive; when they settle the process exits normally.
  void releaseAll();
}

function install(): void {
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('beforeExit', onBeforeExit);
  installed = true;
}

function uninstall(): void {
  for (const signal of SIGNALS) process.off(signal, onSignal);
  process.off('beforeExit', onBeforeExit);
  installed = false;
}
