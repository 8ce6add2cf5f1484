import { z } from '@hono/zod-openapi';
import { type ProblemStatus, problemTypes } from './problem.ts';

/** An RFC 9457 problem details object: the body of every error. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:tenant-mcp:problem:not-found', description: 'Identifies the kind of problem; switch on this.' }),
    title: z.string().openapi({ example: 'Not found' }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().openapi({ example: 'No tenant "acme"' }),
    errors: z
      .array(
        z.object({
          in: z.enum(['body', 'query', 'path']),
          pointer: z.string().openapi({ description: 'JSON Pointer into that part of the request', example: '/scopes/0' }),
          detail: z.string(),
        }),
      )
      .optional()
      .openapi({ description: 'Every validation issue, when the request failed validation.' }),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details, served as application/problem+json.' });

/** Documents problem responses for the given statuses (401, 403 and 500 are added to every route). */
export function problems(...statuses: ProblemStatus[]) {
  const all = [...new Set<ProblemStatus>([...statuses, 401, 403, 500])];
  return Object.fromEntries(
    all.map((status) => [status, { description: problemTypes[status].title, content: { 'application/problem+json': { schema: ProblemSchema } } }]),
  ) as Record<ProblemStatus, { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }>;
}

/** `limit` and `cursor`, shared by every list. */
export const PageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .openapi({ param: { name: 'limit', in: 'query' }, description: 'Items per page, 1-1000', example: 100 }),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' }, description: 'The `next` value of the previous page' }),
});

/** A page of `item`: `next` fetches the following page and is null on the last. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next: z.string().nullable().openapi({ description: 'Pass as `cursor` to get the next page; null on the last page.' }),
  });
}

/** A JSON request body that must be present. */
export function jsonBody<T extends z.ZodType>(schema: T, description: string) {
  return { required: true, description, content: { 'application/json': { schema } } };
}

/** A JSON response. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** ISO 8601 date-time string. */
export const timestamp = () => z.string().openapi({ format: 'date-time', example: '2026-01-31T12:00:00.000Z' });
