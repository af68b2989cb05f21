import { readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { centralPaths, httpVendorApi, initCentral, serveCentral } from '@leasehold/central';
import { DAY_MS } from '@leasehold/protocol';
import { initServer, openLocalServer, readStatus } from '@leasehold/server';
import { serveServer } from '@leasehold/server/http';
import { Command } from 'commander';
import { createLoopbackCertificates, type IssuedCertificate } from '../certificates.ts';
import type { Environment } from '../environment.ts';
import { stdout } from '../io.ts';
import { describeStatus } from './server.ts';
import { action, untilSignal } from './shared.ts';

/**
 * `leasehold demo` (what `npm start` runs): a central and a local server on free loopback ports with
 * embedded storage in a fresh folder, a demo id and license, one online sync, and what to try next.
 */
export function demoCommand(env: Environment): Command {
  return new Command('demo')
    .option('--dir <dir>', 'demo folder (emptied first)', '.leasehold-demo')
    .option('--json', 'print one JSON document once ready')
    .action(
      action(async (o: { dir: string; json?: boolean }) => {
        const dir = resolve(o.dir);
        rmSync(dir, { recursive: true, force: true });
        const centralDir = join(dir, 'central');
        const serverDir = join(dir, 'server');
        const say = (line: string) => {
          if (!o.json) stdout().write(`${line}\n`);
        };

        say(
          'Starting the central license server (embedded PostgreSQL; the first start takes a few seconds)...',
        );
        // HTTPS everywhere, as in production, under a private CA made for this demo only.
        const certs = await createLoopbackCertificates(join(dir, 'tls'), ['central', 'server'], {
          now: env.clock.now(),
        });
        const centralTls = certs.issued.central as IssuedCertificate;
        const serverTls = certs.issued.server as IssuedCertificate;
        await initCentral({
          tls: centralTls,
          dataDir: centralDir,
          host: '127.0.0.1',
          port: 0,
          fallbackPort: 0,
          vendor: 'Demo Vendor',
        });
        const central = await serveCentral({ dataDir: centralDir, clock: env.clock });
        const vendor = httpVendorApi(
          central.url,
          readFileSync(centralPaths(centralDir).adminToken, 'utf8').trim(),
          { ca: readFileSync(certs.caFile, 'utf8') },
        );
        const id = await vendor.createServerId({ customer: 'Demo Customer' });
        const expiry = new Date(env.clock.now().getTime() + 365 * DAY_MS).toISOString().slice(0, 10);
        await vendor.addLicense(id.id, {
          name: 'Demo license',
          expiryDate: expiry,
          maxCheckoutHours: 72,
          components: [
            { name: 'Base', seats: 10 },
            { name: 'Analysis', seats: 5 },
            { name: 'Export', seats: 2 },
          ],
        });

        say(`Setting up the local license server for ${id.id} and synchronizing...`);
        const initialized = await initServer({
          dataDir: serverDir,
          licenseServerId: id.id,
          centralUrl: central.url,
          centralPorts: [central.ports.primary, central.ports.fallback],
          vendorKeysFile: centralPaths(centralDir).publicKeys,
          clientPort: 0,
          host: '127.0.0.1',
          tls: serverTls,
          centralCaFile: certs.caFile,
        });
        const local = await openLocalServer(serverDir, env.clock);
        const status = await local.syncClient
          .sync(local.onlineTransport())
          .then(() => readStatus(local))
          .finally(() => local.close());
        const server = await serveServer({ dataDir: serverDir, clock: env.clock });

        const rel = relative(process.cwd(), dir) || '.';
        const summary = {
          dir,
          central: { url: central.url, ports: central.ports, dataDir: centralDir },
          server: { clientUrl: server.url, dataDir: serverDir },
          tls: { caFile: certs.caFile },
          manager: {
            webUi: `${server.url}/manager/`,
            adminApi: `${server.url}/v1/admin`,
            adminUser: initialized.admin.user,
            adminPassword: initialized.admin.generatedPassword ?? null,
            cli: `LEASEHOLD_SERVER_DIR=${rel}/server npx leasehold server status`,
          },
          status,
        };
        if (o.json) stdout().write(`${JSON.stringify(summary)}\n`);
        say(
          [
            '',
            describeStatus(status),
            '',
            `Central license server:  ${central.url} (fallback port ${central.ports.fallback})`,
            `Local license server:    ${server.url} (the address applications are given)`,
            `License Server Manager:  ${server.url}/manager/ (user ${initialized.admin.user}, password ${initialized.admin.generatedPassword ?? '(as set)'})`,
            `                         its admin API ${server.url}/v1/admin; its CLI \`leasehold server ...\``,
            `Certificate authority:   ${relative(process.cwd(), certs.caFile)} (made for this demo; trust it in the browser, or accept the warning)`,
            '',
            'Try, in another terminal:',
            `  export LEASEHOLD_CENTRAL_DIR=${rel}/central LEASEHOLD_SERVER_DIR=${rel}/server`,
            '  npx leasehold server status',
            `  npx leasehold central license list --server-id ${id.id}`,
            `  npx leasehold central license change --server-id ${id.id} --number <number> --component Base=20`,
            '  npx leasehold server sync && npx leasehold server status',
            `  curl -s --cacert ${relative(process.cwd(), certs.caFile)} -XPOST ${server.url}/v1/leases -H 'content-type: application/json' \\`,
            `       -d '{"components":["Base"],"user":"ann","computer":"ws1"}'`,
            '',
            'Press Ctrl-C to stop.',
          ].join('\n'),
        );
        await untilSignal(async () => {
          await server.close();
          await central.close();
        });
      }),
    );
}
