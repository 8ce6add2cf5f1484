/** Renders rows as RFC 4180 CSV, with a header line unless `header: false` (for later pages of a stream). */
export function csv<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[], options: { header?: boolean } = {}): string {
  const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = rows.map((r) => columns.map((c) => quote(cellText(r[c]))).join(','));
  return (options.header === false ? lines : [columns.join(','), ...lines]).join('\n');
}

/** A cell's text: empty for null, lists comma-joined. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}
