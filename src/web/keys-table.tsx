import type { KeyInfo } from '../services/keys.ts';
import { CsrfField, DangerButton } from './layout.tsx';

/** A tenant's keys (never a secret), each live one with a revoke button posting to `revokeAction(id)`. */
export function KeysTable(props: { keys: KeyInfo[]; csrf: string; revokeAction: (id: string) => string; usageHref?: (id: string) => string }) {
  if (props.keys.length === 0) return <p class="muted">No keys yet.</p>;
  const now = Date.now();
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Id</th>
          <th scope="col">Name</th>
          <th scope="col">Scopes</th>
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          <th scope="col">State</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.keys.map((k) => {
          const expired = k.expiresAt !== null && Date.parse(k.expiresAt) <= now;
          const state = k.revokedAt ? 'revoked' : expired ? 'expired' : 'active';
          return (
            <tr data-key-row={k.id}>
              <td>{props.usageHref ? <a href={props.usageHref(k.id)}><code>{k.id}</code></a> : <code>{k.id}</code>}</td>
              <td>{k.name}</td>
              <td>
                <code>{k.scopes.join(' ')}</code>
              </td>
              <td>{k.createdAt.slice(0, 16).replace('T', ' ')}</td>
              <td>{k.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? '—'}</td>
              <td>
                <span class={`badge ${state}`}>{state}</span>
                {k.expiresAt && !k.revokedAt && <span class="muted">{` until ${k.expiresAt.slice(0, 10)}`}</span>}
              </td>
              <td>
                {state === 'active' && (
                  <DangerButton action={props.revokeAction(k.id)} csrf={props.csrf} label={`Revoke key ${k.name} (${k.id})`}>
                    Revoke
                  </DangerButton>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The form that creates a key: name, scopes and an optional lifetime. */
export function CreateKeyForm(props: { action: string; csrf: string; scopeHint: string }) {
  return (
    <form method="post" action={props.action} class="inline">
      <CsrfField token={props.csrf} />
      <label>
        Name
        <input name="name" maxlength={200} placeholder="laptop" />
      </label>
      <label>
        Scopes (comma or space separated)
        <input name="scopes" required maxlength={2000} placeholder={props.scopeHint} size={30} />
      </label>
      <label>
        Expires in (optional)
        <input name="expiresIn" maxlength={16} placeholder="30d" size={8} />
      </label>
      <button type="submit">Create key</button>
    </form>
  );
}
