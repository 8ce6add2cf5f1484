import type { Caller } from '../auth/caller.ts';

type RequestId = string | number;
type Stop = (reason: string) => void;

/**
 * The tool calls running in this instance, so that a `notifications/cancelled` can abort one.
 * Statelessly, that notification arrives as a separate POST, handled by a different per-request
 * server (and, behind a load balancer, possibly by a different instance, where it finds nothing).
 * Calls are keyed by credential and JSON-RPC id: a caller can only cancel its own calls.
 */
export class InFlightCalls {
  readonly #calls = new Map<string, Set<Stop>>();

  /** Registers a running call and how to stop it; returns the function that unregisters it. */
  track(caller: Caller, requestId: RequestId, stop: Stop): () => void {
    const key = callKey(caller, requestId);
    let set = this.#calls.get(key);
    if (!set) this.#calls.set(key, (set = new Set()));
    set.add(stop);
    return () => {
      set.delete(stop);
      if (set.size === 0 && this.#calls.get(key) === set) this.#calls.delete(key);
    };
  }

  /** Aborts the caller's running calls with this id; returns how many there were. */
  cancel(caller: Caller, requestId: RequestId, reason?: string): number {
    const set = this.#calls.get(callKey(caller, requestId));
    if (!set) return 0;
    for (const stop of set) stop(reason ?? 'Cancelled by the client.');
    return set.size;
  }
}

/** The request id a `notifications/cancelled` message names, or undefined for any other message. */
export function cancelledRequestId(message: object): RequestId | undefined {
  const m = message as { method?: unknown; id?: unknown; params?: { requestId?: unknown } };
  if (m.method !== 'notifications/cancelled' || m.id !== undefined) return undefined;
  const id = m.params?.requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/** Credential and id in one string; the id's type is kept (1 and "1" are different requests). */
function callKey(caller: Caller, requestId: RequestId): string {
  // Tenant and key ids never hold a NUL; a subject might, so it goes last but one, JSON-quoted.
  return `${caller.tenantId}\0${caller.keyId ?? ''}\0${JSON.stringify(caller.subject ?? null)}\0${typeof requestId === 'number' ? requestId : JSON.stringify(requestId)}`;
}
