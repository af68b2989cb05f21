import type { Clock } from '@leasehold/protocol';
import type { Dispatcher } from 'undici';
import { bindingStep } from './binding.ts';
import { callCentral } from './call.ts';
import { checkDns, type Lookup } from './dns.ts';
import { clockStep, protocolStep } from './protocol.ts';
import type { StepName, StepResult } from './steps.ts';
import { skipped } from './steps.ts';
import { type PortReach, portSteps, reachDirect, reachThroughProxy } from './tcp.ts';
import { describeTrust, presentedCertificate, tlsStep } from './tls.ts';

export interface DiagnoseInput {
  licenseServerId: string;
  /** This server's signing key id (what the id should be bound to). */
  serverKeyId: string;
  centralUrl: string;
  /** Tried in order, as sync tries them (S5: 443, then 8080). */
  ports: number[];
  /** The dispatcher sync uses: its trust, timeouts and proxy are what diagnose tests. */
  dispatcher: Dispatcher;
  /** The proxy the dispatcher sends a URL through (password masked), or undefined for a direct connection. */
  proxyFor?: (url: URL) => string | undefined;
  /** The extra CA file the dispatcher trusts, to name it in the report. */
  caFile?: string;
  /** The plain system clock (not the rollback guard, which writes): compared with the central server's. */
  clock: Clock;
  /** Short: a port that does not take a connection in this time counts as blocked. */
  connectTimeoutMs: number;
  /** How long the central server may take to answer. */
  answerTimeoutMs: number;
  /** A sealed binding probe from this server's key. */
  sealProbe(): Promise<string>;
  lookup?: Lookup;
}

export interface Diagnosis {
  ok: boolean;
  licenseServerId: string;
  centralUrl: string;
  proxy?: string;
  steps: StepResult[];
}

/**
 * `leasehold server diagnose` (S9): each link of the chain to the central server in order, the way a
 * sync walks it. A link that fails leaves the ones that depend on it skipped, with the reason. Only
 * reads: nothing changes here or on the central server.
 */
export async function runDiagnosis(input: DiagnoseInput): Promise<Diagnosis> {
  const url = new URL(input.centralUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const plan: StepName[] = [
    'dns',
    ...input.ports.map((p) => `tcp:${p}` as const),
    'tls',
    'protocol',
    'clock',
    'binding',
  ];
  const on = (port: number, path: string) => {
    const target = new URL(path, url);
    target.port = String(port);
    return target;
  };
  // NO_PROXY may name one port and not the other, so the way is decided per port, as sync does.
  const proxyOn = (port: number) => input.proxyFor?.(on(port, '/'));
  const proxies = input.ports.map(proxyOn);
  const proxy = proxies.find((p) => p !== undefined);
  const results = new Map<StepName, StepResult>();
  let blockedBy = '';
  const finish = (): Diagnosis => {
    const steps = plan.map((name) => results.get(name) ?? skipped(name, blockedBy));
    return {
      ok: !steps.some((s) => s.status === 'failed'),
      licenseServerId: input.licenseServerId,
      centralUrl: input.centralUrl,
      ...(proxy ? { proxy } : {}),
      steps,
    };
  };

  const dns = await checkDns(host, {
    timeoutMs: input.connectTimeoutMs,
    ...(proxy && proxies.every((p) => p !== undefined) ? { proxy } : {}),
    ...(input.lookup ? { lookup: input.lookup } : {}),
  });
  results.set('dns', dns);
  if (dns.status === 'failed') {
    blockedBy = `not tried: ${host} does not resolve`;
    return finish();
  }

  const reaches: PortReach[] = [];
  for (const port of input.ports) {
    const via = proxyOn(port);
    const reach = via
      ? await reachThroughProxy(on(port, '/v1/hello'), port, input.dispatcher, via, input.connectTimeoutMs)
      : await reachDirect(host, port, input.connectTimeoutMs);
    reaches.push(reach);
    if (reach.outcome === 'proxy-auth' || reach.outcome === 'proxy-unreachable') break;
  }
  for (const step of portSteps(reaches, input.ports, host)) results.set(step.step, step);
  const port = reaches.find((r) => r.outcome === 'reached')?.port;
  if (port === undefined) {
    blockedBy = proxy
      ? 'not tried: no port of the central server can be reached through the proxy'
      : 'not tried: no port of the central server can be reached';
    return finish();
  }

  // Sync uses the first port that takes a connection; so do the remaining steps.
  const where = `${host}:${port}`;
  const hello = await callCentral(input.dispatcher, on(port, '/v1/hello'), {
    timeoutMs: input.answerTimeoutMs,
  });
  if (url.protocol === 'https:') {
    const presented = proxyOn(port)
      ? undefined
      : await presentedCertificate(host, port, input.connectTimeoutMs);
    const tls = tlsStep(hello, {
      host,
      port,
      trust: describeTrust(input.caFile),
      ...(presented ? { presented } : {}),
    });
    results.set('tls', tls);
    if (tls.status === 'failed') {
      blockedBy = 'not tried: no TLS connection to the central server';
      return finish();
    }
  } else {
    results.set('tls', skipped('tls', `the central URL is http://: no TLS (use https:// in production)`));
  }

  const protocol = protocolStep(hello, where);
  results.set('protocol', protocol.step);
  if (protocol.hello) results.set('clock', clockStep(protocol.hello, input.clock.now()));
  if (protocol.step.status === 'failed') {
    blockedBy = 'not tried: the protocol check failed';
    return finish();
  }

  const probe = await callCentral(input.dispatcher, on(port, '/v1/sync/probe'), {
    body: await input.sealProbe(),
    timeoutMs: input.answerTimeoutMs,
  });
  results.set(
    'binding',
    bindingStep(probe, { licenseServerId: input.licenseServerId, serverKeyId: input.serverKeyId, where }),
  );
  return finish();
}
