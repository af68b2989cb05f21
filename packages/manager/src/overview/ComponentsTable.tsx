import type { ComponentUsage } from '../api/types.ts';

export function ComponentsTable({ rows, showLicense }: { rows: ComponentUsage[]; showLicense: boolean }) {
  return (
    <section aria-labelledby="components-title">
      <h3 id="components-title">Components</h3>
      <table id="components" aria-labelledby="components-title">
        <thead>
          <tr>
            {showLicense ? <th scope="col">License</th> : null}
            <th scope="col">Component</th>
            <th scope="col" className="num">
              In use
            </th>
            <th scope="col" className="num">
              Max users
            </th>
            <th scope="col" className="num">
              Free
            </th>
            <th scope="col">Expiry</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={showLicense ? 6 : 5} className="empty">
                No licenses yet: synchronize the server to receive them.
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr
                key={`${row.licenseNumber}/${row.component}`}
                data-component={row.component}
                className={row.active ? undefined : 'inactive'}
              >
                {showLicense ? <td className="license-number">{row.licenseNumber}</td> : null}
                <th scope="row">{row.component}</th>
                <td className="num" data-col="inUse">
                  {row.inUse}
                </td>
                <td className="num" data-col="maxUsers">
                  {row.maxUsers}
                </td>
                <td className="num" data-col="free">
                  {row.free}
                </td>
                <td>
                  {row.expiryDate}
                  {row.active ? '' : ' (not active)'}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </section>
  );
}
