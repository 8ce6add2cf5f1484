/** Error codes of RFC 6749 section 5.2 and 4.1.2.1, RFC 7591 section 3.2.2 and RFC 7009. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'unsupported_token_type'
  | 'slow_down'
  | 'temporarily_unavailable'
  | 'server_error';

/** A refusal of the authorization server, rendered as RFC 6749 JSON by {@link oauthErrorResponse}. */
export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: number;

  constructor(code: OAuthErrorCode, description: string, status = code === 'invalid_client' ? 401 : 400) {
    super(description);
    this.name = 'OAuthError';
    this.code = code;
    this.status = status;
  }
}

/** Renders an OAuth error as the JSON body RFC 6749 section 5.2 describes, never cached. */
export function oauthErrorResponse(error: OAuthError): Response {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (error.status === 401) headers['WWW-Authenticate'] = 'Basic realm="tenant-mcp"';
  if (error.code === 'slow_down') headers['Retry-After'] = '60';
  return Response.json({ error: error.code, error_description: error.message }, { status: error.status, headers });
}
