/**
 * A value safe to send as an `Mcp-Name` or `Mcp-Param-*` header: as is when it is visible ASCII
 * without surrounding spaces, else the 2026-07-28 transport's `=?base64?…?=` form over its UTF-8.
 */
export function headerValue(value: string): string {
  if (/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !value.startsWith('=?base64?')) return value;
  let binary = '';
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return `=?base64?${btoa(binary)}?=`;
}
