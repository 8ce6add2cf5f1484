import { z } from 'zod';

const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** Every setting the server reads, parsed once from a plain record (process.env, Deno.env, a Worker's env). */
export const configSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  DATABASE_URL: z.string().min(1).default('file:./data/tenant-mcp.db'),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  /** The URL clients use to reach this server; its origin is always an allowed Origin. */
  PUBLIC_URL: z.url().optional(),
  /** Extra browser origins allowed to call /mcp (comma list). Others get 403. */
  ALLOWED_ORIGINS: list.default([]),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  /** How long a verified key (and its tenant's status and scopes) is trusted before re-reading. */
  KEY_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(30).default(10),
  KEY_CACHE_MAX_ENTRIES: z.coerce.number().int().positive().default(10_000),
  USAGE_FLUSH_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
  USAGE_BATCH_SIZE: z.coerce.number().int().positive().default(500),
  USAGE_BUFFER_MAX: z.coerce.number().int().positive().default(100_000),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  /** Longest a tool call may run before its signal is aborted and it is answered with an error. */
  TOOL_TIMEOUT_MS: z.coerce.number().int().positive().max(3_600_000).default(30_000),
  /** Test-only: serves the fixture tools, resources and prompts of src/test-fixtures. Needs NODE_ENV=test. */
  TEST_FIXTURES: z.stringbool().default(false),
  NODE_ENV: z.string().optional(),
});

/** The parsed configuration. */
export type Config = z.infer<typeof configSchema>;

/** Parses settings from an environment record; throws one readable error listing every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(blanksRemoved);
  if (result.success) {
    if (result.data.TEST_FIXTURES && result.data.NODE_ENV !== 'test') {
      throw new Error('Invalid configuration: TEST_FIXTURES serves test-only tools and is refused unless NODE_ENV=test. Never set it in production.');
    }
    return result.data;
  }
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new Error(`Invalid configuration: ${problems}`);
}

/** The server's public origin, derived from PUBLIC_URL or HOST and PORT. */
export function publicUrl(config: Config): string {
  return (config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/$/, '');
}
