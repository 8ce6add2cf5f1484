import { AppError } from '../errors.ts';

/** The ranges the pages offer. */
export const rangeChoices = ['24h', '7d', '30d', 'custom'] as const;
export type RangeChoice = (typeof rangeChoices)[number];

/** A resolved time range and the bucket width its charts use. */
export interface TimeRange {
  range: RangeChoice;
  since: Date;
  until: Date;
  bucketMs: number;
  /** The custom bounds as typed (for the form), empty for presets. */
  sinceText: string;
  untilText: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const spans: Record<Exclude<RangeChoice, 'custom'>, number> = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY };
const MAX_SPAN = 400 * DAY;

/**
 * Reads `range` (24h, 7d, 30d or custom, default `fallback`) and, for custom, `since` and `until`
 * (an ISO date or date-time, taken as UTC). Up to three days are drawn by the hour, longer by the day.
 */
export function timeRange(query: { range?: string; since?: string; until?: string }, now: number, fallback: RangeChoice = '24h'): TimeRange {
  const range = (rangeChoices as readonly string[]).includes(query.range ?? '') ? (query.range as RangeChoice) : fallback;
  if (range !== 'custom') {
    return { range, since: new Date(now - spans[range]), until: new Date(now), bucketMs: range === '30d' ? DAY : HOUR, sinceText: '', untilText: '' };
  }
  const since = utcTime(query.since, 'since');
  const until = query.until ? utcTime(query.until, 'until') : new Date(now);
  if (until <= since) throw new AppError('invalid', 'The end of the range must be after its start');
  if (until.getTime() - since.getTime() > MAX_SPAN) throw new AppError('invalid', 'A range can span at most 400 days');
  return { range, since, until, bucketMs: until.getTime() - since.getTime() <= 3 * DAY ? HOUR : DAY, sinceText: query.since ?? '', untilText: query.until ?? '' };
}

function utcTime(text: string | undefined, what: string): Date {
  if (!text || text.length > 32 || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?$/.test(text)) {
    throw new AppError('invalid', `Give the range's ${what} as a date such as 2026-01-31 or a time such as 2026-01-31T12:00`);
  }
  const date = new Date(/T/.test(text) ? (text.endsWith('Z') ? text : `${text}Z`) : `${text}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) throw new AppError('invalid', `The range's ${what} "${text}" is not a real date`);
  return date;
}
