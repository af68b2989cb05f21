/**
 * For docs/performance.md (Third fix, S8): one sync message sealed and opened (sign, encrypt,
 * decrypt, verify) with jose, as the envelope does today, and with compactJose.ts (node:crypto
 * directly), on the same keys and the same payload bytes, in the same run, rounds interleaved so
 * machine noise hits both alike. Also the key work the central server does per request (JWK import,
 * two RFC 7638 key ids).
 *
 *   node --import tsx bench/joseNode.ts [--seconds 1] [--rounds 5] [--json]
 *
 * Only the cryptography is timed: the payload is JSON-encoded once, outside the loop.
 */
import {
  generatePartyKeys,
  keyIdOf,
  type PartyKeys,
  publicJwkOf,
  publicKeyFromJwk,
} from '@leasehold/protocol';
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify } from 'jose';
import {
  decryptCompactEcdhEsA256Gcm,
  encryptCompactEcdhEsA256Gcm,
  okpThumbprint,
  publicKeyWithId,
  signCompactEd25519,
  verifyCompactEd25519,
} from '../packages/protocol/src/compactJose.ts';
import { syncRequestFor, syncResponseFor } from './crypto.ts';

const argument = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const SECONDS = argument('seconds', 1);
const ROUNDS = argument('rounds', 5);
/** Cycles in flight at once for the concurrent figure: jose's WebCrypto jobs can overlap on the thread pool. */
const IN_FLIGHT = 8;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Message {
  name: string;
  bytes: Uint8Array;
  typ: string;
  signer: PartyKeys;
  recipient: PartyKeys;
}

const headers = (m: Message) => ({
  jws: { alg: 'EdDSA', kid: m.signer.signing.kid, typ: m.typ, lhv: 1 },
  jwe: { alg: 'ECDH-ES', enc: 'A256GCM', kid: m.recipient.encryption.kid, typ: m.typ, lhv: 1 },
});

/** The envelope's four jose calls, with the options envelope.ts passes. */
async function joseCycle(m: Message): Promise<Uint8Array> {
  const h = headers(m);
  const jws = await new CompactSign(m.bytes).setProtectedHeader(h.jws).sign(m.signer.signing.privateKey);
  const jwe = await new CompactEncrypt(encoder.encode(jws))
    .setProtectedHeader(h.jwe)
    .encrypt(m.recipient.encryption.publicKey);
  const { plaintext } = await compactDecrypt(jwe, m.recipient.encryption.privateKey, {
    keyManagementAlgorithms: ['ECDH-ES'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });
  const verified = await compactVerify(decoder.decode(plaintext), m.signer.signing.publicKey, {
    algorithms: ['EdDSA'],
  });
  return verified.payload;
}

/** The same four steps with compactJose.ts. */
function nodeCycle(m: Message): Uint8Array {
  const h = headers(m);
  const jws = signCompactEd25519(m.bytes, h.jws, m.signer.signing.privateKey);
  const jwe = encryptCompactEcdhEsA256Gcm(encoder.encode(jws), h.jwe, m.recipient.encryption.publicKey);
  const { plaintext } = decryptCompactEcdhEsA256Gcm(jwe, m.recipient.encryption.privateKey);
  return verifyCompactEd25519(decoder.decode(plaintext), m.signer.signing.publicKey).payload;
}

interface Rate {
  /** Operations per second of wall time. */
  wall: number;
  /** Operations per second of process CPU time (all threads: jose's WebCrypto jobs run on the pool). */
  cpu: number;
}

/** Operations per second over one timed stretch, `inFlight` at a time. */
async function rate(fn: () => unknown, inFlight = 1): Promise<Rate> {
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      await fn();
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const cpu = process.cpuUsage(cpuStart);
  return {
    wall: done / ((performance.now() - start) / 1000),
    cpu: done / ((cpu.user + cpu.system) / 1e6),
  };
}

const median = (values: number[]) =>
  Math.round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number);

