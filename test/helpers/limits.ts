import { postMcp, rpc } from './mcp.ts';

/** Calls a tool with a raw tools/call POST, authenticated with `key`. */
export function callTool(baseUrl: string, key: string, name: string, args: Record<string, unknown>, id: number | string = 1): Promise<Response> {
  return postMcp(baseUrl, rpc('tools/call', { name, arguments: args }, id), { Authorization: `Bearer ${key}` });
}

/**
 * Waits, if need be, until the current fixed window of `windowMs` (UTC-aligned, as the limiter's)
 * has at least `needMs` left, so a test's calls all fall into one window.
 */
export async function freshWindow(windowMs: number, needMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** Polls `probe` until it returns a value, for at most `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for a condition`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
