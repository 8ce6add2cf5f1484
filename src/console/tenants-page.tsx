import type { Tenant } from '../db/schema.ts';
import { CsrfField, Flash, Layout } from '../web/layout.tsx';
import { consoleNav } from './console-nav.ts';

/** Tenants: search by slug or name, and create one. */
export function TenantsPage(props: { csrf: string; tenants: Tenant[]; q: string; error?: string; notice?: string }) {
  return (
    <Layout title="Tenants" base="/console" brand="tenant-mcp console" nav={consoleNav} csrf={props.csrf}>
      <h1>Tenants</h1>
      <Flash error={props.error} notice={props.notice} />
      <form method="get" action="/console/tenants" class="inline" role="search">
        <label>
          Search by slug or name
          <input type="search" name="q" value={props.q} maxlength={200} />
        </label>
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">Slug</th>
            <th scope="col">Name</th>
            <th scope="col">Plan scopes</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {props.tenants.map((t) => (
            <tr>
              <td>
                <a href={`/console/tenants/${encodeURIComponent(t.slug)}`}>{t.slug}</a>
              </td>
              <td>{t.name}</td>
              <td>
                <code>{t.scopes.join(' ')}</code>
              </td>
              <td>
                <span class={`badge ${t.status}`}>{t.status}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.tenants.length === 0 && <p class="muted">No tenant matches.</p>}
      <section class="panel">
        <h2>Create a tenant</h2>
        <form method="post" action="/console/tenants" class="inline">
          <CsrfField token={props.csrf} />
          <label>
            Slug
            <input name="slug" required pattern="[a-z0-9][a-z0-9\-]{0,62}" maxlength={63} placeholder="acme" />
          </label>
          <label>
            Name
            <input name="name" maxlength={200} placeholder="Acme Inc." />
          </label>
          <label>
            Plan scopes (comma or space separated)
            <input name="scopes" required maxlength={2000} placeholder="math, notes:*" size={30} />
          </label>
          <button type="submit">Create tenant</button>
        </form>
      </section>
    </Layout>
  );
}
