import type { OutcomeClass, UsageBucket } from '../services/usage.ts';
import { outcomeClasses } from '../services/usage.ts';

const W = 900;
const H = 240;
const M = { top: 12, right: 12, bottom: 28, left: 56 };

const outcomeLabels: Record<OutcomeClass, string> = {
  ok: 'ok',
  error: 'error',
  denied: 'denied',
  rateLimited: 'rate-limited',
  unauthenticated: 'unauthenticated',
};

/** A round axis for values up to `value`: a step of 1, 2 or 5 × 10^n (at least 1), and the top tick. */
function niceScale(value: number): { top: number; step: number } {
  const rough = Math.max(value, 1) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((m) => m >= rough)!);
  return { step, top: Math.max(step, Math.ceil(value / step) * step) };
}

/** A bucket's label: the UTC day, or the UTC hour for buckets under a day. */
function bucketLabel(start: string, bucketMs: number): string {
  return bucketMs >= 86_400_000 ? start.slice(0, 10) : `${start.slice(0, 10)} ${start.slice(11, 16)}`;
}

function shortLabel(start: string, bucketMs: number): string {
  return bucketMs >= 86_400_000 ? start.slice(5, 10) : start.slice(11, 16) === '00:00' ? start.slice(5, 10) : start.slice(11, 16);
}

function YAxis(props: { scale: { top: number; step: number }; unit?: string }) {
  const { top, step } = props.scale;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const y = (v: number) => M.top + (H - M.top - M.bottom) * (1 - v / top);
  return (
    <g>
      {ticks.map((t) => (
        <g>
          <line class="grid-line" x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} />
          <text x={M.left - 6} y={y(t) + 4} text-anchor="end">
            {`${t}${props.unit ?? ''}`}
          </text>
        </g>
      ))}
    </g>
  );
}

function XLabels(props: { buckets: UsageBucket[]; bucketMs: number }) {
  const n = props.buckets.length;
  const step = Math.max(1, Math.ceil(n / 10));
  const slot = (W - M.left - M.right) / Math.max(n, 1);
  return (
    <g>
      {props.buckets.map((b, i) =>
        i % step === 0 ? (
          <text x={M.left + slot * (i + 0.5)} y={H - 8} text-anchor="middle">
            {shortLabel(b.start, props.bucketMs)}
          </text>
        ) : null,
      )}
    </g>
  );
}

