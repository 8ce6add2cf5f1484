/** A posted form field as trimmed text; undefined when absent, empty or a file. */
export function formText(form: Record<string, unknown>, name: string): string | undefined {
  const value = form[name];
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text === '' ? undefined : text;
}
