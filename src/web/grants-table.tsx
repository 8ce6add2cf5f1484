import type { GrantInfo } from '../oauth/grants.ts';
import { DangerButton } from './layout.tsx';

const METHOD_LABELS: Record<GrantInfo['method'], string> = { api_key: 'API key', oidc: 'OpenID Connect' };

/**
 * A tenant's live OAuth grants ("connected apps"), each with a revoke button posting to
 * `revokeAction(id)`. `clientNames` maps client ids to the names the apps registered.
 */
export function GrantsTable(props: { grants: GrantInfo[]; clientNames: ReadonlyMap<string, string>; csrf: string; revokeAction: (id: string) => string; accessTokenTtlSeconds: number }) {
  const when = (iso: string | null) => iso?.slice(0, 16).replace('T', ' ') ?? '—';
  return (
    <>
      {props.grants.length === 0 ? (
        <p class="muted">No connected apps.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Signed in as</th>
              <th scope="col">Scopes</th>
              <th scope="col">Sign-in method</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.grants.map((g) => {
              const name = props.clientNames.get(g.clientId) ?? g.clientId;
              return (
                <tr data-grant-row={g.id}>
                  <td>
                    {name}
                    <br />
                    <code class="muted">{g.clientId}</code>
                  </td>
                  <td>
                    <code>{g.subject}</code>
                  </td>
                  <td>
                    <code>{g.scopes.join(' ')}</code>
                  </td>
                  <td>{METHOD_LABELS[g.method]}</td>
                  <td>{when(g.createdAt)}</td>
                  <td>{when(g.lastUsedAt)}</td>
                  <td>
                    <DangerButton action={props.revokeAction(g.id)} csrf={props.csrf} label={`Revoke ${name} (grant ${g.id})`}>
                      Revoke
                    </DangerButton>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p class="muted">{`Revoking ends the app's refresh at once; the access tokens it already holds stop working within ${props.accessTokenTtlSeconds} s (OAUTH_ACCESS_TOKEN_TTL_SECONDS).`}</p>
    </>
  );
}
