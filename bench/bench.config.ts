// The servers `npm run bench` compares. tenant-mcp runs exactly as in production (src/entry/node.ts built as `npm start` runs it,
// a libSQL file, API key auth, scope filtering, usage logging, default settings); the others are
// references: the SDK's stateless example, and raw Hono answering JSON-RPC (the floor).
import { fileURLToPath } from 'node:url';
import type { CaseTotals, CheckResult, ExitInfo, TargetConfig, TargetContext } from './harness.ts';
import { nodeServerArgs } from './node-server.ts';
import { oauthAccessToken } from './oauth-token.ts';
import { type BenchDatabase, countUsage, provisionBenchDatabase } from './provision.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// TypeScript through tsx as a loader of a plain `node`, so the spawned PID is the server itself.
const tsNode = (file: string) => ({ command: process.execPath, args: ['--import', 'tsx', file] });

/** Options for the project's targets. */
export interface TargetOptions {
  /** Extra keys in the database for the `tenant-mcp-100k` target. */
  manyKeys: number;
  /** Another checkout of this project (e.g. `git archive` of an older commit) to run as `tenant-mcp-baseline`. */
  baseline?: string;
}

function tenantMcp(
  name: string,
  extraKeys: number,
  description: string,
  checkout = root,
  options: { oauth?: boolean; env?: Record<string, string> } = {},
): TargetConfig {
  const env = options.env ?? {};
  let db: BenchDatabase | undefined;
  return {
    name,
    description,
    command: process.execPath,
    args: nodeServerArgs(checkout),
    cwd: checkout,
    // A token outliving the run: the bench measures calls, not refreshes.
    env: { NODE_ENV: 'production', HOST: '127.0.0.1', ...(options.oauth ? { OAUTH_ACCESS_TOKEN_TTL_SECONDS: '3600' } : {}), ...env },
    // Many keys, OAuth and usage durability change only what a tools/call does.
    cases: extraKeys > 0 || options.oauth || env.USAGE_DURABILITY ? ['call'] : checkout === root ? ['call', 'connect', 'modern'] : ['call', 'connect'],
    async beforeStart(ctx) {
      db = await provisionBenchDatabase(ctx.workDir, { extraKeys, log: ctx.log });
      ctx.log(`database ${db.url}: tenant "bench" (scopes math), key ${db.keyId} (scopes math)`);
      const headers: Record<string, string> = options.oauth ? {} : { authorization: `Bearer ${db.key}` };
      return { env: { DATABASE_URL: db.url }, headers };
    },
    // OAuth: the access token comes from the server's own authorization flow, signed in with the key.
    setup: options.oauth ? async (ctx) => ({ headers: { authorization: `Bearer ${await oauthAccessToken(ctx.baseUrl, db!.key)}` } }) : undefined,
    async check(ctx) {
      // The recorder drops events only when its buffer overflows while the database is unreachable.
      const health = (await (await fetch(`${ctx.baseUrl}/healthz`)).json()) as { usage: { buffered: number; dropped: number } };
      return [{ name: 'no usage event dropped', ok: health.usage.dropped === 0, detail: `/healthz before stopping: ${JSON.stringify(health.usage)}` }];
    },
    afterStop: (ctx, totals, exit) => usageCheck(ctx, db!, totals, exit, options.oauth),
  };
}

/**
 * Zero lost usage events, checked exactly. Every load phase waits for all its answers, so nothing
 * is in flight when the server gets SIGTERM; the entry then writes every buffered event and exits 0
 * only if none is left. Each verified `add` answer proves one executed call, so the key's rows must
 * equal the client's verified tools/call answers, one for one, all with outcome ok.
 */
