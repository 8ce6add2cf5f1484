import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Context, MiddlewareHandler } from 'hono';
import { type BearerChallenge, bearerChallenge } from './bearer-challenge.ts';
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
  /** Added to every 401 challenge when the server acts as an OAuth resource server (`scope`, `resource_metadata`); scopes change with connectors. */
  challenge?: Pick<BearerChallenge, 'resourceMetadata'> & { scope: () => Promise<string> };
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
    if (token === undefined) return unauthorized(undefined, options.challenge);
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
      return unauthorized(result, options.challenge);
    }
    c.set('caller', result.caller);
    c.set('auth', {
      token: '', // never handed on: tools must not see or pass through the caller's secret
      clientId: result.caller.clientId ?? result.caller.keyId ?? result.caller.subject ?? result.caller.tenantSlug,
      scopes: result.caller.credentialScopes,
      extra: { tenant: result.caller.tenantSlug },
    });
    options.onAccepted?.(result.caller, c);
    await next();
  };
}

async function unauthorized(refusal: Extract<AuthResult, { ok: false }> | undefined, extra: AuthenticateOptions['challenge']): Promise<Response> {
  const challenge = bearerChallenge({ resourceMetadata: extra?.resourceMetadata, scope: await extra?.scope(), error: refusal ? 'invalid_token' : undefined });
  const body = !refusal
    ? { error: 'unauthorized', error_description: 'Send an API key or a token as "Authorization: Bearer <credential>", or an API key as "X-API-Key: <key>".' }
    : refusal.reason === 'jwks_unavailable'
      ? // Not the caller's fault: say so, so that it retries instead of asking for a new token.
        { error: 'invalid_token', error_description: "The token's issuer keys cannot be fetched right now. Retry shortly." }
      : { error: 'invalid_token', error_description: 'The credential is invalid, expired or revoked.' };
  return Response.json(body, { status: 401, headers: { 'WWW-Authenticate': challenge } });
}
