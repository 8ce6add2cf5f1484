/** Why an exchange with an upstream MCP server failed: a message safe to show (never request headers) and the HTTP status, if any came. */
export class UpstreamMcpError extends Error {
  override name = 'UpstreamMcpError';
  /** The upstream's HTTP status, or null when no response came. */
  readonly status: number | null;
  /** The JSON-RPC error code, when the upstream answered with a JSON-RPC error. */
  readonly code: number | undefined;

  constructor(message: string, status: number | null, code?: number) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
