import type { KeyObject } from 'node:crypto';
import type { z } from 'zod';
import { decodeBase64urlStrict, verifyCompactEd25519 } from './compactJose.ts';
import { unexpectedHeaderName } from './envelope.ts';
import { type ErrorCode, LeaseholdError } from './errors.ts';

/**
 * The compact JWS Leasehold signs outside the sync envelope (server key certificates, checkout and
 * lease tokens): EdDSA only, a `typ` and a version per kind, a header allowlist per kind, canonical
 * base64url, all checked before any key is looked up.
 */
export type CompactHeader = {
  kid?: unknown;
  typ?: unknown;
  alg?: unknown;
  lhc?: unknown;
  lhv?: unknown;
  [name: string]: unknown;
};

export interface CompactKind {
  typ: string;
  /** What the kind is called in messages. */
  name: string;
  version: number;
  allowed: ReadonlySet<string>;
  maxLength: number;
  /** The code every refusal of this kind carries. */
  code: ErrorCode;
}

/** Structure and header of a compact JWS of `kind`, checked before any key is looked up. */
export function headerOfCompact(compact: string, kind: CompactKind): CompactHeader {
  const invalid = (why: string) => new LeaseholdError(kind.code, why);
  if (compact.length > kind.maxLength) throw invalid(`larger than any ${kind.name}`);
  const segments = compact.split('.');
  let header: CompactHeader;
  try {
    // Only canonical base64url: otherwise a changed last character can decode to the same bytes.
    if (segments.length !== 3) throw new Error('segments');
    for (const segment of segments) decodeBase64urlStrict(segment);
    header = JSON.parse(Buffer.from(segments[0] as string, 'base64url').toString('utf8'));
  } catch {
    throw invalid(`not a compact ${kind.typ}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw invalid(`not a ${kind.typ}`);
  const unexpected = unexpectedHeaderName(header, kind.allowed);
  if (unexpected !== undefined)
    throw invalid(`header parameter ${JSON.stringify(unexpected).slice(0, 40)} is not allowed (${kind.typ})`);
  if (header.typ !== kind.typ || header.alg !== 'EdDSA' || typeof header.kid !== 'string')
    throw invalid(`not a ${kind.typ}`);
  if (header.lhv !== kind.version)
    throw invalid(
      `a ${kind.typ} of format version ${JSON.stringify(header.lhv)}; this Leasehold reads version ${kind.version}`,
    );
  return header;
}

/** Verifies a compact JWS of `kind` with the key its `kid` names and parses its payload with `schema`. */
export function verifySignedCompact<S extends z.ZodType>(
  compact: string,
  kind: CompactKind,
  key: (kid: string) => KeyObject | undefined,
  schema: S,
): { header: CompactHeader; payload: z.infer<S> } {
  const invalid = (why: string) => new LeaseholdError(kind.code, why);
  const header = headerOfCompact(compact, kind);
  const verificationKey = key(header.kid as string);
  if (!verificationKey) throw invalid(`signed by an unknown key (${kind.typ})`);
  let payload: Uint8Array;
  try {
    payload = verifyCompactEd25519(compact, verificationKey, { maxLength: kind.maxLength }).payload;
  } catch {
    throw invalid(`the signature does not verify (${kind.typ})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw invalid(`malformed ${kind.typ}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw invalid(`malformed ${kind.typ}`);
  return { header, payload: parsed.data as z.infer<S> };
}
