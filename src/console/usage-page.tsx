import { usageOutcomes } from '../db/schema.ts';
import type { UsageOverview, UsageRow } from '../services/usage.ts';
import { LatencyChart, OutcomeChart } from '../web/charts.tsx';
import { Flash, Layout } from '../web/layout.tsx';
import { rangeChoices, type TimeRange } from '../web/time-range.ts';
import { UsageTable } from '../web/usage-table.tsx';
import { consoleNav } from './console-nav.ts';

/** The explorer's filters, as typed. */
export interface ExplorerFilter {
  tenant?: string;
  keyId?: string;
  tool?: string;
  outcome?: string;
}

/** The usage explorer: filters, a chart and the matching rows, and downloads of all of them. */
export function UsagePage(props: { csrf: string; filter: ExplorerFilter; range: TimeRange; overview?: UsageOverview; rows: UsageRow[]; next: string | null; error?: string }) {
  const { filter, range } = props;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) params.set(k, v);
  params.set('range', range.range);
  if (range.range === 'custom') {
    params.set('since', range.sinceText);
    if (range.untilText) params.set('until', range.untilText);
  }
  const download = (format: string) => `/console/usage/export?${params.toString()}&format=${format}`;
  return (
    <Layout title="Usage explorer" base="/console" brand="tenant-mcp console" nav={consoleNav} csrf={props.csrf}>
      <h1>Usage explorer</h1>
      <Flash error={props.error} />
      <form method="get" action="/console/usage" class="inline" aria-label="Filters">
        <label>
          Tenant
          <input name="tenant" value={filter.tenant ?? ''} maxlength={63} size={12} />
        </label>
        <label>
          Key id
          <input name="keyId" value={filter.keyId ?? ''} maxlength={64} size={14} />
        </label>
        <label>
          Tool
          <input name="tool" value={filter.tool ?? ''} maxlength={128} size={12} />
        </label>
        <label>
          Outcome
          <select name="outcome">
            <option value="">any</option>
            {usageOutcomes.map((o) => (
              <option value={o} selected={filter.outcome === o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          Range
          <select name="range">
            {rangeChoices.map((r) => (
              <option value={r} selected={range.range === r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          From (UTC, custom)
          <input type="datetime-local" name="since" value={range.sinceText} />
        </label>
        <label>
          To (UTC, custom)
          <input type="datetime-local" name="until" value={range.untilText} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {props.overview && (
        <>
          <section class="panel">
            <h2>{`Calls over time (${props.overview.totals.calls})`}</h2>
            <OutcomeChart buckets={props.overview.buckets} bucketMs={range.bucketMs} title="Matching calls over time" />
            <LatencyChart buckets={props.overview.buckets} bucketMs={range.bucketMs} title="p50 and p95 duration of matching calls" />
          </section>
          <p>
            Download every matching event: <a href={download('csv')}>CSV</a> · <a href={download('ndjson')}>NDJSON</a>
          </p>
          <h2>Events, oldest first</h2>
          <UsageTable rows={props.rows} />
          {props.next && <p><a href={`/console/usage?${params.toString()}&cursor=${encodeURIComponent(props.next)}`}>Next page</a></p>}
        </>
      )}
    </Layout>
  );
}
