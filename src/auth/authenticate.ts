import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthResult, Caller } from './caller.ts';

/** Checks a presented credential. Refusals are values; only infrastructure failures throw. */
export type VerifyCredential = (token: string) => Promise<AuthResult>;

/** Options for {@link authenticate}. */
export interface AuthenticateOptions {
  verify: VerifyCredential;
  /** Called for every presented credential that was refused (not for a missing one). */
  onRefused?: (refusal: Extract<AuthResult, { ok: false }>, c: Context) => void;
  /** Called for every accepted credential. */
  onAccepted?: (caller: Caller, c: Context) => void;
  /** Reports a verification that failed for infrastructure reasons. */
  onError?: (error: unknown) => void;
}

declare module 'hono' {
  interface ContextVariableMap {
    caller: Caller;
    /** Read by @hono/mcp's transport and handed to tool handlers as `extra.authInfo`. */
    auth: AuthInfo;
  }
}

/** Reads the credential from `Authorization: Bearer` or `X-API-Key`; undefined when none is sent. */
export function presentedCredential(c: Context): string | undefined {
  const authorization = c.req.header('Authorization');
  if (authorization !== undefined) return bearerToken(authorization) ?? ''; // an unusable Authorization header counts as a malformed credential
  return c.req.header('X-API-Key')?.trim();
}

/** The token of an `Authorization: Bearer <token>` header value, or undefined when it has another shape. */
export function bearerToken(authorization: string): string | undefined {
  return /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization)?.[1];
}

/**
 * Authenticates every request. A missing, malformed, unknown, wrong, expired, revoked or
 * suspended credential gets the same 401, so the answer reveals nothing about what exists.
 */
export function authenticate(options: AuthenticateOptions): MiddlewareHandler {
  if (typeof options?.verify !== 'function') throw new TypeError('authenticate() needs a verify function');
  return async function authenticateRequest(c, next) {
    const token = presentedCredential(c);
    if (token === undefined) return unauthorized(false);
    let result: AuthResult;
    try {
      result = token === '' ? { ok: false, reason: 'malformed' } : await options.verify(token);
    } catch (error) {
      options.onError?.(error);
      return Response.json(
        { error: 'temporarily_unavailable', error_description: 'Credentials cannot be verified right now. Retry shortly.' },
        { status: 503, headers: { 'Retry-After': '5' } },
      );
    }
    if (!result.ok) {
      options.onRefused?.(result, c);
      return unauthorized(true);
    }
    c.set('caller', result.caller);
    c.set('auth', {
      token: '', // never handed on: tools must not see or pass through the caller's secret
      clientId: result.caller.keyId ?? result.caller.subject ?? result.caller.tenantSlug,
      scopes: result.caller.credentialScopes,
      extra: { tenant: result.caller.tenantSlug },
    });
    options.onAccepted?.(result.caller, c);
    await next();
  };
}

function unauthorized(presented: boolean): Response {
  const challenge = presented ? 'Bearer realm="tenant-mcp", error="invalid_token"' : 'Bearer realm="tenant-mcp"';
  const body = presented
    ? { error: 'invalid_token', error_description: 'The credential is invalid, expired or revoked.' }
    : { error: 'unauthorized', error_description: 'Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".' };
  return Response.json(body, { status: 401, headers: { 'WWW-Authenticate': challenge } });
}
