import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { errorCatalogue } from '@leasehold/protocol';
import type { CentralCall } from './call.ts';
import { failed, passed, type StepResult } from './steps.ts';

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

const TRUST_HINT =
  'If a TLS-inspecting proxy or a private CA issues this certificate, trust that CA with `leasehold server init --central-ca FILE` (centralCaFile).';

/** Says in words what an OpenSSL or Node TLS code means for the administrator. */
export function explainTlsFailure(code: string, host: string): string {
  if (UNTRUSTED.has(code)) return `the certificate is not issued by a CA this server trusts (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the certificate is not for ${host} (name mismatch)`;
  if (code === 'CERT_HAS_EXPIRED') return 'the certificate has expired, or this clock is wrong';
  if (code === 'CERT_NOT_YET_VALID') return 'the certificate is not valid yet, or this clock is wrong';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER')
    return 'the port does not speak TLS (is the central URL http://?)';
  return code;
}

export interface TlsContext {
  host: string;
  port: number;
  /** Which certificates are trusted, in words (system CAs, centralCaFile). */
  trust: string;
  /** What the server presented, when it could be read. */
  presented?: string;
}

/**
 * Step 3, judged from the first call to the central server: it goes through the dispatcher sync
 * uses, so the verdict is the one a sync would meet (same CAs, same proxy tunnel).
 */
export function tlsStep(call: CentralCall, ctx: TlsContext): StepResult {
  const where = `${ctx.host}:${ctx.port}`;
  const presented = ctx.presented ? `; presented: ${ctx.presented}` : '';
  if (call.kind === 'answered' || call.failure.kind === 'answer-timeout') {
    return passed('tls', `certificate of ${where} verified against ${ctx.trust}${presented}`);
  }
  const { failure } = call;
  switch (failure.kind) {
    case 'tls': {
      const fix = UNTRUSTED.has(failure.code)
        ? `${errorCatalogue.TLS_FAILED.message} ${TRUST_HINT}`
        : undefined;
      return failed(
        'tls',
        `${where}: ${explainTlsFailure(failure.code, ctx.host)}; trusted: ${ctx.trust}${presented}`,
        'TLS_FAILED',
        fix,
      );
    }
    case 'closed':
      // Something on the way that blocks or intercepts TLS usually just drops the connection.
      return failed(
        'tls',
        `${where} closed the connection during the TLS handshake (${failure.code})`,
        'TLS_FAILED',
      );
    case 'connect-timeout':
      return failed('tls', `the TLS handshake with ${where} did not complete in time`, 'CENTRAL_TIMEOUT');
    default:
      return failed('tls', `${where}: ${failure.code}`, 'CENTRAL_UNAVAILABLE');
  }
}

function name(entity: PeerCertificate['subject'] | undefined): string {
  if (!entity) return '(none)';
  const parts = [entity.CN && `CN=${entity.CN}`, entity.O && `O=${entity.O}`].filter(Boolean);
  return parts.length ? parts.join(', ') : '(unnamed)';
}

/**
 * Reads the certificate a port presents, without judging it: the issuer is often what tells an
 * administrator that a proxy intercepts TLS. Best effort and direct connections only.
 */
export function presentedCertificate(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      // Only reading the certificate; the verdict comes from the dispatcher's own verified connection.
      rejectUnauthorized: false,
    });
    const done = (text: string | undefined) => {
      socket.destroy();
      resolve(text);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      if (!cert || Object.keys(cert).length === 0) return done(undefined);
      const subject = name(cert.subject);
      const issuer = name(cert.issuer);
      const issued = subject === issuer ? 'self-signed' : `issued by ${issuer}`;
      done(`${subject}, ${issued}, valid until ${new Date(cert.valid_to).toISOString().slice(0, 10)}`);
    });
  });
}

export const describeTrust = (caFile: string | undefined) =>
  caFile ? `the system CAs and ${caFile}` : 'the system CAs';
