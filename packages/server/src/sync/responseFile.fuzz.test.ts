import {
  armor,
  certifyAllocation,
  dearmor,
  type Ed25519PublicJwk,
  generatePartyKeys,
  isErrorCode,
  LeaseholdError,
  type PartyKeys,
  publicJwkOf,
  SYNC_RESPONSE_TYPE,
  type SyncResponse,
  sealSyncResponse,
} from '@leasehold/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../localServer.ts';
import { readStatus } from '../status.ts';
import { syncedLocalServer } from '../test-support/localServer.ts';
import { license } from '../test-support/syncedServer.ts';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** What an import may change: everything but the clock reading and the record of the last attempt. */
function stateOf(server: LocalServer) {
  const {
    clock: _clock,
    lastSyncAttempt: _attempt,
    messages: _messages,
    ...rest
  } = readStatus(server) as ReturnType<typeof readStatus> & {
    messages?: unknown;
  };
  return rest;
}

describe('sync response files under random damage (fuzz, S8)', () => {
  let setup: Awaited<ReturnType<typeof syncedLocalServer>>;
  let server: LocalServer;
  let good: string;

  /** A response the vendor really made for this server's pending request, sealed with `signer`. */
  async function respond(requestFile: string, signer: PartyKeys, encryptTo = server.keys.encryption) {
    const { headers } = dearmor(requestFile, 'REQUEST');
    const now = setup.clock.now().toISOString();
    const allocation = {
      licenseServerId: server.config.licenseServerId,
      version: 2,
      issuedAt: now,
      licenses: [],
    };
    const response: SyncResponse = {
      type: SYNC_RESPONSE_TYPE,
      formatVersion: 1,
      licenseServerId: server.config.licenseServerId,
      requestId: headers.Request as string,
      serverKeyId: server.keys.signing.kid,
      issuedAt: now,
      allocation,
      serverKeyCertificate: certifyAllocation(
        allocation,
        publicJwkOf(server.keys.signing.publicKey) as Ed25519PublicJwk,
        signer.signing,
      ),
    };
    return armor('RESPONSE', await sealSyncResponse(response, signer, encryptTo), {
      'License-Server-Id': response.licenseServerId,
    });
  }

  async function expectRefused(file: string) {
    const before = stateOf(server);
    const error = await server.syncClient.importResponseFile(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'a damaged file was accepted').toBeInstanceOf(LeaseholdError);
    expect(isErrorCode((error as LeaseholdError).code)).toBe(true);
    expect(stateOf(server)).toEqual(before);
    return (error as LeaseholdError).code;
  }

  beforeAll(async () => {
    setup = await syncedLocalServer([license({ components: [{ name: 'Base', seats: 3 }] })]);
    server = setup.server;
    good = await respond((await server.syncClient.exportRequestFile()).file, setup.vendorKeys);
  });
  afterAll(() => server.close());

  it('refuses a bit flip at any position of the sealed message', async () => {
    const { message } = dearmor(good, 'RESPONSE');
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: message.length - 1 }),
        fc.integer({ min: 1, max: 63 }),
        async (at, delta) => {
          if (message[at] === '.') return;
          const flipped = B64URL[(B64URL.indexOf(message[at] as string) + delta) % 64] as string;
          await expectRefused(armor('RESPONSE', message.slice(0, at) + flipped + message.slice(at + 1), {}));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses truncation at any length and any reordering of the five parts', async () => {
    const { message } = dearmor(good, 'RESPONSE');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: message.length - 1 }), async (length) => {
        await expectRefused(armor('RESPONSE', message.slice(0, length), {}));
      }),
      { numRuns: 60 },
    );
    const parts = message.split('.');
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }),
        async (order) => {
          if (order.every((p, i) => p === i)) return;
          await expectRefused(armor('RESPONSE', order.map((i) => parts[i]).join('.'), {}));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses swapped keys, wrong versions and huge files with their codes', async () => {
    const request = (await server.syncClient.exportRequestFile()).file;
    const impostor = await generatePartyKeys();
    expect(await expectRefused(await respond(request, impostor))).toBe('SIGNER_UNKNOWN');
    const stranger = await generatePartyKeys();
    expect(await expectRefused(await respond(request, setup.vendorKeys, stranger.encryption))).toBe(
      'RESPONSE_NOT_FOR_THIS_SERVER',
    );
    const { message } = dearmor(good, 'RESPONSE');
    const [header, ...rest] = message.split('.');
    const json = JSON.parse(Buffer.from(header as string, 'base64url').toString());
    const v2 = Buffer.from(JSON.stringify({ ...json, lhv: 2 })).toString('base64url');
    expect(await expectRefused(armor('RESPONSE', [v2, ...rest].join('.'), {}))).toBe(
      'PROTOCOL_VERSION_UNSUPPORTED',
    );
    expect(await expectRefused('A'.repeat(41 * 1024 * 1024))).toBe('MESSAGE_TOO_LARGE');
    expect(await expectRefused(good.replace('RESPONSE', 'REQUEST').replace('RESPONSE', 'REQUEST'))).toBe(
      'MESSAGE_TYPE_UNEXPECTED',
    );
  });

  it('still accepts the undamaged file, so the refusals above were about the damage', async () => {
    const result = await server.syncClient.importResponseFile(good);
    expect(result.allocationVersion).toBe(2);
  });
});
