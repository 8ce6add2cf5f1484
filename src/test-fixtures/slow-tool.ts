import { z } from 'zod';
import { defineTool, textResult } from '../tools/define-tool.ts';
import { FIXTURE_SCOPE, pause } from './fixture-data.ts';

/** Sleeps, for timeout, cancellation and disconnect tests. Reports progress when asked to. */
export const testSlow = defineTool({
  name: 'test_slow',
  title: 'Slow test tool',
  description: 'Waits for `ms` milliseconds, then answers. With `ignoreSignal` it does not stop when cancelled.',
  scopes: [FIXTURE_SCOPE],
  inputSchema: {
    ms: z.number().int().min(0).max(600_000),
    ignoreSignal: z.boolean().default(false),
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async ({ ms, ignoreSignal }, { progress, signal }) => {
    await progress(0, ms, 'started');
    await pause(ms, ignoreSignal ? undefined : signal);
    await progress(ms, ms, 'done');
    return textResult(`Waited ${ms} ms.`);
  },
});
