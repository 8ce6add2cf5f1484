import { z } from 'zod';
import { getNote, noteKeySchema } from '../services/notes.ts';
import { defineTool, structuredResult, toolError } from './define-tool.ts';

/** Reads a note from the caller's tenant. */
export const noteGet = defineTool({
  name: 'note_get',
  title: 'Read note',
  description: "Read the note stored under a key in your organisation's notes.",
  scopes: ['notes:read'],
  inputSchema: { key: noteKeySchema },
  outputSchema: { key: z.string(), value: z.string(), updatedAt: z.string() },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async ({ key }, { db, caller }) => {
    const note = await getNote(db, caller.tenantId, key);
    return note ? structuredResult({ ...note }) : toolError(`No note with key "${key}".`);
  },
});
