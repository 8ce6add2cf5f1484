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
