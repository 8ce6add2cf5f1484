import { UpstreamMcpError } from './upstream-mcp-error.ts';

/** The error for a call its signal ended: "did not answer in time" for a timeout, "cancelled" otherwise. */
export function abortedError(signal: AbortSignal, status: number | null): UpstreamMcpError {
  const timedOut = signal.reason instanceof Error && signal.reason.name === 'TimeoutError';
  return new UpstreamMcpError(timedOut ? 'The upstream did not answer in time' : 'The call to the upstream was cancelled', status);
}

/**
 * Waits for `promise`, but no longer than `signal` allows. For a handshake another call started:
 * its own signal does not end our wait, and on Workers a promise settled by another request's
 * context may never settle in ours if that request is cancelled first.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortedError(signal, null));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal, null));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
