import { serve } from '@hono/node-server';
import { createApp } from '../app.ts';
import { parseConfig } from '../config.ts';
import { lazyOpenApiCompiler } from '../connectors/openapi/lazy-openapi-compiler.ts';
import { migrateDatabase, openDatabase } from '../node/database.ts';
import { withGeneratedSigningKey } from '../node/generated-signing-key.ts';
import { hashSecretSync } from '../node/hash-secret.ts';
import { nodeHttpFetch } from '../node/http-fetch.ts';
import { nodeRequestReader } from '../node/request-reader.ts';
import { resolveHost } from '../node/resolve-host.ts';
import { withSigningKeyFile } from '../node/signing-key-file.ts';


const config = parseConfig(await withGeneratedSigningKey(withSigningKeyFile(process.env), console.info));
const database = await openDatabase(config.DATABASE_URL, config.DATABASE_AUTH_TOKEN, {
  syncUrl: config.DATABASE_SYNC_URL,
  syncIntervalSeconds: config.DATABASE_SYNC_INTERVAL_SECONDS,
});
await migrateDatabase(database.db);
// Test-only fixtures are never loaded unless asked for (parseConfig refuses them outside NODE_ENV=test).
const fixtures = config.TEST_FIXTURES ? (await import('../test-fixtures/index.ts')).testFixtures : {};
if (config.TEST_FIXTURES) console.warn('TEST_FIXTURES is on: serving test-only tools, resources and prompts. Never do this in production.');
const tenantMcp = createApp({ db: database.db, config, hashSecret: hashSecretSync, requestReader: nodeRequestReader, resolveHost, openApiCompiler: lazyOpenApiCompiler, upstreamHttp: nodeHttpFetch({ maxResponseBytes: config.CONNECTOR_MAX_RESPONSE_BYTES }), usageWriter: database.usageWriter, ...fixtures });
await tenantMcp.ready(); // an unusable TOKEN_SIGNING_KEY stops the start, not the first request

const server = serve({ fetch: tenantMcp.fetch, hostname: config.HOST, port: config.PORT }, (info) => {
  console.info(`tenant-mcp listening on http://${info.address}:${info.port} (MCP at /mcp)`);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.info(`${signal} received: finishing requests and writing usage events`);
  await new Promise((resolve) => server.close(resolve));
  const unwritten = await tenantMcp.close();
  if (unwritten > 0) console.error(`${unwritten} usage events could not be written`);
  database.close();
  process.exit(unwritten > 0 ? 1 : 0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
