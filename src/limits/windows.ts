/** What a limit counts calls per: rates per minute, hour or day, quotas per calendar month. */
export type LimitUnit = 'minute' | 'hour' | 'day' | 'month';

/** A fixed window: [start, end) in ms since the epoch. */
export interface LimitWindow {
  start: number;
  end: number;
}

const lengths = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/**
 * The fixed, UTC-aligned window holding `now`: a minute starts at :00 seconds, an hour at :00, a
 * day at 00:00 UTC, a month at 00:00 UTC on its first day. Every instance computes the same window.
 */
export function windowOf(unit: LimitUnit, now: number): LimitWindow {
  if (unit === 'month') {
    const d = new Date(now);
    return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
  }
  const length = lengths[unit];
  const start = Math.floor(now / length) * length;
  return { start, end: start + length };
}
