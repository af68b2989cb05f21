import { connect } from 'node:net';
import type { Dispatcher } from 'undici';
import { undici } from '../sync/undici.ts';
import { classifyNetworkError, failed, passed, type StepResult, seconds, skipped } from './steps.ts';

/** What trying one port found. Proxy outcomes concern the proxy itself, so they end the port checks. */
export type PortReach =
  | { port: number; outcome: 'reached' | 'blocked'; detail: string }
  | { port: number; outcome: 'proxy-auth' | 'proxy-unreachable'; detail: string };

/** Step 2, direct: a plain TCP connection, nothing sent. */
export function reachDirect(host: string, port: number, timeoutMs: number): Promise<PortReach> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reach: PortReach) => {
      socket.destroy();
      resolve(reach);
    };
    socket.setTimeout(timeoutMs, () =>
      done({
        port,
        outcome: 'blocked',
        detail: `no answer from ${host}:${port} in ${seconds(timeoutMs)} (a firewall may drop the packets)`,
      }),
    );
    socket.once('connect', () =>
      done({
        port,
        outcome: 'reached',
        detail: `connected to ${host}:${port} in ${Math.round(performance.now() - started)} ms`,
      }),
    );
    socket.once('error', (error) => {
      const { code } = classifyNetworkError(error);
      const why =
        code === 'ECONNREFUSED' ? 'connection refused: nothing listens or a firewall rejects' : code;
      done({ port, outcome: 'blocked', detail: `${host}:${port}: ${why}` });
    });
  });
}

/**
 * Step 2, through a proxy: the proxy opens the tunnel, so the only way to learn whether the port can
 * be reached is to ask for something on it through the same dispatcher sync uses.
 */
export async function reachThroughProxy(
  url: URL,
  port: number,
  dispatcher: Dispatcher,
  proxy: string,
  timeoutMs: number,
): Promise<PortReach> {
  // Not url.port: a URL drops its scheme's default port (443 for https), which reads back as ''.
  const where = `${url.hostname}:${port} through the proxy ${proxy}`;
  try {
    const response = await undici().request(url, { dispatcher, signal: AbortSignal.timeout(timeoutMs) });
    await response.body.dump();
    return { port, outcome: 'reached', detail: `reached ${where}` };
  } catch (error) {
    const failure = classifyNetworkError(error);
    switch (failure.kind) {
      case 'proxy-status':
        return failure.proxyStatus === 407
          ? { port, outcome: 'proxy-auth', detail: `the proxy ${proxy} answered 407: credentials needed` }
          : {
              port,
              outcome: 'blocked',
              detail: `the proxy ${proxy} could not reach ${url.hostname}:${port} (it answered ${failure.proxyStatus})`,
            };
      // A TLS failure means the tunnel was open: the port is reached, and the TLS step judges the rest.
      case 'tls':
        return { port, outcome: 'reached', detail: `reached ${where}` };
      case 'dns':
      case 'unreachable':
        return {
          port,
          outcome: 'proxy-unreachable',
          detail: `the proxy ${proxy} cannot be reached (${failure.code})`,
        };
      case 'connect-timeout':
        return { port, outcome: 'blocked', detail: `no connection to ${where} in ${seconds(timeoutMs)}` };
      default:
        return { port, outcome: 'blocked', detail: `${where}: ${failure.code}` };
    }
  }
}

/**
 * Pure: the TCP steps from what each port found. Port 8080 is sync's fallback (S5), so a port that
 * cannot be reached while another can still fails — it is a real finding, and each sync pays its
 * timeout — but only all ports blocked is PORTS_BLOCKED.
 */
export function portSteps(reaches: PortReach[], ports: number[], host: string): StepResult[] {
  const reached = reaches.find((r) => r.outcome === 'reached');
  return ports.map((port) => {
    const step = `tcp:${port}` as const;
    const reach = reaches.find((r) => r.port === port);
    if (!reach) return skipped(step, 'not tried: the proxy failed on an earlier port');
    if (reach.outcome === 'reached') return passed(step, reach.detail);
    if (reach.outcome === 'proxy-auth') return failed(step, reach.detail, 'PROXY_AUTH_REQUIRED');
    if (reach.outcome === 'proxy-unreachable') return failed(step, reach.detail, 'PROXY_UNREACHABLE');
    if (!reached) return failed(step, reach.detail, 'PORTS_BLOCKED');
    return failed(
      step,
      `${reach.detail}; sync still works over port ${reached.port}`,
      undefined,
      `Open outbound TCP ${port} to ${host} so that sync has both ways; meanwhile it uses port ${reached.port}.`,
    );
  });
}
