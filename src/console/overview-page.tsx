import type { UsageOverview } from '../services/usage.ts';
import { LatencyChart, OutcomeChart, TopChart } from '../web/charts.tsx';
import { Layout } from '../web/layout.tsx';
import { RangeForm } from '../web/range-form.tsx';
import type { TimeRange } from '../web/time-range.ts';
import { consoleNav } from './console-nav.ts';

/** The console's landing page: calls by outcome, latency, top tenants and tools, over a chosen range. */
export function OverviewPage(props: { csrf: string; range: TimeRange; overview: UsageOverview }) {
  const { overview, range } = props;
  const t = overview.totals;
  const query = `range=${range.range}${range.range === 'custom' ? `&since=${encodeURIComponent(range.sinceText)}&until=${encodeURIComponent(range.untilText)}` : ''}`;
  return (
    <Layout title="Overview" base="/console" brand="tenant-mcp console" nav={consoleNav} csrf={props.csrf}>
      <h1>Overview</h1>
      <RangeForm action="/console" range={range} />
      <p>
        <strong>{t.calls}</strong> calls: {t.ok} ok, {t.error} errors, {t.denied} denied, {t.rateLimited} rate-limited, {t.unauthenticated} unauthenticated.
        {t.p50Ms !== null && ` p50 ${t.p50Ms} ms, p95 ${t.p95Ms} ms.`}
      </p>
      <section class="panel">
        <h2>Calls over time, by outcome</h2>
        <OutcomeChart buckets={overview.buckets} bucketMs={range.bucketMs} title="Calls over time" />
      </section>
      <section class="panel">
        <h2>Duration, p50 and p95</h2>
        <LatencyChart buckets={overview.buckets} bucketMs={range.bucketMs} title="p50 and p95 duration over time" />
      </section>
      <div class="grid">
        <section class="panel">
          <h2>Top tenants</h2>
          <TopChart
            title="Top tenants by calls"
            items={overview.topTenants.map((x) => ({ label: x.tenant ?? '(no tenant)', value: x.calls, href: x.tenant ? `/console/tenants/${encodeURIComponent(x.tenant)}` : undefined }))}
          />
        </section>
        <section class="panel">
          <h2>Top tools</h2>
          <TopChart
            title="Top tools by calls"
            items={overview.topTools.map((x) => ({ label: x.tool ?? '(refused credential)', value: x.calls, href: x.tool ? `/console/usage?tool=${encodeURIComponent(x.tool)}&${query}` : undefined }))}
          />
        </section>
      </div>
    </Layout>
  );
}
