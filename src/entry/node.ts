import { serve } from '@hono/node-server';
import { createApp } from '../app.ts';
import { parseConfig } from '../config.ts';
import { migrateDatabase, openDatabase } from '../node/database.ts';
import { hashSecretSync } from '../node/hash-secret.ts';

const config = parseConfig(process.env);
const database = await openDatabase(config.DATABASE_URL, config.DATABASE_AUTH_TOKEN);
await migrateDatabase(database.db);
const tenantMcp = createApp({ db: database.db, config, hashSecret: hashSecretSync });

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
