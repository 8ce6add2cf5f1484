import { z } from 'zod';
import { defineTool, textResult } from './define-tool.ts';

/** Multiplies two numbers. */
export const multiply = defineTool({
  name: 'multiply',
  title: 'Multiply',
  description: 'Multiply two numbers and return the product as a decimal number.',
  scopes: ['math'],
  inputSchema: { a: z.number().describe('First factor'), b: z.number().describe('Second factor') },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async ({ a, b }) => textResult(String(a * b)),
});
