import type { CurrentUser } from '../api/types.ts';
import { dateTime } from '../format.ts';

interface Props {
  rows: CurrentUser[];
  showLicense: boolean;
  releasing: boolean;
  onRelease: (user: CurrentUser) => void;
}

export function UsersTable({ rows, showLicense, releasing, onRelease }: Props) {
  return (
    <section aria-labelledby="users-title">
      <h3 id="users-title">Current users</h3>
      <table id="users" aria-labelledby="users-title">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Computer</th>
            <th scope="col">Components</th>
            <th scope="col">Type</th>
            {showLicense ? <th scope="col">License</th> : null}
            <th scope="col">Since</th>
            <th scope="col">Until</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={showLicense ? 8 : 7} className="empty">
                Nobody holds a license right now.
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={row.leaseId} data-lease={row.leaseId}>
                <th scope="row">{row.user}</th>
                <td>{row.computer}</td>
                <td>{row.components.join(', ')}</td>
                <td>{row.kind === 'floating' ? 'Floating' : 'Checkout'}</td>
                {showLicense ? <td className="license-number">{row.licenseNumber}</td> : null}
                <td className="time">{dateTime(row.since)}</td>
                <td className="time">{dateTime(row.until)}</td>
                <td>
                  {row.kind === 'floating' ? (
                    <button
                      type="button"
                      className="danger small"
                      disabled={releasing}
                      aria-label={`Release the lease of ${row.user} on ${row.computer}`}
                      onClick={() => {
                        if (
                          window.confirm(
                            `Release the lease of ${row.user} on ${row.computer}? The application loses its license at its next renewal.`,
                          )
                        )
                          onRelease(row);
                      }}
                    >
                      Release
                    </button>
                  ) : (
                    <span
                      className="hint"
                      title="A checkout lives on a disconnected computer; it ends at its time"
                    >
                      ends at its time
                    </span>
                  )}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </section>
  );
}
