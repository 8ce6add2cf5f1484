// deno serve --allow-net --allow-env src/entry/deno.ts   (deno.json: deno task start)
import { createApp, type TenantMcp } from '../app.ts';
import { parseConfig } from '../config.ts';
import { lazyOpenApiCompiler } from '../connectors/openapi/lazy-openapi-compiler.ts';
import { openWebDatabase } from '../db/web-database.ts';


// Deno Deploy has no waitUntil and stops idle instances without notice, so usage events wait in
// memory for a shorter time than on Node unless USAGE_FLUSH_INTERVAL_MS says otherwise.
const denoDefaults = { USAGE_FLUSH_INTERVAL_MS: '250' };

/** A and AAAA records, for the OAuth server's check that client metadata documents live on public addresses. */
async function resolveHost(hostname: string): Promise<string[]> {
  const [v4, v6] = await Promise.all([Deno.resolveDns(hostname, 'A').catch(() => []), Deno.resolveDns(hostname, 'AAAA').catch(() => [])]);
  return [...v4, ...v6];
}

let tenantMcp: TenantMcp;
try {
  const config = parseConfig({ ...denoDefaults, ...Deno.env.toObject() });
  tenantMcp = createApp({ db: openWebDatabase(config.DATABASE_URL, config.DATABASE_AUTH_TOKEN), config, resolveHost, openApiCompiler: lazyOpenApiCompiler });
} catch (error) {
  console.error(`tenant-mcp: ${error instanceof Error ? error.message : String(error)}`);
  Deno.exit(1);
}

let stopping = false;
async function shutdown(signal: Deno.Signal): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.info(`${signal} received: writing usage events`);
  const unwritten = await tenantMcp.close();
  if (unwritten > 0) console.error(`${unwritten} usage events could not be written`);
  Deno.exit(unwritten > 0 ? 1 : 0);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  try {
    Deno.addSignalListener(signal, () => void shutdown(signal));
  } catch {
    // Signals are not offered everywhere (Windows, some hosts); the timer still flushes.
  }
}

export default { fetch: (request) => tenantMcp.fetch(request) } satisfies Deno.ServeDefaultExport;
