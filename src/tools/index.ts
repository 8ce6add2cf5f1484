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

export type { AnyTool };
