import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { ServerConfig } from '../config.ts';
import { type ProxyRoute, proxyAuthorization, proxyFor } from './proxy.ts';
import { undici } from './undici.ts';

/** A way to the central server: connections, and which proxy (if any) a URL goes through. */
export interface CentralConnection {
  dispatcher: Dispatcher;
  proxyFor(url: URL): ProxyRoute | undefined;
}

export function centralConnection(config: ServerConfig, proxy: ProxyRoute | undefined): CentralConnection {
  return { dispatcher: createCentralDispatcher(config, proxy), proxyFor: (url) => proxyFor(proxy, url) };
}

/**
 * How this server reaches the central server: the one place that decides trust (system CAs plus
 * `centralCaFile`), timeouts and the proxy (S7). Online sync and diagnosis share it.
 *
 * Through a proxy every connection is an HTTP CONNECT tunnel, also to an http:// central server:
 * a corporate proxy then sees only host and port, never the sync messages, and the same rules
 * (ports, TLS inside the tunnel) hold with and without it.
 */
export function createCentralDispatcher(config: ServerConfig, proxy?: ProxyRoute): Dispatcher {
  const { Agent, Pool, ProxyAgent } = undici();
  const timeoutMs = config.syncTimeoutSeconds * 1000;
  const extraCa = config.centralCaFile ? readFileSync(config.centralCaFile, 'utf8') : undefined;
  const tls = { timeout: timeoutMs, ...(extraCa ? { ca: [...rootCertificates, extraCa] } : {}) };
  const direct = () => new Agent({ connect: tls });
  if (!proxy) return direct();
  const token = proxyAuthorization(proxy);
  const tunnelled = new ProxyAgent({
    uri: proxy.url,
    ...(token ? { token } : {}),
    // TLS to the central server runs inside the tunnel, with the same trust as a direct connection;
    // an https:// proxy is trusted alike (its CA, if private, goes in centralCaFile too).
    requestTls: tls,
    proxyTls: tls,
    // The CONNECT is a request to the proxy: without this it would wait undici's default five
    // minutes for a proxy that accepted the connection and never answers.
    clientFactory: (origin, options) => new Pool(origin, { ...options, headersTimeout: timeoutMs }),
  });
  if (proxy.noProxy.length === 0) return tunnelled;
  // NO_PROXY is decided per request (host and port), by the same rule the transport uses to
  // name what failed.
  const bypass = direct();
  return tunnelled.compose(
    (dispatch) => (options, handler) =>
      proxyFor(proxy, new URL(String(options.origin)))
        ? dispatch(options, handler)
        : bypass.dispatch(options, handler),
  );
}
