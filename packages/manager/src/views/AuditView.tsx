import { type FormEvent, useCallback, useState } from 'react';
import type { AuditEntry } from '../api/types.ts';
import { useApi } from '../apiContext.ts';
import { toCsv, toJsonLines } from '../audit/exportLog.ts';
import { ErrorBanner } from '../Banner.tsx';
import { downloadText } from '../download.ts';
import { dateTime } from '../format.ts';
import { PageHeading } from '../PageHeading.tsx';
import { usePolled } from '../useAsync.ts';

const ACTIONS = [
  'lease.granted',
  'lease.renewed',
  'lease.released',
  'lease.force-released',
  'lease.expired',
  'lease.denied',
  'lease.withdrawn',
  'checkout.granted',
  'checkout.returned',
  'sync',
  'sync.failed',
  'sync.auto',
  'admin.login',
  'admin.login-failed',
  'admin.logout',
  'admin.password-changed',
  'admin.token-created',
  'admin.token-revoked',
];
// The table shows the newest entries; the export always has every entry the filters select.
const SHOWN = 500;

interface Filters {
  action: string;
  since: string;
}

function query({ action, since }: Filters): string {
  const params = new URLSearchParams();
  if (action) params.set('action', action);
  if (since) params.set('since', new Date(since).toISOString());
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** History → Audit log (L7): filter by action and time, export as JSON lines or CSV. */
export function AuditView() {
  const api = useApi();
  const [draft, setDraft] = useState<Filters>({ action: '', since: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const read = useCallback(
    () => api.get<{ entries: AuditEntry[] }>(`/audit${query(filters)}`).then((a) => a.entries),
    [api, filters],
  );
  const audit = usePolled(read, undefined);
  const entries = audit.data ?? [];
  const newest = entries.slice(-SHOWN).reverse();
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };
  const stamp = new Date().toISOString().slice(0, 10);
  return (
    <>
      <PageHeading intro="Every grant, renewal, release, expiry, denial, sync and login, oldest first in the export.">
        Audit log
      </PageHeading>
      <form className="filters" onSubmit={apply} aria-label="Audit log filters">
        <div>
          <label htmlFor="audit-action">Action</label>
          <select
            id="audit-action"
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.target.value })}
          >
            <option value="">All actions</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="audit-since">Since</label>
          <input
            id="audit-since"
            type="datetime-local"
            value={draft.since}
            onChange={(e) => setDraft({ ...draft, since: e.target.value })}
          />
        </div>
        <button type="submit" className="primary">
          Apply filters
        </button>
      </form>
      <div className="toolbar">
        <button
          type="button"
          disabled={entries.length === 0}
          onClick={() =>
            downloadText(`leasehold-audit-${stamp}.jsonl`, toJsonLines(entries), 'application/x-ndjson')
          }
        >
          Export JSON lines
        </button>
        <button
          type="button"
          disabled={entries.length === 0}
          onClick={() => downloadText(`leasehold-audit-${stamp}.csv`, toCsv(entries), 'text/csv')}
        >
          Export CSV
        </button>
        <span className="hint" id="audit-count" aria-live="polite">
          {audit.loading
            ? 'Reading…'
            : entries.length > SHOWN
              ? `${entries.length} entries; the newest ${SHOWN} are shown, the export has all`
              : `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`}
        </span>
      </div>
      <ErrorBanner error={audit.error} title="Could not read the audit log" />
      <table id="audit" aria-label="Audit log, newest first">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">User</th>
            <th scope="col">Computer</th>
            <th scope="col">License</th>
            <th scope="col">Code</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {newest.map((e, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: entries have no id; each read replaces the whole list
            <tr key={`${e.at}/${i}`} data-action={e.action}>
              <td>{dateTime(e.at)}</td>
              <td>{e.action}</td>
              <td>{e.user ?? ''}</td>
              <td>{e.computer ?? ''}</td>
              <td className="license-number">{e.licenseNumber ?? ''}</td>
              <td>{e.code ? <code>{e.code}</code> : ''}</td>
              <td>{e.detail ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        Same as <code>leasehold server audit</code> (JSON lines).
      </p>
    </>
  );
}
