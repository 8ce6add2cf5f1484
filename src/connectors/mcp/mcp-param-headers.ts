import { headerValue } from './header-value.ts';

/**
 * The `Mcp-Param-{Name}` headers a 2026-07-28 call must carry (SEP-2243): one per property of the
 * tool's input schema, reached through `properties` only, that declares `x-mcp-header`, when the
 * arguments give it a string, boolean or finite number.
 */
export function mcpParamHeaders(inputSchema: Record<string, unknown>, args: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  const visit = (schema: unknown, value: unknown, depth: number) => {
    if (depth > 32 || schema === null || typeof schema !== 'object') return;
    const properties = (schema as { properties?: unknown }).properties;
    if (properties === null || typeof properties !== 'object' || value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(properties as Record<string, unknown>)) {
      const given = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
      const name = child !== null && typeof child === 'object' ? (child as Record<string, unknown>)['x-mcp-header'] : undefined;
      if (typeof name === 'string' && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
        const text = typeof given === 'string' ? given : typeof given === 'boolean' || (typeof given === 'number' && Number.isFinite(given)) ? String(given) : undefined;
        if (text !== undefined) headers[`Mcp-Param-${name}`] = headerValue(text);
      }
      visit(child, given, depth + 1);
    }
  };
  visit(inputSchema, args, 0);
  return headers;
}
