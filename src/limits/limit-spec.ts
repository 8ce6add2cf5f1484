import type { RateUnit } from '../db/schema.ts';
import { AppError } from '../errors.ts';

const rateUnits: Record<string, RateUnit> = { min: 'minute', minute: 'minute', hour: 'hour', day: 'day' };
const MAX = 1_000_000_000;

/** Parses `--rate` as `<n>/<min|hour|day>`, or `none` (null) to remove the rate. */
export function parseRate(input: string): { rate: number; unit: RateUnit } | null {
  if (input.trim() === 'none') return null;
  const m = /^(\d{1,10})\/([a-z]+)$/.exec(input.trim());
  const unit = m ? rateUnits[m[2]!] : undefined;
  if (!m || !unit || !validCount(m[1]!)) {
    throw new AppError('invalid', `Invalid rate "${input}": use <n>/min, <n>/hour or <n>/day with 1 <= n <= ${MAX}, or none`);
  }
  return { rate: Number(m[1]), unit };
}

/** Parses `--quota` as `<n>/month`, or `none` (null) to remove the quota. */
export function parseQuota(input: string): number | null {
  if (input.trim() === 'none') return null;
  const m = /^(\d{1,10})\/month$/.exec(input.trim());
  if (!m || !validCount(m[1]!)) {
    throw new AppError('invalid', `Invalid quota "${input}": use <n>/month with 1 <= n <= ${MAX}, or none`);
  }
  return Number(m[1]);
}

function validCount(digits: string): boolean {
  const n = Number(digits);
  return Number.isInteger(n) && n >= 1 && n <= MAX;
}
