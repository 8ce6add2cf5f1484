/** Parameters of a `WWW-Authenticate: Bearer` challenge (RFC 6750 section 3, RFC 9728 section 5.1). */
export interface BearerChallenge {
  error?: 'invalid_token' | 'insufficient_scope';
  /** Space-separated scopes the client should ask its authorization server for. */
  scope?: string;
  /** Where the RFC 9728 protected resource metadata lives, when authorization servers are configured. */
  resourceMetadata?: string;
  errorDescription?: string;
}

/** Renders a Bearer challenge. Values are our own (scopes, URLs); quotes and backslashes are escaped anyway. */
export function bearerChallenge(challenge: BearerChallenge, realm = 'tenant-mcp'): string {
  const params: [string, string | undefined][] = [
    ['realm', realm],
    ['error', challenge.error],
    ['error_description', challenge.errorDescription],
    ['scope', challenge.scope],
    ['resource_metadata', challenge.resourceMetadata],
  ];
  const rendered = params.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}="${v!.replace(/["\\]/g, '\\$&')}"`);
  return `Bearer ${rendered.join(', ')}`;
}
