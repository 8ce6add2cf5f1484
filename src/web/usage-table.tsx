import type { UsageRow } from '../services/usage.ts';

/** Usage events as rows, oldest first; never arguments, results or secrets (the log holds none). */
export function UsageTable(props: { rows: UsageRow[]; showTenant?: boolean }) {
  if (props.rows.length === 0) return <p class="muted">No calls match.</p>;
  return (
    <table data-usage-rows={String(props.rows.length)}>
      <thead>
        <tr>
          <th scope="col">Time (UTC)</th>
          {props.showTenant !== false && <th scope="col">Tenant</th>}
          <th scope="col">Key</th>
          <th scope="col">Tool</th>
          <th scope="col">Outcome</th>
          <th scope="col" class="num">
            ms
          </th>
          <th scope="col">Client</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr data-key-id={r.keyId ?? ''} data-tool={r.tool ?? ''} data-outcome={r.outcome}>
            <td>{r.at.replace('T', ' ').slice(0, 19)}</td>
            {props.showTenant !== false && <td>{r.tenant ?? ''}</td>}
            <td>
              <code>{r.keyId ?? r.subject ?? ''}</code>
            </td>
            <td>{r.tool ?? '—'}</td>
            <td>{r.outcome}</td>
            <td class="num">{r.durationMs}</td>
            <td class="muted">{(r.userAgent ?? '').slice(0, 60)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
