import { z } from 'zod';
import { defineTool, textResult } from './define-tool.ts';

/** Adds two numbers. */
export const add = defineTool({
  name: 'add',
  title: 'Add',
  description: 'Add two numbers and return the sum as a decimal number.',
  scopes: ['math'],
  inputSchema: { a: z.number().describe('First addend'), b: z.number().describe('Second addend') },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async ({ a, b }) => textResult(String(a + b)),
});
