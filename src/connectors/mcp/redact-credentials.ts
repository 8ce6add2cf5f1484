/**
 * The text with every credential it echoes replaced by "[redacted]": the values of the headers we
 * sent, and the token after an auth scheme ("Bearer abc" also hides "abc"). An upstream that
 * reflects request headers in an error page must not hand them to the caller.
 */
export function redactCredentials(text: string, headers: Record<string, string>): string {
  const secrets = new Set<string>();
  for (const value of Object.values(headers)) {
    const trimmed = value.trim();
    secrets.add(trimmed);
    const token = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(trimmed)?.[1];
    if (token) secrets.add(token);
  }
  let redacted = text;
  // longest first, so a whole "Bearer abc" goes before its "abc"; very short values would redact ordinary words
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 6) redacted = redacted.replaceAll(secret, '[redacted]');
  }
  return redacted;
}
