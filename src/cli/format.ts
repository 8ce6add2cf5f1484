import { cellText } from '../services/csv.ts';

/** Renders rows as an aligned plain-text table with the given columns. */
export function table<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  const cells = rows.map((r) => columns.map((c) => cellText(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line([...columns]), ...cells.map(line)].join('\n');
}
