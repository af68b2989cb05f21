import { LeaseholdError } from '@leasehold/protocol';
import {
  currentUsers,
  parseHistoryDays,
  readComponents,
  readHistory,
  verifyAuditChain,
} from '@leasehold/server';
import type { Command } from 'commander';
import type { Environment } from '../environment.ts';
import { stdout } from '../io.ts';
import { print, table } from '../output.ts';
import { dataDirOption, type Json, jsonOption, withServer } from './serverContext.ts';
import { action } from './shared.ts';

/** `server components | users | leases | release | audit` (M2, L6, L7). */
export function registerLeaseCommands(server: Command, env: Environment): void {
  const dataDir = () => dataDirOption(env);
  const json = jsonOption;
  server
    .command('leases')
    .description('who holds what: floating leases and checkouts')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json) => {
        const leases = await withServer(env, o.dataDir, async (s) => s.leases.list());
        print(o, { leases }, () =>
          table(
            leases.map((l) => ({ ...l, components: l.components.join(',') })),
            ['id', 'kind', 'user', 'computer', 'licenseNumber', 'components', 'grantedAt', 'expiresAt'],
          ),
        );
      }),
    );

  server
    .command('components')
    .description('the Components table: in use, max users, free and expiry per license and component')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json) => {
        const components = await withServer(env, o.dataDir, async (s) => readComponents(s));
        print(o, { components }, () =>
          table(
            components.map((c) => ({ ...c })),
            ['licenseNumber', 'component', 'inUse', 'maxUsers', 'free', 'expiryDate'],
          ),
        );
      }),
    );

  server
    .command('users')
    .description('the Current users table: who holds which components, floating or checkout, since, until')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json) => {
        const users = await withServer(env, o.dataDir, async (s) => currentUsers(s.leases.list()));
        print(o, { users }, () =>
          table(
            users.map((u) => ({ ...u, components: u.components.join(',') })),
            ['user', 'computer', 'components', 'kind', 'since', 'until'],
          ),
        );
      }),
    );

  server
    .command('history')
    .description('usage over time: most seats in use and denials per component, per hour or day')
    .option('--days <n>', 'how far back: 1 to 366 days (2 or less: per hour)', '30')
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json & { days: string }) => {
        const days = parseHistoryDays(o.days);
        const history = await withServer(env, o.dataDir, async (s) => readHistory(s, days));
        print(o, history, () => {
          const rows = history.components.flatMap((c) =>
            c.points
              .filter((p) => p.peak > 0 || p.denials > 0)
              .map((p) => ({
                [history.bucket]: p.at,
                ...c,
                maxUsers: c.maxUsers,
                peak: p.peak,
                denials: p.denials,
              })),
          );
          return rows.length === 0
            ? `no seats used and no denials from ${history.from} to ${history.to}`
            : table(rows, [history.bucket, 'licenseNumber', 'component', 'peak', 'maxUsers', 'denials']);
        });
      }),
    );

  server
    .command('release')
    .description('force-release a floating lease (a checkout cannot be: it lives on a disconnected computer)')
    .argument('<leaseId>', 'the lease id, from `leasehold server leases`')
    // Ids are base64url and one in 64 starts with '-': it must not be taken for an option.
    .allowUnknownOption()
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (leaseId: string, o: Json) => {
        const released = await withServer(env, o.dataDir, async (s) =>
          s.leases.release(leaseId, { kind: 'floating', by: 'admin' }),
        );
        print(o, released, () => `released ${released.released}`);
      }),
    );

  const audit = server
    .command('audit')
    .description('the audit log as JSON lines: grants, renewals, releases, expiries, denials')
    .addOption(dataDir())
    .option('--action <action>', 'only this action, e.g. lease.denied for the denial log')
    .option('--since <time>', 'only entries at or after this ISO time')
    .action(
      action(async (o: Json & { action?: string; since?: string }) => {
        const since = o.since === undefined ? 0 : Date.parse(o.since);
        if (Number.isNaN(since))
          throw new LeaseholdError('INVALID_INPUT', '--since takes an ISO time such as 2027-01-31T00:00:00Z');
        const entries = await withServer(env, o.dataDir, async (s) =>
          s.leases.audit({ ...(o.action ? { action: o.action } : {}), sinceMs: since }),
        );
        for (const entry of entries) stdout().write(`${JSON.stringify(entry)}\n`);
      }),
    );

  audit
    .command('verify')
    .description("check the audit log's hash chain: exits non-zero naming the first edited or deleted entry")
    .addOption(dataDir())
    .addOption(json())
    .action(
      action(async (o: Json) => {
        const { verdict, anchor } = await withServer(env, o.dataDir, async (s) => ({
          verdict: verifyAuditChain(s.store.db),
          anchor: s.store.meta('audit.anchor'),
        }));
        if (!verdict.ok)
          throw new LeaseholdError('AUDIT_CHAIN_BROKEN', `entry ${verdict.brokenAt}: ${verdict.reason}`);
        // What a chain on this machine can prove, and what only the vendor's copy of its head can (S12).
        const anchoredThrough = anchor === undefined ? null : Number(anchor);
        print(o, { ...verdict, anchoredThrough }, () =>
          [
            `audit log intact: ${verdict.entries} entries, chain ends ${verdict.lastHash ?? '(empty)'}`,
            anchoredThrough === null
              ? 'not yet anchored: until a sync reports its head to the vendor, someone who drops the triggers can cut or recompute the whole chain and this check still passes'
              : `anchored through entry ${anchoredThrough}: the vendor holds that head, so entries up to it cannot be cut or rewritten without the next sync showing AUDIT_CHAIN_NOT_EXTENDING; later entries can be, by someone who drops the triggers, until then`,
          ].join('\n'),
        );
      }),
    );
}
