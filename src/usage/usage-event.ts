import type { Context } from 'hono';
import type { UsageEvent } from '../db/schema.ts';

/** Builds a usage row from what the request says; never arguments, results or secrets. */
export function usageEvent(
  c: Context,
  who: { tenantId?: string | null; keyId?: string | null; subject?: string | null; clientId?: string | null },
  fields: Pick<UsageEvent, 'tool' | 'outcome' | 'durationMs' | 'requestBytes' | 'responseBytes' | 'upstreamStatus' | 'upstreamMs'>,
): UsageEvent {
  return {
    at: new Date(),
    tenantId: who.tenantId ?? null,
    keyId: who.keyId ?? null,
    subject: who.subject ?? null,
    clientId: who.clientId ?? null,
    ...fields,
    durationMs: Math.round(fields.durationMs),
    protocolVersion: c.req.header('MCP-Protocol-Version')?.slice(0, 32) ?? null,
    userAgent: c.req.header('User-Agent')?.slice(0, 256) ?? null,
  };
}
