import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadataPaths } from '../../src/oauth/oauth-app.ts';
import { createKey } from '../../src/services/keys.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { listUsage } from '../../src/services/usage.ts';
import { eventually } from '../helpers/admin.ts';
import { type TempDatabase, tempDatabase } from '../helpers/database.ts';
import { postMcp, rpc } from '../helpers/mcp.ts';
import { sdkOAuthFlow, startOAuthServer, tokenRequest } from '../helpers/oauth.ts';
import type { RunningServer } from '../helpers/server.ts';

let database: TempDatabase;
let server: RunningServer;
let aliceKey: string;

beforeAll(async () => {
  database = await tempDatabase();
  await createTenant(database.db, { slug: 'alice-co', scopes: 'math,notes:*' });
  aliceKey = (await createKey(database.db, { tenant: 'alice-co', scopes: 'math,notes:read' })).key;
  server = await startOAuthServer({ DATABASE_URL: database.url, USAGE_FLUSH_INTERVAL_MS: '50' });
});

afterAll(async () => {
  await server?.stop();
  database?.dispose();
});

describe('the MCP SDK client with OAuth (Node)', () => {
  it('discovers, registers (DCR), authorizes with a pasted key, calls a tool and refreshes', async () => {
    const flow = await sdkOAuthFlow(server.url, aliceKey);
    expect(flow.tools).toEqual(['add', 'multiply', 'note_get', 'note_list', 'whoami']);
    expect(flow.sum).toEqual([{ type: 'text', text: '5' }]);
    expect(flow.firstTokens.scope?.split(' ').sort()).toEqual(['math', 'notes:read']);
    expect(flow.refreshedTokens.access_token).not.toBe(flow.firstTokens.access_token);
    expect(flow.refreshedTokens.refresh_token).not.toBe(flow.firstTokens.refresh_token);
    const clientId = flow.provider.information!.client_id;
    expect(clientId).toMatch(/^tmcc_/);

    // The refreshed access token works; the rotated-out refresh token is refused and ends the grant.
    const res = await postMcp(server.url, rpc('tools/list'), { Authorization: `Bearer ${flow.refreshedTokens.access_token}` });
    expect(res.status).toBe(200);
    const replay = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: flow.firstTokens.refresh_token!, client_id: clientId });
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const after = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: flow.refreshedTokens.refresh_token!, client_id: clientId });
    expect(after).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    // Each call's usage row names the OAuth client.
    const rows = await eventually(() => listUsage(database.db, { tenant: 'alice-co' }), (p) => p.items.some((r) => r.tool === 'add'), 'the usage row');
    expect(rows.items.find((r) => r.tool === 'add')).toMatchObject({ clientId, outcome: 'ok' });
  });
});

describe('discovery', () => {
  it.each(metadataPaths)('serves the authorization server metadata at %s', async (path) => {
    const res = await fetch(new URL(path, server.url));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      issuer: server.url,
      authorization_endpoint: `${server.url}/authorize`,
      token_endpoint: `${server.url}/token`,
      registration_endpoint: `${server.url}/register`,
      revocation_endpoint: `${server.url}/revoke`,
      code_challenge_methods_supported: ['S256'],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('names this server in the resource metadata, which the 401 challenge points to', async () => {
    const res = await postMcp(server.url, rpc('tools/list'));
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(res.headers.get('WWW-Authenticate') ?? '')?.[1];
    expect(metadataUrl).toBe(`${server.url}/.well-known/oauth-protected-resource/mcp`);
    expect(await (await fetch(metadataUrl!)).json()).toMatchObject({ resource: `${server.url}/mcp`, authorization_servers: [server.url] });
  });
});
