import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../db/database.ts';
import { usageOutcomes } from '../db/schema.ts';
import { parseSince } from '../services/duration.ts';
import { aggregateUsage, listUsage, type UsageFilter, type UsageGrouping, usageGroupings } from '../services/usage.ts';
import { jsonResponse, PageQuerySchema, pageSchema, problems, timestamp } from './schemas.ts';

const time = (name: string, description: string) =>
  z
    .string()
    .max(64)
    .optional()
    .openapi({ param: { name, in: 'query' }, description: `${description}: an ISO date or date-time, or a duration back from now such as \`24h\` or \`7d\``, example: '24h' });

const FilterQuerySchema = PageQuerySchema.extend({
  tenant: z.string().max(63).optional().openapi({ param: { name: 'tenant', in: 'query' }, description: 'Tenant slug', example: 'acme' }),
  keyId: z.string().max(64).optional().openapi({ param: { name: 'keyId', in: 'query' }, description: 'Key id' }),
  tool: z.string().max(128).optional().openapi({ param: { name: 'tool', in: 'query' }, description: 'Tool name', example: 'add' }),
  outcome: z.enum(usageOutcomes).optional().openapi({ param: { name: 'outcome', in: 'query' } }),
  since: time('since', 'Events at or after this time'),
  until: time('until', 'Events before this time'),
});

const UsageEventSchema = z
  .object({
    id: z.number().int().openapi({ description: 'Increases in the order events were written' }),
    at: timestamp(),
    tenant: z.string().nullable(),
    keyId: z.string().nullable(),
    subject: z.string().nullable(),
    tool: z.string().nullable().openapi({ description: 'Null for a refused credential' }),
    outcome: z.enum(usageOutcomes),
    durationMs: z.number().int(),
    requestBytes: z.number().int(),
    responseBytes: z.number().int(),
    protocolVersion: z.string().nullable(),
    userAgent: z.string().nullable(),
    clientId: z.string().nullable().openapi({ description: 'The OAuth client whose access token made the call.' }),
    upstreamStatus: z.number().int().nullable().openapi({ description: "A connector tool's upstream HTTP status; null when none answered, or for a built-in tool." }),
    upstreamMs: z.number().int().nullable().openapi({ description: "How long a connector tool's upstream took, in ms." }),
  })
  .openapi('UsageEvent', { description: 'One tools/call or refused credential. Never arguments, results or secrets.' });

const UsageAggregateSchema = z
  .object({
    tenant: z.string().nullable().optional().openapi({ description: 'Present when grouped by tenant' }),
    keyId: z.string().nullable().optional().openapi({ description: 'Present when grouped by key' }),
    tool: z.string().nullable().optional().openapi({ description: 'Present when grouped by tool' }),
    day: z.string().optional().openapi({ description: 'UTC day, present when grouped by day', example: '2026-01-31' }),
    calls: z.number().int().openapi({ description: 'Every event: ok + errors + denied + rateLimited' }),
    ok: z.number().int(),
    errors: z.number().int().openapi({ description: 'Outcomes tool_error, invalid and error' }),
    denied: z.number().int().openapi({ description: 'Outcomes denied (tool not granted) and unauthenticated' }),
    rateLimited: z.number().int().openapi({ description: 'Outcome rate_limited: refused by a rate limit or quota' }),
    p50Ms: z.number().int().nullable().openapi({ description: 'Median duration (nearest rank)' }),
    p95Ms: z.number().int().nullable().openapi({ description: '95th percentile duration (nearest rank)' }),
    requestBytes: z.number().int(),
    responseBytes: z.number().int(),
  })
  .openapi('UsageAggregate');

const groupByPattern = new RegExp(`^(${usageGroupings.join('|')})(,(${usageGroupings.join('|')}))*$`);

const listEventsRoute = createRoute({
  method: 'get',
  path: '/usage/events',
  tags: ['Usage'],
  operationId: 'listUsageEvents',
  summary: 'List usage events',
  description:
    'Events in the order they were written. Usage is written in batches, so the newest events appear after about `USAGE_FLUSH_INTERVAL_MS`; ' +
    'following `next` never skips an event written late.',
  request: { query: FilterQuerySchema },
  responses: { 200: jsonResponse(pageSchema(UsageEventSchema).openapi('UsageEventPage'), 'A page of events'), ...problems(400, 404) },
});

const aggregatesRoute = createRoute({
  method: 'get',
  path: '/usage/aggregates',
  tags: ['Usage'],
  operationId: 'aggregateUsage',
  summary: 'Aggregate usage per tenant, key, tool and/or day',
  description: 'One row per group, ordered by the groupings in the order given; without `groupBy`, one row of totals.',
  request: {
    query: FilterQuerySchema.extend({
      groupBy: z
        .string()
        .regex(groupByPattern, `Use a comma-separated list of ${usageGroupings.join(', ')}`)
        .optional()
        .openapi({ param: { name: 'groupBy', in: 'query' }, description: `Comma-separated: ${usageGroupings.join(', ')}`, example: 'tenant,day' }),
    }),
  },
  responses: { 200: jsonResponse(pageSchema(UsageAggregateSchema).openapi('UsageAggregatePage'), 'A page of aggregates'), ...problems(400, 404) },
});

/** Registers the /usage routes. */
export function registerUsageRoutes(app: OpenAPIHono, db: Database): void {
  app.openapi(listEventsRoute, async (c) => c.json(await listUsage(db, usageFilter(c.req.valid('query'))), 200));

  app.openapi(aggregatesRoute, async (c) => {
    const query = c.req.valid('query');
    const groupBy = query.groupBy?.split(',') as UsageGrouping[] | undefined; // the pattern admits only groupings
    return c.json(await aggregateUsage(db, { ...usageFilter(query), groupBy }), 200);
  });
}

function usageFilter(query: z.infer<typeof FilterQuerySchema>): UsageFilter & { limit: number; cursor?: string } {
  const { since, until, ...rest } = query;
  return { ...rest, since: since === undefined ? undefined : parseSince(since), until: until === undefined ? undefined : parseSince(until) };
}
