import { z } from 'zod';
import { defineTool, structuredResult } from './define-tool.ts';

/** Tells the caller who the server thinks it is. Never includes the secret. */
export const whoami = defineTool({
  name: 'whoami',
  title: 'Who am I',
  description: 'Show the tenant, credential and scopes this connection is authenticated as.',
  scopes: [],
  inputSchema: {},
  outputSchema: {
    tenant: z.string(),
    keyId: z.string().nullable(),
    keyName: z.string().nullable(),
    subject: z.string().nullable(),
    tenantScopes: z.array(z.string()),
    credentialScopes: z.array(z.string()),
  },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async (_args, { caller }) =>
    structuredResult({
      tenant: caller.tenantSlug,
      keyId: caller.keyId,
      keyName: caller.keyName,
      subject: caller.subject,
      tenantScopes: caller.tenantScopes,
      credentialScopes: caller.credentialScopes,
    }),
});