/** Each contender once per round, in turn; the median round of each. */
async function compare(contenders: Record<string, () => Promise<Rate>>): Promise<Record<string, Rate>> {
  const samples: Record<string, Rate[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, measure] of Object.entries(contenders)) samples[name]?.push(await measure());
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [
      name,
      { wall: median(values.map((v) => v.wall)), cpu: median(values.map((v) => v.cpu)) },
    ]),
  );
}

async function main() {
  const server = await generatePartyKeys();
  const vendor = await generatePartyKeys();
  const request = syncRequestFor('LS-BNCH-0000-0001', server);
  const json = (value: unknown) => encoder.encode(JSON.stringify(value));
  const response = (licenses: number) => syncResponseFor(request, server, vendor, licenses);
  const messages: Message[] = [
    {
      name: 'sync request',
      bytes: json(request),
      typ: 'leasehold.sync-request',
      signer: server,
      recipient: vendor,
    },
  ];
  for (const licenses of [1, 100]) {
    messages.push({
      name: `sync response, ${licenses} license${licenses === 1 ? '' : 's'}`,
      bytes: json(await response(licenses)),
      typ: 'leasehold.sync-response',
      signer: vendor,
      recipient: server,
    });
  }

  const results: Record<string, unknown> = {};
  for (const m of messages) {
    // Both must give back the payload bytes before either is timed.
    const same = (bytes: Uint8Array) => Buffer.from(bytes).equals(Buffer.from(m.bytes));
    if (!same(await joseCycle(m)) || !same(nodeCycle(m)))
      throw new Error(`${m.name}: a cycle lost the payload`);
    const r = await compare({
      jose: () => rate(() => joseCycle(m)),
      [`jose, ${IN_FLIGHT} in flight`]: () => rate(() => joseCycle(m), IN_FLIGHT),
      'node:crypto': () => rate(() => nodeCycle(m)),
    });
    results[m.name] = { payloadBytes: m.bytes.length, cyclesPerSecond: r };
  }

  // What the central server does with the keys a request carries: a KeyObject from the signing
  // JWK and its key id, and the key id of the encryption key (sync.ts, openSyncRequest).
  const signingJwk = publicJwkOf(server.signing.publicKey) as { crv: 'Ed25519'; x: string };
  const encryptionJwk = publicJwkOf(server.encryption.publicKey) as { crv: 'X25519'; x: string };
  results['request keys (import + 2 key ids)'] = {
    opsPerSecond: await compare({
      'jose thumbprints': () =>
        rate(async () => {
          await keyIdOf(publicKeyFromJwk(signingJwk as never));
          await keyIdOf(publicKeyFromJwk(encryptionJwk as never));
        }),
      'node:crypto, uncached': () =>
        rate(() => {
          publicKeyFromJwk(signingJwk as never);
          okpThumbprint('Ed25519', signingJwk.x);
          publicKeyFromJwk(encryptionJwk as never);
          okpThumbprint('X25519', encryptionJwk.x);
        }),
      'node:crypto, cached': () =>
        rate(() => {
          publicKeyWithId(signingJwk);
          publicKeyWithId(encryptionJwk);
        }),
    }),
  };

  if (process.argv.includes('--json')) {
    console.log(
      JSON.stringify({ node: process.version, seconds: SECONDS, rounds: ROUNDS, results }, null, 2),
    );
    return;
  }
  console.log(`node ${process.version}, ${ROUNDS} interleaved rounds of ${SECONDS} s, median round`);
  console.log('per second of wall time, and per second of CPU time (all threads)');
  for (const [name, value] of Object.entries(results)) {
    const { payloadBytes, cyclesPerSecond, opsPerSecond } = value as Record<string, unknown>;
    console.log(`\n${name}${payloadBytes ? ` (${payloadBytes} payload bytes)` : ''}`);
    for (const [who, r] of Object.entries((cyclesPerSecond ?? opsPerSecond) as Record<string, Rate>)) {
      console.log(
        `  ${who.padEnd(28)} ${String(r.wall).padStart(8)} /s wall ${String(r.cpu).padStart(8)} /s CPU`,
      );
    }
  }
}

await main();