/** Calls over time as stacked bars, one colour per outcome, with a legend and the numbers in a table. */
export function OutcomeChart(props: { buckets: UsageBucket[]; bucketMs: number; title: string }) {
  const { buckets, bucketMs } = props;
  const scale = niceScale(Math.max(0, ...buckets.map((b) => b.calls)));
  const max = scale.top;
  const slot = (W - M.left - M.right) / Math.max(buckets.length, 1);
  const plotH = H - M.top - M.bottom;
  const total = buckets.reduce((s, b) => s + b.calls, 0);
  return (
    <figure>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}: ${total} calls in ${buckets.length} intervals`} data-chart="calls" data-total={String(total)}>
        <YAxis scale={scale} />
        {buckets.map((b, i) => {
          let top = M.top + plotH;
          const x = M.left + slot * i + slot * 0.1;
          const width = Math.max(slot * 0.8, 1);
          return (
            <g data-bucket={b.start} data-calls={String(b.calls)}>
              <title>{`${bucketLabel(b.start, bucketMs)}: ${b.calls} calls (${outcomeClasses.map((o) => `${outcomeLabels[o]} ${b[o]}`).join(', ')})`}</title>
              {outcomeClasses.map((o) => {
                if (b[o] === 0) return null;
                const h = (b[o] / max) * plotH;
                top -= h;
                return <rect class={o} x={x} y={top} width={width} height={h} />;
              })}
            </g>
          );
        })}
        <XLabels buckets={buckets} bucketMs={bucketMs} />
      </svg>
      <figcaption>
        <ul class="legend">
          {outcomeClasses.map((o) => (
            <li>
              <i class={`sw-${o}`}></i>
              {outcomeLabels[o]}
            </li>
          ))}
        </ul>
      </figcaption>
      <details>
        <summary>{`${props.title} as a table`}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{bucketMs >= 86_400_000 ? 'Day (UTC)' : 'Hour (UTC)'}</th>
              <th scope="col" class="num">
                calls
              </th>
              {outcomeClasses.map((o) => (
                <th scope="col" class="num">
                  {outcomeLabels[o]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {buckets
              .filter((b) => b.calls > 0)
              .map((b) => (
                <tr>
                  <td>{bucketLabel(b.start, bucketMs)}</td>
                  <td class="num">{b.calls}</td>
                  {outcomeClasses.map((o) => (
                    <td class="num">{b[o]}</td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** p50 and p95 duration over time as two lines (gaps where a bucket had no calls). */
export function LatencyChart(props: { buckets: UsageBucket[]; bucketMs: number; title: string }) {
  const { buckets, bucketMs } = props;
  const scale = niceScale(Math.max(0, ...buckets.map((b) => b.p95Ms ?? 0)));
  const max = scale.top;
  const slot = (W - M.left - M.right) / Math.max(buckets.length, 1);
  const plotH = H - M.top - M.bottom;
  const path = (key: 'p50Ms' | 'p95Ms') => {
    let d = '';
    let pen = false;
    buckets.forEach((b, i) => {
      const v = b[key];
      if (v === null) {
        pen = false;
        return;
      }
      const x = (M.left + slot * (i + 0.5)).toFixed(1);
      const y = (M.top + plotH * (1 - v / max)).toFixed(1);
      d += `${pen ? 'L' : 'M'}${x} ${y} `;
      pen = true;
    });
    return d.trim();
  };
  return (
    <figure>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title} data-chart="latency">
        <YAxis scale={scale} unit=" ms" />
        <path class="line-p50" d={path('p50Ms')} />
        <path class="line-p95" d={path('p95Ms')} />
        {buckets.map((b, i) =>
          b.p50Ms === null ? null : (
            <g>
              <title>{`${bucketLabel(b.start, bucketMs)}: p50 ${b.p50Ms} ms, p95 ${b.p95Ms} ms`}</title>
              <rect x={M.left + slot * i} y={M.top} width={slot} height={plotH} fill="transparent" />
              <circle class="dot-p50" cx={M.left + slot * (i + 0.5)} cy={M.top + plotH * (1 - b.p50Ms / max)} r="3" />
              <circle class="dot-p95" cx={M.left + slot * (i + 0.5)} cy={M.top + plotH * (1 - (b.p95Ms ?? 0) / max)} r="3" />
            </g>
          ),
        )}
        <XLabels buckets={buckets} bucketMs={bucketMs} />
      </svg>
      <figcaption>
        <ul class="legend">
          <li>
            <i class="sw-p50"></i>p50
          </li>
          <li>
            <i class="sw-p95"></i>p95
          </li>
        </ul>
      </figcaption>
    </figure>
  );
}

/** A ranked list as horizontal bars, each with its label and count, and links when given. */
export function TopChart(props: { title: string; items: { label: string; value: number; href?: string }[] }) {
  const max = Math.max(1, ...props.items.map((i) => i.value));
  const row = 24;
  const height = Math.max(row, props.items.length * row) + 4;
  return (
    <figure>
      <svg class="chart" viewBox={`0 0 440 ${height}`} role="img" aria-label={`${props.title}: ${props.items.map((i) => `${i.label} ${i.value}`).join(', ') || 'none'}`}>
        {props.items.length === 0 && (
          <text x="8" y="16">
            No calls in this range.
          </text>
        )}
        {props.items.map((item, i) => (
          <g>
            <title>{`${item.label}: ${item.value} calls`}</title>
            <text x="4" y={i * row + 16}>
              {item.label.length > 22 ? `${item.label.slice(0, 21)}…` : item.label}
            </text>
            <rect class="bar" x="150" y={i * row + 5} width={Math.max(1, (item.value / max) * 230)} height={row - 10} />
            <text x={155 + (item.value / max) * 230} y={i * row + 16}>
              {String(item.value)}
            </text>
          </g>
        ))}
      </svg>
      <figcaption class="visually-hidden">{props.title}</figcaption>
      {props.items.some((i) => i.href) && (
        <ul class="legend">
          {props.items.map((i) => (i.href ? <li><a href={i.href}>{i.label}</a></li> : null))}
        </ul>
      )}
    </figure>
  );
}
