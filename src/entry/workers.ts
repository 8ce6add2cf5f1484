import { createApp, type TenantMcp } from '../app.ts';
import { parseConfig } from '../config.ts';
import { openWebDatabase } from '../db/web-database.ts';

/** A Worker's bindings: vars and secrets from wrangler.jsonc and `wrangler secret put`. */
export type Bindings = Record<string, unknown>;

// A Worker's settings arrive with each request, so the app is built on the first one and kept
// for the isolate's life; it is rebuilt only if the settings differ (they do not within a deploy).
let built: { settings: string; tenantMcp: TenantMcp } | undefined;

function appFor(env: Bindings, ctx: ExecutionContext): TenantMcp {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const settings = JSON.stringify(vars);
  if (built?.settings !== settings) {
    const config = parseConfig(vars);
    const db = openWebDatabase(config.DATABASE_URL, config.DATABASE_AUTH_TOKEN);
    // waitUntil keeps the isolate alive until the usage batch holding the event is written.
    const tenantMcp = createApp({ db, config, defer: (work, c) => c.executionCtx.waitUntil(work) });
    if (built) ctx.waitUntil(built.tenantMcp.close());
    built = { settings, tenantMcp };
  }
  return built.tenantMcp;
}

export default {
  fetch(request, env, ctx) {
    let tenantMcp: TenantMcp;
    try {
      tenantMcp = appFor(env, ctx);
    } catch (error) {
      // Configuration errors name the setting, never its value.
      console.error(`tenant-mcp: ${error instanceof Error ? error.message : String(error)}`);
      return Response.json({ error: 'internal_error', error_description: 'The server is misconfigured; see its logs.' }, { status: 500 });
    }
    return tenantMcp.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Bindings>;
