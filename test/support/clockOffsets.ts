import { daemon } from './leasehold.ts';
import type { LocalServerHandle } from './world.ts';

/** The environment that moves a spawned program's clock by `ms` (LEASEHOLD_CLOCK_OFFSET_MS). */
export const at = (ms: number) => ({ LEASEHOLD_CLOCK_OFFSET_MS: String(ms) });

/** Starts `server serve` at a clock offset, asks for a license, and stops it again. */
export async function requestLicense(
  server: LocalServerHandle,
  offsetMs: number,
  body: unknown = { components: ['Base'], user: 'ann', computer: 'ws-1' },
) {
  const serve = await daemon(
    ['server', 'serve', '--data-dir', server.dataDir, '--port', '0', '--host', '127.0.0.1'],
    at(offsetMs),
  );
  try {
    const response = await fetch(`${serve.info.url}/v1/leases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  } finally {
    await serve.stop();
  }
}
