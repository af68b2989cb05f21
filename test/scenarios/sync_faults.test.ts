import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, stableStatus } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

/** Points the local server at other ports, with a short sync timeout (edited while it is not serving). */
function setCentralPorts(server: LocalServerHandle, ports: number[]): void {
  const path = join(server.dataDir, 'server.json');
  const config = JSON.parse(readFileSync(path, 'utf8'));
  writeFileSync(
    path,
    `${JSON.stringify({ ...config, centralPorts: ports, syncTimeoutSeconds: 1 }, null, 2)}\n`,
  );
}

describe('a central server that is down, silent or cut off mid-answer changes nothing locally (S9)', () => {
  let world: World;
  let server: LocalServerHandle;
  const faults: Server[] = [];
  const held: Socket[] = [];
  let silentPort: number;
  let cuttingPort: number;
  let cutRequests = 0;

  beforeAll(async () => {
    world = await World.start();
    const id = await world.createServerId('Faulty Network Customer');
    await world.addLicense(id);
    server = await world.localServer(id, { name: 'faults' });
    const first = await server.sync();
    expect(first.code, first.stderr).toBe(0);

    // Accepts the connection, reads the request, and never answers.
    const silent = createServer((socket) => {
      held.push(socket);
      socket.on('error', () => {});
    });
    // Hands the request to the real central server, then sends half its answer and hangs up: the
    // central server has acted on the request, the local server must not have.
    const cutting = createHttpServer(async (req, res) => {
      cutRequests += 1;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const answer = await fetch(`http://127.0.0.1:${world.ports.primary}/v1/sync`, {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        body: Buffer.concat(chunks),
      });
      const body = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, {
        'content-type': answer.headers.get('content-type') ?? 'application/jose',
        'content-length': body.length,
      });
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
    });
    faults.push(silent, cutting);
    [silentPort, cuttingPort] = await Promise.all([listen(silent), listen(cutting)]);
  });

  afterAll(async () => {
    for (const socket of held) socket.destroy();
    for (const fault of faults) fault.close();
    await world?.stop();
  });

  /** Syncs against `ports`, expects the code, and checks that only the sync history moved. */
  async function expectFailure(ports: number[], code: string) {
    setCentralPorts(server, ports);
    const before = stableStatus(await server.status());
    const sync = await server.sync();
    expect(sync.code).not.toBe(0);
    expect(sync.json.error.code, sync.stderr).toBe(code);
    const after = await server.status();
    expect(stableStatus(after)).toEqual(before);
    expect(after.lastSyncAttempt).toMatchObject({ outcome: code, method: 'online' });
    return sync;
  }

  it('says CENTRAL_TIMEOUT when the central server accepts and never answers, after syncTimeoutSeconds', async () => {
    const started = Date.now();
    const sync = await expectFailure([silentPort, world.ports.fallback], 'CENTRAL_TIMEOUT');
    // One second of silence, and no move on to the second port: the first one was open.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(sync.stderr).toContain(`127.0.0.1:${silentPort}`);
    expect(sync.stderr).not.toContain(`127.0.0.1:${world.ports.fallback}`);
  });

  it('says CENTRAL_UNAVAILABLE when the connection is cut in the middle of the answer', async () => {
    const before = cutRequests;
    await expectFailure([cuttingPort, world.ports.fallback], 'CENTRAL_UNAVAILABLE');
    expect(cutRequests).toBe(before + 1);
  });

  it('says PORTS_BLOCKED when the central server is down on both ports', async () => {
    const sync = await expectFailure([await closedPort(), await closedPort()], 'PORTS_BLOCKED');
    expect(sync.stderr).toContain('ECONNREFUSED');
  });

  it('syncs again once the central server is back, the cut-off answer having moved nothing', async () => {
    setCentralPorts(server, [world.ports.primary, world.ports.fallback]);
    const before = await server.status();
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
    const after = await server.status();
    expect(after.lastSyncAttempt).toMatchObject({ outcome: 'ok' });
    expect(after.allocationVersion).toBeGreaterThan(before.allocationVersion);
  });
});
