/** Renders rows as an aligned plain-text table with the given columns. */
export function table<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line([...columns]), ...cells.map(line)].join('\n');
}

/** Renders rows as RFC 4180 CSV, with a header line unless `header: false` (for later pages of a stream). */
export function csv<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[], options: { header?: boolean } = {}): string {
  const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = rows.map((r) => columns.map((c) => quote(cell(r[c]))).join(','));
  return (options.header === false ? lines : [columns.join(','), ...lines]).join('\n');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}
