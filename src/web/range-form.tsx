import type { TimeRange } from './time-range.ts';
import { rangeChoices } from './time-range.ts';

const rangeLabels = { '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days', custom: 'Custom' } as const;

/** A GET form picking the time range (24h, 7d, 30d or custom dates); `hidden` keeps other filters. */
export function RangeForm(props: { action: string; range: TimeRange; hidden?: Record<string, string | undefined> }) {
  return (
    <form method="get" action={props.action} class="inline" aria-label="Time range">
      {Object.entries(props.hidden ?? {}).map(([name, value]) => (value ? <input type="hidden" name={name} value={value} /> : null))}
      <label>
        Range
        <select name="range">
          {rangeChoices.map((r) => (
            <option value={r} selected={props.range.range === r}>
              {rangeLabels[r]}
            </option>
          ))}
        </select>
      </label>
      <label>
        From (UTC, custom)
        <input type="datetime-local" name="since" value={props.range.sinceText} />
      </label>
      <label>
        To (UTC, custom)
        <input type="datetime-local" name="until" value={props.range.untilText} />
      </label>
      <button type="submit" class="secondary">
        Show
      </button>
    </form>
  );
}
