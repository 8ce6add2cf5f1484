import { z } from 'zod';
import { noteKeySchema, noteValueSchema, putNote } from '../services/notes.ts';
import { defineTool, structuredResult } from './define-tool.ts';

/** Stores a note in the caller's tenant. */
export const notePut = defineTool({
  name: 'note_put',
  title: 'Save note',
  description: "Save a text note under a key in your organisation's notes, replacing any note with that key.",
  scopes: ['notes:write'],
  inputSchema: { key: noteKeySchema, value: noteValueSchema },
  outputSchema: { key: z.string(), updatedAt: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  handler: async ({ key, value }, { db, caller }) => {
    const note = await putNote(db, caller.tenantId, key, value);
    return structuredResult({ key: note.key, updatedAt: note.updatedAt });
  },
});