async function usageCheck(ctx: TargetContext, db: BenchDatabase, totals: Partial<Record<string, CaseTotals>>, exit: ExitInfo, oauth = false): Promise<CheckResult[]> {
  const all = Object.values(totals).filter((t): t is CaseTotals => t !== undefined);
  const okCalls = all.reduce((n, t) => n + (t.ok['tools/call'] ?? 0), 0);
  const unanswered = all.reduce((n, t) => n + t.errors + Object.values(t.bad).reduce((a, b) => a + b, 0), 0);
  const exact = unanswered === 0 && !all.some((t) => t.cut);
  // OAuth calls carry no key id: their subject names the key the user signed in with.
  const rows = await countUsage(db.url, db.keyId, oauth ? 'subject' : 'keyId');
  const checks: CheckResult[] = [
    {
      name: 'graceful stop wrote every buffered event',
      ok: exit.code === 0 && !exit.killed,
      detail: `exit code ${exit.code}${exit.killed ? ', killed after the grace period' : ''} (the entry exits 1 when events are left unwritten)`,
    },
    {
      name: 'usage rows = verified tools/call answers',
      ok: exact && rows.forKey === okCalls && rows.notOk === 0 && rows.total === rows.forKey,
      detail:
        `${rows.forKey} rows for the bench key (${rows.notOk} not "ok", ${rows.total} in all) for ${okCalls} verified answers` +
        (exact ? '; no request unanswered or in flight at stop' : `; NOT EXACT: ${unanswered} requests errored or unverified, or a phase was cut`),
    },
  ];
  ctx.log(`usage rows ${rows.forKey}, verified calls ${okCalls}`);
  return checks;
}

/** Every server the benchmark knows. */
export function targets(options: TargetOptions): TargetConfig[] {
  return [
    tenantMcp('tenant-mcp', 0, 'this project as deployed: src/entry/node.ts on a libSQL file; API key auth, scope filtering, usage logging, default settings'),
    tenantMcp('tenant-mcp-oauth', 0, 'the same, called with an OAuth access token obtained through its own authorization flow (signed in with the key)', root, { oauth: true }),
    tenantMcp(
      'tenant-mcp-buffered',
      0,
      'the same with USAGE_DURABILITY=buffered: answers do not wait for their usage row (tenant-mcp runs the default, commit)',
      root,
      { env: { USAGE_DURABILITY: 'buffered' } },
    ),
    tenantMcp(
      'tenant-mcp-100k',
      options.manyKeys,
      `the same with ${options.manyKeys.toLocaleString('en')} more active keys (in ${Math.ceil(options.manyKeys / 1000)} more tenants) in the database`,
    ),
    ...(options.baseline
      ? [tenantMcp('tenant-mcp-baseline', 0, `the same server built from ${options.baseline} (before/after comparisons)`, options.baseline)]
      : []),
    {
      name: 'sdk-example',
      description: "the SDK's documented stateless Streamable HTTP example (Express, a server per request, SSE answers), one add tool, no auth",
      ...tsNode(here('./servers/sdk-express.ts')),
      env: { NODE_ENV: 'production' },
      cases: ['call', 'connect'],
    },
    {
      name: 'sdk-v2-handler',
      description: "the SDK v2 line's dual-era `createMcpHandler` (@modelcontextprotocol/server 2.4) on Hono and @hono/node-server 2, one add tool, no auth",
      ...tsNode(here('./servers/sdk-v2-handler.ts')),
      env: { NODE_ENV: 'production' },
    },
    {
      name: 'hono-mcp-minimal',
      description: '@hono/mcp with a server per request and one shared Ajv validator, one add tool, no auth and no logging (optional: --all)',
      optional: true,
      ...tsNode(here('./servers/hono-mcp.ts')),
      env: { NODE_ENV: 'production' },
      cases: ['call', 'connect'],
    },
    {
      name: 'raw-hono',
      description: 'Hono parsing the JSON body and answering a fixed JSON-RPC reply: the floor for HTTP plus JSON',
      floor: true,
      ...tsNode(here('./servers/raw-hono.ts')),
      env: { NODE_ENV: 'production' },
    },
  ];
}
