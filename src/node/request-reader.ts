import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyCollector, type BodyRead, DRAIN_BOUNDS, declaredLength, fetchRequestReader, type RequestReader, UNREADABLE } from '../http/request-reader.ts';

/** What @hono/node-server passes as `c.env`. */
interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/**
 * Reads the body straight from Node's IncomingMessage and watches the ServerResponse for a
 * disconnect. @hono/node-server builds a full Fetch `Request` (web streams, an AbortController and
 * undici's weak references) the first time a body or signal is touched; on the hot path that cost
 * more CPU and GC time than the MCP call it carried.
 */
export const nodeRequestReader: RequestReader = {
  body(c, maxBytes) {
    const { incoming } = c.env as NodeBindings;
    // Read already (by anything on the Fetch side): only the Fetch side still has it.
    if (!incoming || incoming.readableEnded) return fetchRequestReader.body(c, maxBytes);
    const h = incoming.headers;
    return readIncoming(incoming, new BodyCollector(declaredLength(h['content-length'], h['transfer-encoding']), maxBytes));
  },
  onClientGone(c, onGone) {
    const { incoming, outgoing } = c.env as NodeBindings;
    if (!incoming || !outgoing) return fetchRequestReader.onClientGone(c, onGone);
    // The rule @hono/node-server applies to its own Request.signal.
    const listener = () => {
      if (incoming.errored) onGone(incoming.errored);
      else if (!outgoing.writableFinished) onGone(new Error('Client connection prematurely closed.'));
    };
    if (outgoing.closed) {
      listener();
      return () => {};
    }
    outgoing.once('close', listener);
    return () => outgoing.off('close', listener);
  },
};

// 'data' events rather than async iteration, which allocates an iterator and promises per body.
function readIncoming(incoming: IncomingMessage, body: BodyCollector): Promise<BodyRead> {
  return new Promise((resolve) => {
    let drained = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settle = (result: BodyRead) => {
      clearTimeout(timer);
      incoming.off('data', onData).off('end', onEnd).off('error', onError);
      resolve(result);
    };
    // Over the limit: drop the rest, within DRAIN_BOUNDS, so the 413 is read rather than reset.
    const drain = () => (timer = setTimeout(() => settle(body.result()), DRAIN_BOUNDS.ms));
    const onData = (chunk: Buffer) => {
      if (!body.tooLarge) {
        if (!body.push(chunk)) drain();
      } else if ((drained += chunk.byteLength) > DRAIN_BOUNDS.bytes) settle(body.result());
    };
    const onEnd = () => settle(body.result());
    const onError = () => settle(body.tooLarge ? body.result() : UNREADABLE);
    if (body.tooLarge) drain();
    incoming.on('data', onData).once('end', onEnd).once('error', onError);
  });
}
