/**
 * Scope patterns. A scope is `segment(:segment)*` (e.g. `math`, `notes:read`). A pattern is a
 * scope, `prefix:*` (the prefix and everything below it, e.g. `notes:*`), or `*` (everything).
 */

const segment = '[a-z0-9][a-z0-9_-]*';
const scopeRe = new RegExp(`^${segment}(?::${segment})*$`);
const patternRe = new RegExp(`^(?:\\*|${segment}(?::${segment})*(?::\\*)?)$`);

/** True when `value` is a well-formed scope (no wildcard). */
export function isScope(value: string): boolean {
  return scopeRe.test(value);
}

/** True when `value` is a well-formed scope pattern. */
export function isScopePattern(value: string): boolean {
  return patternRe.test(value);
}

/** Parses a comma or space separated list into distinct patterns; returns the bad ones too. */
export function parseScopeList(input: string): { scopes: string[]; invalid: string[] } {
  const items = [...new Set(input.split(/[\s,]+/).filter(Boolean))];
  return { scopes: items.filter(isScopePattern), invalid: items.filter((s) => !isScopePattern(s)) };
}

/** True when `pattern` grants the concrete `scope`. */
export function patternGrants(pattern: string, scope: string): boolean {
  if (pattern === '*' || pattern === scope) return true;
  if (!pattern.endsWith(':*')) return false;
  const prefix = pattern.slice(0, -1); // keeps the trailing ':'
  return scope.startsWith(prefix);
}

/** True when some pattern in `patterns` grants `scope`. */
export function grants(patterns: readonly string[], scope: string): boolean {
  return patterns.some((p) => patternGrants(p, scope));
}

/** True when every scope in `required` is granted by `patterns`. */
export function grantsAll(patterns: readonly string[], required: readonly string[]): boolean {
  return required.every((scope) => grants(patterns, scope));
}

/** True when everything pattern `inner` grants, pattern `outer` grants too. */
export function patternCovers(outer: string, inner: string): boolean {
  if (outer === '*') return true;
  if (inner === '*') return false;
  if (!inner.endsWith(':*')) return patternGrants(outer, inner);
  // `inner` is `p:*`: covered by an equal pattern or a wider wildcard.
  return outer === inner || (outer.endsWith(':*') && inner.startsWith(outer.slice(0, -1)));
}

/** The patterns in `inner` that no pattern in `outer` covers (empty when `inner` lies within `outer`). */
export function uncovered(outer: readonly string[], inner: readonly string[]): string[] {
  return inner.filter((i) => !outer.some((o) => patternCovers(o, i)));
}
