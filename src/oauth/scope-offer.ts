import { grants } from '../auth/scopes.ts';
import type { AnyTool } from '../tools/index.ts';
import type { ScopeChoice } from './pages/consent-page.ts';

/**
 * The scopes the consent page offers: every scope a tool needs that the tenant's plan, the
 * sign-in's upper bound (a key's scopes) and the client's request (when it made one) all allow.
 */
export function offeredScopes(
  tools: readonly AnyTool[],
  bounds: { tenantScopes: readonly string[]; maxScopes?: readonly string[]; requested: readonly string[] | null },
): ScopeChoice[] {
  const all = [...new Set(tools.flatMap((t) => t.scopes))].sort();
  const offered = all.filter(
    (s) => grants(bounds.tenantScopes, s) && (!bounds.maxScopes || grants(bounds.maxScopes, s)) && (!bounds.requested || grants(bounds.requested, s)),
  );
  return offered.map((scope) => ({
    scope,
    tools: tools.filter((t) => t.scopes.includes(scope)).map((t) => ({ name: t.name, title: t.title })),
  }));
}
