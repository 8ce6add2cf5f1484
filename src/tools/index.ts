import type { Caller } from '../auth/caller.ts';
import { grantsAll } from '../auth/scopes.ts';
import { add } from './add.ts';
import type { ToolDefinition } from './define-tool.ts';
import { githubReadme } from './github-readme.ts';
import { multiply } from './multiply.ts';
import { noteDelete } from './note-delete.ts';
import { noteGet } from './note-get.ts';
import { noteList } from './note-list.ts';
import { notePut } from './note-put.ts';
import { whoami } from './whoami.ts';

// Tools have different input shapes; the registry only needs their common surface.
type AnyTool = ToolDefinition<any, any>;

/** Every tool the server offers. Add yours here. */
export const allTools: readonly AnyTool[] = [add, multiply, whoami, notePut, noteGet, noteList, noteDelete, githubReadme];

/** The tools both the caller's tenant and credential grant every needed scope for. */
export function toolsVisibleTo(caller: Caller, tools: readonly AnyTool[] = allTools): AnyTool[] {
  return tools.filter((t) => grantsAll(caller.tenantScopes, t.scopes) && grantsAll(caller.credentialScopes, t.scopes));
}

/** Where /mcp gets the tools on offer (built-in and from connectors): the same array until something changes. */
export interface ToolCatalog {
  tools(): readonly AnyTool[] | Promise<readonly AnyTool[]>;
}

const scopesByCatalog = new WeakMap<readonly AnyTool[], readonly string[]>();

/** Every scope a tool on offer needs, sorted: what clients may ask an authorization server for. */
export async function scopesOnOffer(catalog: ToolCatalog): Promise<readonly string[]> {
  const tools = await catalog.tools();
  let scopes = scopesByCatalog.get(tools);
  if (!scopes) scopesByCatalog.set(tools, (scopes = [...new Set(tools.flatMap((t) => t.scopes))].sort()));
  return scopes;
}

export type { AnyTool };
