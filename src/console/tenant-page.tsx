import type { Tenant } from '../db/schema.ts';
import type { GrantInfo } from '../oauth/grants.ts';
import type { ConnectionSnippets } from '../services/connection-snippets.ts';
import type { IssuerInfo } from '../services/issuers.ts';
import type { CreatedKey, KeyInfo } from '../services/keys.ts';
import type { LimitInfo } from '../services/limits.ts';
import type { UsageOverview } from '../services/usage.ts';
import { OutcomeChart } from '../web/charts.tsx';
import { CreatedKeyPanel } from '../web/created-key.tsx';
import { GrantsTable } from '../web/grants-table.tsx';
import { CreateKeyForm, KeysTable } from '../web/keys-table.tsx';
import { CsrfField, DangerButton, Flash, Layout } from '../web/layout.tsx';
import { RangeForm } from '../web/range-form.tsx';
import type { TimeRange } from '../web/time-range.ts';
import { consoleNav } from './console-nav.ts';

/** Props of {@link TenantPage}. */
export interface TenantPageProps {
  csrf: string;
  tenant: Tenant;
  range: TimeRange;
  overview: UsageOverview;
  keys: KeyInfo[];
  limits: LimitInfo[];
  issuers: IssuerInfo[];
  /** Live OAuth grants, and the names of the clients they went to. */
  grants: GrantInfo[];
  clientNames: ReadonlyMap<string, string>;
  accessTokenTtlSeconds: number;
  created?: { key: CreatedKey; snippets: ConnectionSnippets };
  error?: string;
  notice?: string;
}

/** One tenant: usage, plan and status, limits, keys, trusted issuers, OAuth clients and grants. */
export function TenantPage(props: TenantPageProps) {
  const { tenant, csrf } = props;
  const base = `/console/tenants/${encodeURIComponent(tenant.slug)}`;
  return (
    <Layout title={tenant.slug} base="/console" brand="tenant-mcp console" nav={consoleNav} csrf={csrf}>
      <h1>
        {tenant.name} <code>{tenant.slug}</code> <span class={`badge ${tenant.status}`}>{tenant.status}</span>
      </h1>
      <Flash error={props.error} notice={props.notice} />
      {props.created && <CreatedKeyPanel created={props.created.key} snippets={props.created.snippets} />}

      <section class="panel">
        <h2>Usage</h2>
        <RangeForm action={base} range={props.range} />
        <OutcomeChart buckets={props.overview.buckets} bucketMs={props.range.bucketMs} title={`Calls of ${tenant.slug} over time`} />
        <p>
          <a href={`/console/usage?tenant=${encodeURIComponent(tenant.slug)}`}>Explore this tenant's calls</a>
        </p>
      </section>

      <div class="grid">
        <section class="panel">
          <h2>Plan</h2>
          <form method="post" action={`${base}/scopes`} class="inline">
            <CsrfField token={csrf} />
            <label>
              Plan scopes
              <input name="scopes" required maxlength={2000} value={tenant.scopes.join(' ')} size={30} />
            </label>
            <button type="submit">Save scopes</button>
          </form>
          <form method="post" action={`${base}/status`} class="inline">
            <CsrfField token={csrf} />
            <input type="hidden" name="status" value={tenant.status === 'active' ? 'suspended' : 'active'} />
            <button type="submit" class={tenant.status === 'active' ? 'danger' : ''}>
              {tenant.status === 'active' ? 'Suspend tenant' : 'Resume tenant'}
            </button>
          </form>
          <p class="muted">A suspended tenant's keys and tokens are refused within the key cache TTL.</p>
        </section>

        <section class="panel">
          <h2>Limits</h2>
          {props.limits.length === 0 ? (
            <p class="muted">No limits.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Tool</th>
                  <th scope="col">Rate</th>
                  <th scope="col">Quota</th>
                </tr>
              </thead>
              <tbody>
                {props.limits.map((l) => (
                  <tr>
                    <td>{l.keyId ?? 'all keys'}</td>
                    <td>{l.tool ?? 'all tools'}</td>
                    <td>{l.rate ?? '—'}</td>
                    <td>{l.quota ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form method="post" action={`${base}/limits`} class="inline">
            <CsrfField token={csrf} />
            <label>
              Key id (optional)
              <input name="keyId" maxlength={64} size={14} />
            </label>
            <label>
              Tool (optional)
              <input name="tool" maxlength={128} size={12} />
            </label>
            <label>
              Rate
              <input name="rate" maxlength={32} placeholder="60/min or none" size={12} />
            </label>
            <label>
              Quota
              <input name="quota" maxlength={32} placeholder="100000/month or none" size={16} />
            </label>
            <button type="submit">Set limit</button>
          </form>
        </section>
      </div>

      <section class="panel">
        <h2>Keys</h2>
        <KeysTable keys={props.keys} csrf={csrf} revokeAction={(id) => `${base}/keys/${encodeURIComponent(id)}/revoke`} usageHref={(id) => `/console/usage?tenant=${encodeURIComponent(tenant.slug)}&keyId=${encodeURIComponent(id)}`} />
        <h3>Create a key</h3>
        <CreateKeyForm action={`${base}/keys`} csrf={csrf} scopeHint={tenant.scopes.join(' ')} />
      </section>

      <section class="panel">
        <h2>Trusted issuers</h2>
        {props.issuers.length === 0 ? (
          <p class="muted">None. Add one with the CLI (tenant-mcp issuer add) or the admin API.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Issuer</th>
                <th scope="col">Keys</th>
                <th scope="col">Tenant claim</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.issuers.map((i) => (
                <tr>
                  <td>
                    <code>{i.issuer}</code>
                  </td>
                  <td>{i.jwksUri ?? `${i.inlineKeys} inline`}</td>
                  <td>{i.tenantClaim ? `${i.tenantClaim}=${i.tenantClaimValue}` : '—'}</td>
                  <td>
                    <DangerButton action={`${base}/issuers/${encodeURIComponent(i.id)}/remove`} csrf={csrf} label={`Stop trusting ${i.issuer}`}>
                      Remove
                    </DangerButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section class="panel">
        <h2>OAuth clients and grants</h2>
        {props.clientNames.size > 0 && (
          <p>
            {'Clients in use: '}
            {[...props.clientNames].map(([id, name], i) => (
              <>
                {i > 0 && ', '}
                {name} <code class="muted">{id}</code>
              </>
            ))}
          </p>
        )}
        <GrantsTable grants={props.grants} clientNames={props.clientNames} csrf={csrf} revokeAction={(id) => `${base}/grants/${encodeURIComponent(id)}/revoke`} accessTokenTtlSeconds={props.accessTokenTtlSeconds} />
      </section>
    </Layout>
  );
}
