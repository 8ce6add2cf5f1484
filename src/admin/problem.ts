import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import { AppError, type AppErrorCode } from '../errors.ts';

/** Where in a request a validation issue was found. */
export type IssueLocation = 'body' | 'query' | 'path';

/** One thing wrong with a request: `pointer` is a JSON Pointer into that part of it. */
export interface ProblemIssue {
  in: IssueLocation;
  pointer: string;
  detail: string;
}

/** An RFC 9457 problem details object, the body of every admin API error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: ProblemIssue[];
}

/** Every status the admin API answers with a problem, with its problem type's name and title. */
export const problemTypes = {
  400: { name: 'invalid', title: 'Invalid request' },
  401: { name: 'unauthorized', title: 'Unauthorized' },
  403: { name: 'forbidden', title: 'Forbidden' },
  404: { name: 'not-found', title: 'Not found' },
  409: { name: 'conflict', title: 'Conflict' },
  413: { name: 'too-large', title: 'Payload too large' },
  415: { name: 'unsupported-media-type', title: 'Unsupported media type' },
  500: { name: 'internal', title: 'Internal server error' },
  501: { name: 'not-configured', title: 'Not configured on this server' },
} as const;

/** A status that has a problem type. */
export type ProblemStatus = keyof typeof problemTypes;

const statusOf: Record<AppErrorCode, ProblemStatus> = { invalid: 400, not_found: 404, conflict: 409 };

/** The problem type URI for a status; clients may switch on it. */
export function problemType(status: ProblemStatus): string {
  return `urn:tenant-mcp:problem:${problemTypes[status].name}`;
}

/** An `application/problem+json` response. */
export function problemResponse(status: ProblemStatus, detail: string, extra: { errors?: ProblemIssue[]; headers?: Record<string, string> } = {}): Response {
  const body: Problem = { type: problemType(status), title: problemTypes[status].title, status, detail };
  if (extra.errors) body.errors = extra.errors;
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...extra.headers },
  });
}

/** A 400 problem listing every issue zod found in one part of the request. */
export function validationProblem(error: ZodError, location: IssueLocation): Response {
  const errors = error.issues.map((issue) => ({ in: location, pointer: jsonPointer(issue.path), detail: issue.message }));
  const detail = errors.map((e) => `${e.in}${e.pointer ? ` ${e.pointer}` : ''}: ${e.detail}`).join('; ');
  return problemResponse(400, `The request is invalid: ${detail}`, { errors });
}

/**
 * Turns an error thrown while handling an admin request into a problem: a service's AppError by
 * its code, an HTTPException (malformed JSON, wrong media type, body too large) by its status.
 * Anything else is unexpected: reported to `onUnexpected`, answered 500 without details.
 */
export function problemFromError(error: unknown, onUnexpected: (error: unknown) => void): Response {
  if (error instanceof AppError) return problemResponse(statusOf[error.code], error.message);
  if (error instanceof HTTPException && error.status === 415) {
    return problemResponse(415, 'Send the body as JSON, with "Content-Type: application/json".');
  }
  if (error instanceof HTTPException && error.status in problemTypes && error.status !== 500) {
    return problemResponse(error.status as ProblemStatus, error.message || problemTypes[error.status as ProblemStatus].title);
  }
  onUnexpected(error);
  return problemResponse(500, 'The server failed to handle this request.');
}

function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
