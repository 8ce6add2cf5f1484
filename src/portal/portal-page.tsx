import type { Tenant } from '../db/schema.ts';
import type { GrantInfo } from '../oauth/grants.ts';
import type { ConnectionSnippets } from '../services/connection-snippets.ts';
import type { CreatedKey, KeyInfo } from '../services/keys.ts';
import { type ConnectorSecretState, ConnectorSecretsPanel } from './connector-secrets-panel.tsx';
import type { PortalAdmin } from './portal-sign-in.tsx';
import type { LimitInfo } from '../services/limits.ts';
import type { UsageOverview, UsageRow } from '../services/usage.ts';
import { LatencyChart, OutcomeChart } from '../web/charts.tsx';
import { CreatedKeyPanel } from '../web/created-key.tsx';
import { GrantsTable } from '../web/grants-table.tsx';
import { CreateKeyForm, KeysTable } from '../web/keys-table.tsx';
import { Flash, Layout } from '../web/layout.tsx';
import { RangeForm } from '../web/range-form.tsx';
import type { TimeRange } from '../web/time-range.ts';
import { UsageTable } from '../web/usage-table.tsx';

/** A quota and how much of it this month has used. */
export interface QuotaUse {
  limit: LimitInfo;
  used: number;
}

/** Props of {@link PortalPage}. */
export interface PortalPageProps {
  csrf: string;
  tenant: Tenant;
  /** Who is signed in. */
  signedIn: Pick<PortalAdmin, 'label' | 'ceiling' | 'viaKey'>;
  range: TimeRange;
  keyFilter?: string;
  overview: UsageOverview;
  rows: UsageRow[];
  keys: KeyInfo[];
  limits: LimitInfo[];
  quotas: QuotaUse[];
  monthCalls: number;
  /** This tenant's live OAuth grants (connected apps), and the names of their clients. */
  grants: GrantInfo[];
  clientNames: ReadonlyMap<string, string>;
  accessTokenTtlSeconds: number;
  /** Connectors that send a per-tenant secret, and whether this tenant has set its own. */
  connectorSecrets: ConnectorSecretState[];
  created?: { key: CreatedKey; snippets: ConnectionSnippets };
  error?: string;
  notice?: string;
}

/** The customer page: only the signed-in tenant's usage, keys, limits, quota use and connected apps. */
export function PortalPage(props: PortalPageProps) {
  const { tenant, csrf } = props;
  return (
    <Layout title={tenant.name} base="/portal" brand={`${tenant.name} · MCP access`} csrf={csrf}>
      <h1>{tenant.name}</h1>
      <p class="muted">{`Signed in ${props.signedIn.label}.`}</p>
      <Flash error={props.error} notice={props.notice} />
      {props.created && <CreatedKeyPanel created={props.created.key} snippets={props.created.snippets} />}

      <section class="panel">
        <h2>Usage</h2>
        <RangeForm action="/portal" range={props.range} hidden={{ keyId: props.keyFilter }} />
        {props.keyFilter && (
          <p>
            Showing key <code>{props.keyFilter}</code> only. <a href="/portal">Show all keys</a>
          </p>
        )}
        <OutcomeChart buckets={props.overview.buckets} bucketMs={props.range.bucketMs} title="Your calls over time" />
        <LatencyChart buckets={props.overview.buckets} bucketMs={props.range.bucketMs} title="p50 and p95 duration of your calls" />
        <details>
          <summary>{`Latest calls (${props.rows.length})`}</summary>
          <UsageTable rows={props.rows} showTenant={false} />
        </details>
      </section>

      <section class="panel">
        <h2>Limits and this month's use</h2>
        <p>
          <strong>{props.monthCalls}</strong> calls admitted this month (UTC).
        </p>
        {props.limits.length === 0 ? (
          <p class="muted">Your plan sets no rate limit or quota.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Applies to</th>
                <th scope="col">Rate</th>
                <th scope="col">Quota</th>
                <th scope="col" class="num">
                  Used this month
                </th>
              </tr>
            </thead>
            <tbody>
              {props.limits.map((l) => {
                const quota = props.quotas.find((q) => q.limit === l);
                return (
                  <tr>
                    <td>{[l.keyId ? `key ${l.keyId}` : 'all keys', l.tool ? `tool ${l.tool}` : 'all tools'].join(', ')}</td>
                    <td>{l.rate ?? '—'}</td>
                    <td>{l.quota ?? '—'}</td>
                    <td class="num">{quota ? `${quota.used} of ${l.quota!.split('/')[0]}` : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      <section class="panel">
        <h2>Your keys</h2>
        <KeysTable keys={props.keys} csrf={csrf} revokeAction={(id) => `/portal/keys/${encodeURIComponent(id)}/revoke`} usageHref={(id) => `/portal?keyId=${encodeURIComponent(id)}`} />
        <h3>Create a key</h3>
        <p class="muted">
          {props.signedIn.viaKey
            ? `Within your plan (${tenant.scopes.join(' ')}) and your own key's scopes (${props.signedIn.ceiling.join(' ')}).`
            : `Within your plan (${tenant.scopes.join(' ')}) and what your sign-in allows (${props.signedIn.ceiling.join(' ')}); administrator keys (tenant:admin) come from your provider.`}
        </p>
        <CreateKeyForm action="/portal/keys" csrf={csrf} scopeHint={props.signedIn.ceiling.filter((s) => s !== 'tenant:admin').join(' ') || 'math'} />
      </section>

      <section class="panel">
        <h2>Connected apps</h2>
        <p class="muted">Apps (ChatGPT, Claude, VS Code…) you or your users signed in to through OAuth.</p>
        <GrantsTable grants={props.grants} clientNames={props.clientNames} csrf={csrf} revokeAction={(id) => `/portal/apps/${encodeURIComponent(id)}/revoke`} accessTokenTtlSeconds={props.accessTokenTtlSeconds} />
      </section>

      <ConnectorSecretsPanel connectors={props.connectorSecrets} csrf={csrf} />
    </Layout>
  );
}
