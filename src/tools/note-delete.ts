import { z } from 'zod';
import { deleteNote, getNote, noteKeySchema } from '../services/notes.ts';
import { defineTool, structuredResult, toolError } from './define-tool.ts';

/**
 * Deletes a note from the caller's tenant. A client that can ask its user (2026-07-28 elicitation)
 * is asked to confirm first; a legacy client, or one without elicitation, deletes at once, as before.
 */
export const noteDelete = defineTool({
  name: 'note_delete',
  title: 'Delete note',
  description: "Delete the note stored under a key in your organisation's notes. Clients that support elicitation ask the user to confirm.",
  scopes: ['notes:write'],
  inputSchema: { key: noteKeySchema },
  outputSchema: { key: z.string(), deleted: z.boolean() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  handler: async ({ key }, { db, caller, elicit }) => {
    // Nothing to confirm for a note that is not there. (Reading is safe: the handler runs again after the answer.)
    if (!(await getNote(db, caller.tenantId, key))) return structuredResult({ key, deleted: false });
    const answer = await elicit('confirm_delete', `Delete the note "${key}"? This cannot be undone.`, {
      type: 'object',
      properties: { confirm: { type: 'boolean', title: 'Delete this note', default: false } },
      required: ['confirm'],
    });
    if (answer && (answer.action !== 'accept' || answer.content?.confirm !== true)) {
      return toolError(`The note "${key}" was not deleted: the user did not confirm.`);
    }
    return structuredResult({ key, deleted: await deleteNote(db, caller.tenantId, key) });
  },
});
