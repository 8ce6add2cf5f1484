import { z } from 'zod';
import { listNotes, noteKeySchema } from '../services/notes.ts';
import { defineTool, structuredResult } from './define-tool.ts';

/** Lists the caller's tenant's note keys. */
export const noteList = defineTool({
  name: 'note_list',
  title: 'List notes',
  description: "List the keys of your organisation's notes in order, optionally under a prefix. Pass `after` (the last key seen) for the next page.",
  scopes: ['notes:read'],
  inputSchema: {
    prefix: z.string().max(200).optional().describe('Only keys starting with this'),
    after: noteKeySchema.optional().describe('Continue after this key'),
    limit: z.number().int().min(1).max(500).default(100).describe('Page size'),
  },
  outputSchema: {
    notes: z.array(z.object({ key: z.string(), updatedAt: z.string() })),
    next: z.string().nullable(),
  },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async ({ prefix, after, limit }, { db, caller }) => {
    const notes = await listNotes(db, caller.tenantId, { prefix, after, limit });
    const next = notes.length === limit ? notes[notes.length - 1]!.key : null;
    return structuredResult({ notes, next });
  },
});
