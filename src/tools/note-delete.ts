import { z } from 'zod';
import { deleteNote, noteKeySchema } from '../services/notes.ts';
import { defineTool, structuredResult } from './define-tool.ts';

/** Deletes a note from the caller's tenant. */
export const noteDelete = defineTool({
  name: 'note_delete',
  title: 'Delete note',
  description: "Delete the note stored under a key in your organisation's notes.",
  scopes: ['notes:write'],
  inputSchema: { key: noteKeySchema },
  outputSchema: { key: z.string(), deleted: z.boolean() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  handler: async ({ key }, { db, caller }) => structuredResult({ key, deleted: await deleteNote(db, caller.tenantId, key) }),
});
