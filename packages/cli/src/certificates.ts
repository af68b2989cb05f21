// @peculiar/x509 resolves its parsers through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic, writeSecretFile } from '@leasehold/protocol';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { ...EC, hash: 'SHA-256' } as const;
const LOOPBACK_NAMES: x509.JsonGeneralName[] = [
  { type: 'dns', value: 'localhost' },
  { type: 'ip', value: '127.0.0.1' },
  { type: 'ip', value: '::1' },
];

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
}

export interface LocalCertificates {
  /** The CA to trust: `--central-ca`, NODE_EXTRA_CA_CERTS, `curl --cacert`, a browser's trust store. */
  caFile: string;
  issued: Record<string, IssuedCertificate>;
}

function serial(): string {
  // Positive, 16 random bytes (RFC 5280 allows up to 20 octets).
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] as number) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/**
 * A private certificate authority for loopback (the demo and the tests): one CA and a server
 * certificate per name, valid for localhost, 127.0.0.1 and ::1. The CA's private key is never
 * written anywhere, so nothing more can be issued under it once this returns.
 */
export async function createLoopbackCertificates(
  dir: string,
  names: readonly string[],
  options: { now?: Date; days?: number } = {},
): Promise<LocalCertificates> {
  const notBefore = new Date((options.now ?? new Date()).getTime() - 60 * 60 * 1000);
  const notAfter = new Date(notBefore.getTime() + (options.days ?? 30) * 24 * 60 * 60 * 1000);
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=Leasehold loopback CA',
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const caFile = join(dir, 'ca.crt');
  writeFileAtomic(caFile, ca.toString('pem'));

  const issued: Record<string, IssuedCertificate> = {};
  for (const name of names) {
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${name}.localhost`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(LOOPBACK_NAMES),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    // The chain (leaf then CA) so that clients given only the CA can build the path.
    writeFileAtomic(certFile, `${cert.toString('pem')}\n${ca.toString('pem')}\n`);
    writeSecretFile(keyFile, await pkcs8Pem(keys.privateKey));
    issued[name] = { certFile, keyFile };
  }
  return { caFile, issued };
}
