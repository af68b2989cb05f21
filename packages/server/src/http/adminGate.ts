import { BlockList, isIP } from 'node:net';
import { LeaseholdError } from '@leasehold/protocol';
import type { FastifyInstance } from 'fastify';

const ADMIN_PREFIXES = ['/v1/admin', '/manager', '/docs'];

/** Parses `adminRemoteAddresses`: plain addresses and CIDR ranges, IPv4 or IPv6. */
export function adminAllowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== undefined && (!/^\d{1,3}$/.test(bits ?? '') || (prefix as number) > max))
    )
      throw new LeaseholdError(
        'CONFIG_INVALID',
        `adminRemoteAddresses: ${entry} is not an address or CIDR range`,
      );
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  // Loopback is always allowed: the administrator on this computer.
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  return list;
}

function allowed(list: BlockList, address: string | undefined): boolean {
  if (!address) return false;
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4) return list.check(v4, 'ipv4');
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

const underAdmin = (path: string | undefined) =>
  path !== undefined &&
  ADMIN_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`));

/**
 * The administrator's surfaces (admin API, Manager, API docs) answer this computer only, unless
 * `adminRemoteAddresses` names more; applications keep reaching /v1/leases from anywhere. The peer
 * address of the connection decides, never a forwarded header. The route the router matched is
 * judged as well as the URL: the router decodes percent escapes, so `/v1/%61dmin/status` reaches
 * the admin API although its text does not start with /v1/admin.
 */
export function registerAdminGate(app: FastifyInstance, entries: readonly string[]): void {
  const list = adminAllowList(entries);
  app.addHook('onRequest', async (request) => {
    if (!underAdmin(request.url) && !underAdmin(request.routeOptions.url)) return;
    if (!allowed(list, request.socket.remoteAddress))
      throw new LeaseholdError(
        'ADMIN_REMOTE_REFUSED',
        `${request.socket.remoteAddress ?? 'an unknown address'} is not in adminRemoteAddresses`,
      );
  });
}
