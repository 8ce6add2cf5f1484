import { DrizzleQueryError } from 'drizzle-orm';

/** What kind of expected failure a service reports; callers map it to an exit code or HTTP status. */
export type AppErrorCode = 'invalid' | 'not_found' | 'conflict';

/** The one exception type services throw for a caller's mistake. Its message is safe to show. */
export class AppError extends Error {
  readonly code: AppErrorCode;

  constructor(code: AppErrorCode, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }
}

/**
 * An error for the operator's log: name and message with its causes, without stacks. A failed
 * database query is named by its cause only: drizzle's message repeats the query's parameters,
 * which can hold tenant data.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; depth < 4 && e !== undefined; e = e instanceof Error ? e.cause : undefined, depth++) {
    if (!(e instanceof Error)) {
      parts.push(String(e));
      break;
    }
    parts.push(e instanceof DrizzleQueryError ? 'Database query failed' : `${e.name}: ${e.message}`);
  }
  return parts.join(' <- ');
}
