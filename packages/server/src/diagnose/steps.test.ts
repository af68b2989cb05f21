import { LeaseholdError } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { bindingStep } from './binding.ts';
import type { CentralCall } from './call.ts';
import { classifyNetworkError, failed } from './steps.ts';
import { portSteps } from './tcp.ts';
import { tlsStep } from './tls.ts';

const failedCall = (kind: string, code: string): CentralCall =>
  ({ kind: 'failed', failure: { kind, code } }) as CentralCall;

describe('reading network failures', () => {
  it('finds the code undici keeps in the cause, and the proxy status it keeps in the message', () => {
    const refused = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(classifyNetworkError(refused)).toEqual({ kind: 'unreachable', code: 'ECONNREFUSED' });
    expect(classifyNetworkError(new Error('Proxy response (407) !== 200 when HTTP Tunneling'))).toEqual({
      kind: 'proxy-status',
      code: 'PROXY',
      proxyStatus: 407,
    });
    expect(classifyNetworkError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }).kind).toBe('tls');
    expect(classifyNetworkError({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }).kind).toBe('tls');
    expect(classifyNetworkError({ code: 'UND_ERR_HEADERS_TIMEOUT' }).kind).toBe('answer-timeout');
    expect(classifyNetworkError({ code: 'EAI_AGAIN' }).kind).toBe('dns');
    expect(classifyNetworkError(new DOMException('timed out', 'TimeoutError')).kind).toBe('connect-timeout');
  });

  it('gives a failed step the catalogue fix of its code', () => {
    expect(failed('dns', 'x', 'DNS_FAILED').fix).toMatch(/check DNS/);
    expect(failed('tcp:443', 'x').fix).toBeUndefined();
  });
});

describe('the TLS step', () => {
  const ctx = { host: 'central.example', port: 443, trust: 'the system CAs', presented: 'CN=x, self-signed' };

  it('passes once the dispatcher got any answer over TLS', () => {
    const step = tlsStep({ kind: 'answered', status: 200, json: {} }, ctx);
    expect(step).toMatchObject({ status: 'passed' });
    expect(step.detail).toContain('presented: CN=x, self-signed');
  });

  it('says why a certificate was refused and how to trust a private CA', () => {
    const untrusted = tlsStep(failedCall('tls', 'SELF_SIGNED_CERT_IN_CHAIN'), ctx);
    expect(untrusted).toMatchObject({ status: 'failed', code: 'TLS_FAILED' });
    expect(untrusted.detail).toContain('not issued by a CA this server trusts');
    expect(untrusted.fix).toContain('--central-ca');
    const mismatch = tlsStep(failedCall('tls', 'ERR_TLS_CERT_ALTNAME_INVALID'), ctx);
    expect(mismatch.detail).toContain('not for central.example');
  });

  it('counts a dropped handshake as TLS_FAILED and a silent one as CENTRAL_TIMEOUT', () => {
    expect(tlsStep(failedCall('closed', 'ECONNRESET'), ctx).code).toBe('TLS_FAILED');
    expect(tlsStep(failedCall('connect-timeout', 'UND_ERR_CONNECT_TIMEOUT'), ctx).code).toBe(
      'CENTRAL_TIMEOUT',
    );
  });
});

describe('the TCP steps through a proxy', () => {
  it('fails with the proxy code and leaves the ports not tried skipped', () => {
    const steps = portSteps(
      [{ port: 443, outcome: 'proxy-auth', detail: 'the proxy answered 407' }],
      [443, 8080],
      'central.example',
    );
    expect(steps).toEqual([
      expect.objectContaining({ step: 'tcp:443', status: 'failed', code: 'PROXY_AUTH_REQUIRED' }),
      expect.objectContaining({ step: 'tcp:8080', status: 'skipped' }),
    ]);
    const down = portSteps([{ port: 443, outcome: 'proxy-unreachable', detail: 'refused' }], [443], 'h');
    expect(down[0]?.code).toBe('PROXY_UNREACHABLE');
  });
});

describe('the binding step', () => {
  const expectation = {
    licenseServerId: 'LS-AAAA-BBBB-CCCC',
    serverKeyId: 'kid-of-this-server',
    where: 'h:443',
  };

  it('refuses an answer about another id, or one that is not a probe answer', () => {
    const other: CentralCall = {
      kind: 'answered',
      status: 200,
      json: { licenseServerId: 'LS-ZZZZ-ZZZZ-ZZZZ', binding: 'this-server' },
    };
    expect(bindingStep(other, expectation).code).toBe('CENTRAL_UNAVAILABLE');
    expect(bindingStep({ kind: 'answered', status: 502, json: undefined }, expectation).code).toBe(
      'CENTRAL_UNAVAILABLE',
    );
  });

  it('keeps the code of any other refusal, and names the vendor key file for a probe it cannot open', () => {
    const wireError = new LeaseholdError('MESSAGE_NOT_FOR_RECIPIENT');
    const step = bindingStep({ kind: 'answered', status: 400, json: {}, wireError }, expectation);
    expect(step).toMatchObject({ status: 'failed', code: 'MESSAGE_NOT_FOR_RECIPIENT' });
    expect(step.fix).toContain('vendor-public-keys.json');
  });
});
