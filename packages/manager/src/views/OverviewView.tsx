import { useCallback, useRef, useState } from 'react';
import type { ComponentUsage, CurrentUser } from '../api/types.ts';
import { useApi } from '../apiContext.ts';
import { ErrorBanner, SuccessBanner } from '../Banner.tsx';
import { dateTime, daysRemainingText } from '../format.ts';
import type { ViewProps } from '../Layout.tsx';
import { POLL_MS } from '../Layout.tsx';
import { ComponentsTable } from '../overview/ComponentsTable.tsx';
import { Messages } from '../overview/Messages.tsx';
import { isConsistent, type Overview, readOverview } from '../overview/snapshot.ts';
import { UsersTable } from '../overview/UsersTable.tsx';
import { PageHeading } from '../PageHeading.tsx';
import { useAction, usePolled } from '../useAsync.ts';

const ALL = '';

/**
 * Where applications connect: the status document's address when it has one, or else this origin
 * (the Manager is served on the client port).
 */
function clientAddress(fromStatus: string | undefined): { address: string; note?: string } {
  if (fromStatus) return { address: fromStatus };
  const { origin, hostname } = window.location;
  const loopback = hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  return loopback
    ? {
        address: origin,
        note: `from other computers, use this computer's network name instead of ${hostname}`,
      }
    : { address: origin };
}

export function OverviewView({ status, reloadStatus }: ViewProps) {
  const api = useApi();
  // Under heavy churn the tables may not agree within a few reads: keep showing the last pair that did.
  const lastAgreed = useRef<Overview | undefined>(undefined);
  const read = useCallback(async () => {
    const snapshot = await readOverview(async () => {
      const [components, users] = await Promise.all([
        api.get<{ components: ComponentUsage[] }>('/components'),
        api.get<{ users: CurrentUser[] }>('/users'),
      ]);
      return { components: components.components, users: users.users };
    });
    if (isConsistent(snapshot) || !lastAgreed.current) lastAgreed.current = snapshot;
    return lastAgreed.current;
  }, [api]);
  const overview = usePolled(read, POLL_MS);
  const [license, setLicense] = useState(ALL);
  const release = useAction(async (user: CurrentUser) => {
    const answer = await api.delete<{ released: string }>(`/leases/${encodeURIComponent(user.leaseId)}`);
    await overview.reload();
    return { ...answer, user };
  });
  const refresh = async () => {
    await Promise.all([overview.reload(), reloadStatus()]);
  };

  const licenses = status?.licenses ?? [];
  const shown = <T extends { licenseNumber: string }>(rows: T[] | undefined) =>
    (rows ?? []).filter((r) => license === ALL || r.licenseNumber === license);
  const address = clientAddress(status?.clientUrl);

  return (
    <>
      <PageHeading>Overview</PageHeading>
      <section className="facts" aria-label="License server">
        <dl>
          <div>
            <dt>License server id</dt>
            <dd>{status?.licenseServerId ?? '…'}</dd>
          </div>
          <div>
            <dt>Address for clients</dt>
            <dd>
              <code id="client-address">{address.address}</code>
              {address.note ? <span className="hint"> ({address.note})</span> : null}
            </dd>
          </div>
          <div>
            <dt>Synchronization</dt>
            <dd id="days-remaining" className={status && !status.synchronized ? 'bad' : undefined}>
              {status ? daysRemainingText(status.daysRemaining, status.synchronized) : '…'}
            </dd>
          </div>
          <div>
            <dt>Last sync</dt>
            <dd>{dateTime(status?.lastSyncAt)}</dd>
          </div>
        </dl>
        <div className="license-select">
          <label htmlFor="license-select">License numbers</label>
          <select id="license-select" value={license} onChange={(e) => setLicense(e.target.value)}>
            <option value={ALL}>All licenses ({licenses.length})</option>
            {licenses.map((l) => (
              <option key={l.number} value={l.number}>
                {l.number}
                {l.name ? ` — ${l.name}` : ''}
              </option>
            ))}
          </select>
        </div>
      </section>

      <Messages messages={status?.messages ?? []} />

      <div className="toolbar">
        <button type="button" onClick={refresh} disabled={overview.loading && !overview.data}>
          Refresh
        </button>
        <span className="hint" aria-live="off">
          Updates every {POLL_MS / 1000} s · read at{' '}
          <span id="read-at">{dateTime(overview.readAt?.toISOString())}</span>
        </span>
      </div>
      <ErrorBanner error={overview.error} title="Could not read the tables" />
      <ErrorBanner error={release.error} title="Could not release the lease" />
      {release.result ? (
        <SuccessBanner>
          Released the lease of {release.result.user.user} on {release.result.user.computer}; its seats are
          free again.
        </SuccessBanner>
      ) : null}

      <ComponentsTable rows={shown(overview.data?.components)} showLicense={license === ALL} />
      <UsersTable
        rows={shown(overview.data?.users)}
        showLicense={license === ALL}
        releasing={release.running}
        onRelease={(user) => void release.run(user)}
      />
    </>
  );
}
