import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, stableStatus, tempDir } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

describe('sync via file: export, respond, import (S5)', () => {
  let world: World;
  let id: string;
  let server: LocalServerHandle;
  const files = tempDir('files');
  const path = (name: string) => join(files, name);

  /** export → central sync respond → the response file's path. */
  async function roundTrip(handle: LocalServerHandle, name: string): Promise<string> {
    const exported = await handle.run(['sync', 'export', '--out', path(`${name}.request.txt`), '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    const responded = await world.vendor([
      'sync',
      'respond',
      '--in',
      path(`${name}.request.txt`),
      '--out',
      path(`${name}.response.txt`),
      '--json',
    ]);
    expect(responded.code, responded.stderr).toBe(0);
    return path(`${name}.response.txt`);
  }

  async function expectImportRefused(file: string, code: string) {
    const before = stableStatus(await server.status());
    const imported = await server.run(['sync', 'import', file, '--json']);
    expect(imported.code).not.toBe(0);
    expect(imported.json.error.code).toBe(code);
    expect(stableStatus(await server.status())).toEqual(before);
  }

  beforeAll(async () => {
    world = await World.start();
    id = await world.createServerId();
    await world.addLicense(id, '--component', 'Analysis=3');
    server = await world.localServer(id);
  });
  afterAll(() => world?.stop());

  it('synchronizes a server that never synchronized online, through the running central server', async () => {
    const response = await roundTrip(server, 'first');
    const requestText = readFileSync(path('first.request.txt'), 'utf8');
    expect(requestText).toMatch(/^-----BEGIN LEASEHOLD SYNC REQUEST-----\nLicense-Server-Id: LS-/);
    expect(requestText).toMatch(/^[\x20-\x7e\n]+$/);
    expect(Math.max(...requestText.split('\n').map((l) => l.length))).toBeLessThanOrEqual(76);
    const imported = await server.run(['sync', 'import', response, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.json).toMatchObject({ method: 'file', allocationVersion: 1, licenses: 1 });
    const status = await server.status();
    expect(status).toMatchObject({ synchronized: true, allocationVersion: 1 });
    expect(status.licenses[0].components).toEqual([
      { name: 'Base', seats: 10 },
      { name: 'Analysis', seats: 3 },
    ]);
    const shown = await world.vendor(['server-id', 'show', id, '--json']);
    expect(shown.json.binding.serverKeyId).toBe(server.serverKeyId);
    expect(shown.json.syncHistory[0]).toMatchObject({ method: 'file', outcome: 'ok' });
  });

  it('answers on the database directly when the central server is not running', async () => {
    await world.central.stop();
    try {
      const response = await roundTrip(server, 'offline');
      const imported = await server.run(['sync', 'import', response, '--json']);
      expect(imported.code, imported.stderr).toBe(0);
      expect((await server.status()).allocationVersion).toBe(2);
    } finally {
      await world.startCentral();
    }
  });

  it('refuses the same response twice and an older response with RESPONSE_STALE', async () => {
    await expectImportRefused(path('offline.response.txt'), 'RESPONSE_STALE');
    await expectImportRefused(path('first.response.txt'), 'RESPONSE_STALE');
  });

  it('imports a response file days after it was made, counting the 366 days from its signed time', async () => {
    const lateId = await world.createServerId('Late post');
    await world.addLicense(lateId);
    const late = await world.localServer(lateId, { name: 'late' });
    const response = await roundTrip(late, 'late');
    const threeDaysOn = { LEASEHOLD_CLOCK_OFFSET_MS: String(3 * DAY_MS) };
    const imported = await late.run(['sync', 'import', response, '--json'], threeDaysOn);
    expect(imported.code, imported.stderr).toBe(0);
    const status = await late.status(threeDaysOn);
    // 366 days of 24 hours from the signed time, three days and a few seconds gone: 362 whole days left.
    expect(status).toMatchObject({ synchronized: true, daysRemaining: 362 });
    expect(Date.parse(status.synchronizedUntil) - Date.parse(status.lastSyncAt)).toBe(366 * DAY_MS);
    expect(Date.parse(status.lastSyncAt)).toBeLessThan(Date.now() + DAY_MS);

    // Older than the validity (30 days): answered again, never counted from the day it came in.
    const stale = await roundTrip(late, 'late-stale');
    const monthOn = { LEASEHOLD_CLOCK_OFFSET_MS: String(34 * DAY_MS) };
    const refused = await late.run(['sync', 'import', stale, '--json'], monthOn);
    expect(refused.json.error.code).toBe('RESPONSE_EXPIRED');
    expect(refused.json.error.message).toContain('sync export');
  });

  it('refuses a request file answered before with REQUEST_REPLAYED', async () => {
    const again = await world.vendor([
      'sync',
      'respond',
      '--in',
      path('first.request.txt'),
      '--out',
      path('again.txt'),
      '--json',
    ]);
    expect(again.json.error.code).toBe('REQUEST_REPLAYED');
  });

  it('refuses a response made for another server with RESPONSE_NOT_FOR_THIS_SERVER', async () => {
    const otherId = await world.createServerId('Other');
    const other = await world.localServer(otherId, { name: 'other' });
    await expectImportRefused(await roundTrip(other, 'other'), 'RESPONSE_NOT_FOR_THIS_SERVER');
  });

  it('refuses a second server with the same id by file with SERVER_ID_IN_USE', async () => {
    const twin = await world.localServer(id, { name: 'twin' });
    expect((await twin.run(['sync', 'export', '--out', path('twin.request.txt')])).code).toBe(0);
    const responded = await world.vendor([
      'sync',
      'respond',
      '--in',
      path('twin.request.txt'),
      '--out',
      path('twin.response.txt'),
      '--json',
    ]);
    expect(responded.json.error.code).toBe('SERVER_ID_IN_USE');
  });

  it('refuses damaged, cut and wrong files with their codes, changing nothing', async () => {
    const good = readFileSync(await roundTrip(server, 'fresh'), 'utf8');
    const lines = good.split('\n');
    writeFileSync(path('cut.txt'), lines.slice(0, -4).join('\n'));
    await expectImportRefused(path('cut.txt'), 'FILE_CORRUPT');
    // A character in the middle of the sealed message (the ciphertext), not in its header.
    const start = lines.indexOf('') + 1;
    const end = lines.findIndex((l) => l.startsWith('-----END'));
    const body = Math.floor((start + end) / 2);
    const line = lines[body] as string;
    const altered = [...lines];
    altered[body] = `${line.slice(0, 10)}${line[10] === 'A' ? 'B' : 'A'}${line.slice(11)}`;
    writeFileSync(path('altered.txt'), altered.join('\n'));
    await expectImportRefused(path('altered.txt'), 'MESSAGE_TAMPERED');
    writeFileSync(path('garbage.txt'), 'Hello, this is not a sync file.\n');
    await expectImportRefused(path('garbage.txt'), 'FILE_CORRUPT');
    await expectImportRefused(path('first.request.txt'), 'MESSAGE_TYPE_UNEXPECTED');
    // A mail client's CRLF line ends and indentation do not matter.
    writeFileSync(
      path('mailed.txt'),
      good
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\r\n'),
    );
    const imported = await server.run(['sync', 'import', path('mailed.txt'), '--json']);
    expect(imported.code, imported.stderr).toBe(0);
  });
});
