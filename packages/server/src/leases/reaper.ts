import type { LeaseEngine } from './engine.ts';

/**
 * Expires leases whose renewals stopped (L2), every `intervalMs`, until the signal aborts. Activations
 * also expire what is due before counting, so the reaper only keeps the tables and the audit log current.
 */
export function startReaper(
  engine: LeaseEngine,
  intervalMs: number,
  signal: AbortSignal,
  onError: (error: unknown) => void,
): void {
  const timer = setInterval(() => {
    try {
      engine.expire();
    } catch (error) {
      onError(error);
    }
  }, intervalMs);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}
