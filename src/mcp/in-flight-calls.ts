import type { Caller } from '../auth/caller.ts';

type RequestId = string | number;

/**
 * The tool calls running in this instance, so that a `notifications/cancelled` can abort one.
 * Statelessly, that notification arrives as a separate POST, handled by a different per-request
 * server (and, behind a load balancer, possibly by a different instance, where it finds nothing).
 * Calls are keyed by credential and JSON-RPC id: a caller can only cancel its own calls.
 */
export class InFlightCalls {
  readonly #calls = new Map<string, Set<AbortController>>();

  /** Registers a running call; returns the function that unregisters it. */
  track(caller: Caller, requestId: RequestId, controller: AbortController): () => void {
    const key = callKey(caller, requestId);
    let set = this.#calls.get(key);
    if (!set) this.#calls.set(key, (set = new Set()));
    set.add(controller);
    return () => {
      set.delete(controller);
      if (set.size === 0 && this.#calls.get(key) === set) this.#calls.delete(key);
    };
  }

  /** Aborts the caller's running calls with this id; returns how many there were. */
  cancel(caller: Caller, requestId: RequestId, reason?: string): number {
    const set = this.#calls.get(callKey(caller, requestId));
    if (!set) return 0;
    for (const controller of set) controller.abort(reason ?? 'Cancelled by the client.');
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

function callKey(caller: Caller, requestId: RequestId): string {
  return JSON.stringify([caller.tenantId, caller.keyId, caller.subject, requestId]);
}
