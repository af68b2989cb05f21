import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LeaseholdError, readConfigFile, writeSecretFile } from '@leasehold/protocol';
import { z } from 'zod';

/**
 * The HTTP(S) proxy online sync goes through (S7): set by the administrator (`proxy.json` in the
 * data folder, 0600 because it may hold a password) or taken from the standard environment
 * variables, which the program reads in one place and hands in as a ProxyEnvironment.
 */
export const proxySettingSchema = z.strictObject({
  formatVersion: z.literal(1),
  url: z.url({ protocol: /^https?$/ }).describe('the proxy, without credentials, e.g. http://proxy:3128'),
  username: z.string().min(1).max(256).optional(),
  password: z.string().min(1).max(1024).optional(),
});
export type ProxySetting = z.infer<typeof proxySettingSchema>;

/** HTTPS_PROXY / HTTP_PROXY / NO_PROXY as the program found them (lower-case names win, as in curl). */
export interface ProxyEnvironment {
  httpsProxy?: string | undefined;
  httpProxy?: string | undefined;
  noProxy?: string | undefined;
}

/** The proxy in effect. Holds the password: never print or log it, show `maskProxy(route)`. */
export interface ProxyRoute {
  /** Origin of the proxy without credentials, e.g. http://proxy.example:3128. */
  url: string;
  username?: string;
  password?: string;
  source: 'stored' | 'environment';
  /** NO_PROXY entries (lower case); a stored proxy has none, it is meant for the central server. */
  noProxy: readonly string[];
}

export const proxyPath = (dataDir: string) => join(dataDir, 'proxy.json');

/**
 * Parses a proxy URL as an administrator types it (`http://user:pass@proxy:3128`, or `proxy:3128`
 * as curl accepts it). Explicit credentials replace those in the URL.
 */
export function parseProxyUrl(
  text: string,
  credentials: { username?: string | undefined; password?: string | undefined } = {},
): Omit<ProxySetting, 'formatVersion'> {
  const trimmed = text.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`);
  } catch {
    throw new LeaseholdError('INVALID_INPUT', 'the proxy must be a URL such as http://proxy.example:3128');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new LeaseholdError(
      'INVALID_INPUT',
      `proxy scheme ${url.protocol} is not supported; use an HTTP proxy (http:// or https://)`,
    );
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    throw new LeaseholdError('INVALID_INPUT', 'the proxy URL takes no path: http://proxy.example:3128');
  const username = credentials.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = credentials.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  if (password && !username) throw new LeaseholdError('INVALID_INPUT', 'a proxy password needs a user name');
  return {
    url: url.origin,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/** The proxy URL for people: the user name shown, the password never. */
export function maskProxy(proxy: { url: string; username?: string; password?: string }): string {
  if (!proxy.username) return proxy.url;
  const { protocol, host } = new URL(proxy.url);
  return `${protocol}//${encodeURIComponent(proxy.username)}${proxy.password ? ':****' : ''}@${host}`;
}

/** The value of a Proxy-Authorization header (Basic, RFC 7617), when the proxy has credentials. */
export function proxyAuthorization(proxy: ProxyRoute): string | undefined {
  if (!proxy.username) return undefined;
  return `Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ''}`, 'utf8').toString('base64')}`;
}

export function loadProxySetting(dataDir: string): ProxySetting | undefined {
  const path = proxyPath(dataDir);
  if (!existsSync(path)) return undefined;
  return readConfigFile(path, proxySettingSchema, `no ${path}`);
}

export function saveProxySetting(dataDir: string, proxy: Omit<ProxySetting, 'formatVersion'>): ProxySetting {
  const setting = proxySettingSchema.parse({ formatVersion: 1, ...proxy });
  writeSecretFile(proxyPath(dataDir), `${JSON.stringify(setting, null, 2)}\n`);
  return setting;
}

/** Removes the stored proxy; says whether there was one. */
export function clearProxySetting(dataDir: string): boolean {
  const path = proxyPath(dataDir);
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}

/**
 * Which proxy online sync uses: the administrator's setting first, else the environment. Sync is
 * HTTPS by design (S5) even where a test or a TLS front end makes the central URL http://, so
 * HTTPS_PROXY is asked first and HTTP_PROXY second, whatever the URL's scheme.
 */
export function chooseProxy(
  stored: ProxySetting | undefined,
  environment: ProxyEnvironment = {},
): ProxyRoute | undefined {
  if (stored) {
    const { formatVersion: _version, ...proxy } = stored;
    return { ...proxy, source: 'stored', noProxy: [] };
  }
  const name = environment.httpsProxy ? 'HTTPS_PROXY' : 'HTTP_PROXY';
  const value = environment.httpsProxy || environment.httpProxy;
  if (!value) return undefined;
  let parsed: Omit<ProxySetting, 'formatVersion'>;
  try {
    parsed = parseProxyUrl(value);
  } catch {
    // The value itself is not repeated: it may carry a password.
    throw new LeaseholdError(
      'CONFIG_INVALID',
      `${name} is not a proxy URL such as http://proxy.example:3128; fix or unset it, or set one with \`leasehold server proxy set\``,
    );
  }
  return { ...parsed, source: 'environment', noProxy: parseNoProxy(environment.noProxy) };
}

export function parseNoProxy(value: string | undefined): string[] {
  return (value ?? '')
    .toLowerCase()
    .split(/[\s,]+/)
    .filter((entry) => entry.length > 0);
}

/** The proxy a request to `url` goes through, or undefined when it goes direct. */
export function proxyFor(route: ProxyRoute | undefined, url: URL): ProxyRoute | undefined {
  return route && !bypassesProxy(url, route.noProxy) ? route : undefined;
}

/**
 * NO_PROXY as curl and undici read it: `*` for every host; a host or domain (`example.com` and
 * `.example.com` both match the domain and its subdomains); an IP address; any of them with `:port`
 * to match that port only. CIDR ranges are not supported.
 */
export function bypassesProxy(url: URL, noProxy: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  return noProxy.some((entry) => {
    if (entry === '*') return true;
    if (!entry.startsWith('[') && entry.split(':').length > 2) return host === entry; // bare IPv6
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!match) return false;
    if (match[2] && Number(match[2]) !== port) return false;
    const name = (match[1] as string).replace(/^\[|\]$/g, '').replace(/^\*?\./, '');
    return host === name || host.endsWith(`.${name}`);
  });
}
