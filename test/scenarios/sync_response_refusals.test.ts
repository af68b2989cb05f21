import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generatePartyKeys,
  openSyncRequest,
  type PartyKeys,
  parsePartyKeys,
  SYNC_RESPONSE_TYPE,
  sealSyncResponse,
} from '@leasehold/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableStatus } from '../support/leasehold.ts';
import { SyncRelay } from '../support/relay.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Flips the top bit of the 6-bit group at `index`, so the decoded bytes always change. */
function flip(message: string, index: number): string {
  const replaced = B64URL[B64URL.indexOf(message[index] as string) ^ 32] as string;
  return message.slice(0, index) + replaced + message.slice(index + 1);
}

describe('a sync response that is replayed, older, foreign, altered or forged is refused and changes nothing (S8)', () => {
  let world: World;
  let relay: SyncRelay;
  let id: string;
  let server: LocalServerHandle;
  let vendorKeys: PartyKeys;

  /** Syncs through the relay and checks the refusal code and that status stayed as it was. */
  async function expectRefused(code: string | string[]) {
    const before = stableStatus(await server.status());
    const sync = await server.sync();
    expect(sync.code).not.toBe(0);
    expect(Array.isArray(code) ? code : [code]).toContain(sync.json.error.code);
    expect(stableStatus(await server.status())).toEqual(before);
  }

  /** A response the vendor really signed, but with fields a test chooses, sealed to the requesting server. */
  async function forge(request: string, change: (r: any) => void, signer: PartyKeys = vendorKeys) {
    const opened = await openSyncRequest(request, vendorKeys);
    const now = new Date().toISOString();
    const response: any = {
      type: SYNC_RESPONSE_TYPE,
      formatVersion: 1,
      licenseServerId: opened.request.licenseServerId,
      requestId: opened.request.requestId,
      serverKeyId: opened.serverSigningKid,
      issuedAt: now,
      allocation: {
        licenseServerId: opened.request.licenseServerId,
        version: 1000,
        issuedAt: now,
        licenses: [],
      },
      serverKeyCertificate: 'not-checked-before-the-fields-above',
    };
    change(response);
    return { body: await sealSyncResponse(response, signer, opened.serverEncryption) };
  }

  beforeAll(async () => {
    world = await World.start();
    vendorKeys = await parsePartyKeys(
      readFileSync(join(world.centralDir, 'keys', 'vendor-private-keys.json'), 'utf8'),
    );
    relay = await new SyncRelay(world.ports.primary).start();
    id = await world.createServerId();
    await world.addLicense(id);
    server = await world.localServer(id, { ports: [relay.port] });
    expect((await server.sync()).code).toBe(0);
    expect((await server.sync()).code).toBe(0);
    expect((await server.status()).allocationVersion).toBe(2);
  });
  afterAll(async () => {
    await relay?.stop();
    await world?.stop();
  });

  it('refuses the last response replayed with RESPONSE_STALE', async () => {
    const last = relay.exchanges.at(-1)?.response as string;
    relay.tamper = async () => ({ body: last });
    await expectRefused('RESPONSE_STALE');
  });

  it('refuses an older response with RESPONSE_STALE', async () => {
    const first = relay.exchanges[0]?.response as string;
    relay.tamper = async () => ({ body: first });
    await expectRefused('RESPONSE_STALE');
  });

  it('refuses a response made for another server key with RESPONSE_NOT_FOR_THIS_SERVER', async () => {
    const otherId = await world.createServerId('Other Customer');
    const other = await world.localServer(otherId, { name: 'other', ports: [relay.port] });
    relay.tamper = undefined;
    expect((await other.sync()).code).toBe(0);
    const foreign = relay.exchanges.at(-1)?.response as string;
    relay.tamper = async () => ({ body: foreign });
    await expectRefused('RESPONSE_NOT_FOR_THIS_SERVER');
  });

  it('refuses a vendor-signed response for another license server id with RESPONSE_NOT_FOR_THIS_SERVER', async () => {
    relay.tamper = (request) =>
      forge(request, (r) => {
        r.licenseServerId = 'LS-1111-2222-3333';
        r.allocation.licenseServerId = 'LS-1111-2222-3333';
      });
    await expectRefused('RESPONSE_NOT_FOR_THIS_SERVER');
  });

  it('refuses a response naming another server key with RESPONSE_NOT_FOR_THIS_SERVER', async () => {
    relay.tamper = (request) => forge(request, (r) => (r.serverKeyId = 'some-other-server-key'));
    await expectRefused('RESPONSE_NOT_FOR_THIS_SERVER');
  });

  it('refuses a response signed by a key other than the vendor key with SIGNER_UNKNOWN', async () => {
    const impostor = await generatePartyKeys();
    relay.tamper = (request) => forge(request, () => {}, impostor);
    await expectRefused('SIGNER_UNKNOWN');
  });

  it('refuses its own request sent back in place of a response', async () => {
    relay.tamper = async (request) => ({ body: request });
    await expectRefused('MESSAGE_TYPE_UNEXPECTED');
  });

  it('refuses a response with one bit flipped anywhere in it', async () => {
    relay.tamper = undefined;
    const sample = (await relay.exchanges.at(-1)?.response) as string;
    const parts = sample.split('.');
    // The middle of every part of the JWE (header, IV, ciphertext, tag), and both ends of the
    // ciphertext; every position is covered by the envelope's unit test.
    let offset = 0;
    const positions: number[] = [];
    for (const [index, part] of parts.entries()) {
      if (part.length > 0) positions.push(offset + Math.floor(part.length / 2));
      if (index === 3) positions.push(offset, offset + part.length - 1);
      offset += part.length + 1;
    }
    for (const position of positions) {
      relay.tamper = async (_request, forward) => ({ body: flip((await forward()).response, position) });
      const before = stableStatus(await server.status());
      const sync = await server.sync();
      expect(sync.code, `position ${position}`).not.toBe(0);
      expect([
        'MESSAGE_TAMPERED',
        'MESSAGE_MALFORMED',
        'PROTOCOL_VERSION_UNSUPPORTED',
        'MESSAGE_TYPE_UNEXPECTED',
        'RESPONSE_NOT_FOR_THIS_SERVER',
      ]).toContain(sync.json.error.code);
      expect(stableStatus(await server.status())).toEqual(before);
    }
  });

  it('refuses a truncated response and a non-Leasehold answer', async () => {
    relay.tamper = async (_request, forward) => ({ body: (await forward()).response.slice(0, -20) });
    // A tag cut short fails to decrypt, or is not even canonical base64url: which depends on its bits.
    await expectRefused(['MESSAGE_TAMPERED', 'MESSAGE_MALFORMED']);
    relay.tamper = async () => ({ body: '<html>captive portal</html>', contentType: 'text/html' });
    await expectRefused('CENTRAL_UNAVAILABLE');
  });

  it('still syncs through the relay when nothing is tampered with', async () => {
    relay.tamper = undefined;
    const sync = await server.sync();
    expect(sync.code, sync.stderr).toBe(0);
  });
});
