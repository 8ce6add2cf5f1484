import { CsrfField, DangerButton } from '../web/layout.tsx';

/** Whether the tenant has stored its secret for one `secret` connector. */
export interface ConnectorSecretState {
  name: string;
  secretHeader: string;
  set: boolean;
  updatedAt: Date | null;
}

/**
 * The tenant's credentials for connectors that send a per-tenant secret: set or replace one
 * (never shown back), or remove it. Absent when no connector needs one.
 */
export function ConnectorSecretsPanel(props: { connectors: ConnectorSecretState[]; csrf: string }) {
  if (props.connectors.length === 0) return null;
  return (
    <section class="panel">
      <h2>Connector credentials</h2>
      <p class="muted">
        Some tools call another service on your behalf with your own credential for it (for instance your API token there). It is stored encrypted, sent only with
        your organisation's calls, and never shown again.
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Connector</th>
            <th scope="col">Sent as</th>
            <th scope="col">Status</th>
            <th scope="col">Set a new credential</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.connectors.map((c) => {
            const id = `secret-${c.name}`;
            return (
              <tr data-connector-row={c.name}>
                <td>
                  <code>{c.name}</code>
                </td>
                <td>
                  <code>{c.secretHeader}</code> header
                </td>
                <td>{c.set ? `Set ${c.updatedAt?.toISOString().slice(0, 16).replace('T', ' ')}` : 'Not set: its tools answer with an error'}</td>
                <td>
                  <form method="post" action={`/portal/connectors/${encodeURIComponent(c.name)}/secret`}>
                    <CsrfField token={props.csrf} />
                    <label for={id} class="visually-hidden">{`New credential for ${c.name}`}</label>
                    <input id={id} name="secret" type="password" autocomplete="off" required maxlength={8192} />
                    <button type="submit">Save</button>
                  </form>
                </td>
                <td>
                  {c.set && (
                    <DangerButton action={`/portal/connectors/${encodeURIComponent(c.name)}/secret/remove`} csrf={props.csrf} label={`Remove the credential for ${c.name}`}>
                      Remove
                    </DangerButton>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
