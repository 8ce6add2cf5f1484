import { AppError } from '../errors.ts';

const units = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses a duration such as `90s`, `15m`, `24h` or `30d` into milliseconds. */
export function parseDuration(input: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(input.trim());
  if (!m || Number(m[1]) === 0) {
    throw new AppError('invalid', `Invalid duration "${input}": use a positive number followed by s, m, h or d, e.g. 30d`);
  }
  return Number(m[1]) * units[m[2] as keyof typeof units];
}

/** Parses "since" as an ISO date or a duration back from `now`. */
export function parseSince(input: string, now = Date.now()): Date {
  if (/^\d+[smhd]$/.test(input.trim())) return new Date(now - parseDuration(input));
  const date = new Date(input);
  if (!/^\d{4}-\d{2}-\d{2}/.test(input) || Number.isNaN(date.getTime())) {
    throw new AppError('invalid', `Invalid time "${input}": use an ISO date (2026-01-31 or 2026-01-31T12:00:00Z) or a duration such as 24h`);
  }
  return date;
}
