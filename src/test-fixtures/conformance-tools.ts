import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type ToolDefinition, defineTool, textResult, toolError } from '../tools/define-tool.ts';
import { FIXTURE_SCOPE, RED_PIXEL_PNG, SILENT_WAV, pause } from './fixture-data.ts';

// The tools the server scenarios of @modelcontextprotocol/conformance call, by their fixed names.
// Sampling and elicitation tools are left out: a stateless server cannot complete a
// server-to-client request (see test/conformance/expected-failures.yml).

const fixture = (name: string, description: string, handler: ToolDefinition<{}>['handler'], streaming?: boolean) =>
  defineTool({ name, title: name, description, scopes: [FIXTURE_SCOPE], inputSchema: {}, annotations: { readOnlyHint: true, openWorldHint: false }, streaming, handler });

const resultOf = (content: CallToolResult['content']) => async (): Promise<CallToolResult> => ({ content });

/** The conformance suite's fixture tools. */
export const conformanceTools = [
  fixture('test_simple_text', 'Returns a simple text response.', resultOf([{ type: 'text', text: 'This is a simple text response for testing.' }])),
  fixture('test_image_content', 'Returns image content (a 1x1 red PNG).', resultOf([{ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' }])),
  fixture('test_audio_content', 'Returns audio content (a short silent WAV).', resultOf([{ type: 'audio', data: SILENT_WAV, mimeType: 'audio/wav' }])),
  fixture(
    'test_embedded_resource',
    'Returns an embedded resource.',
    resultOf([{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }]),
  ),
  fixture(
    'test_multiple_content_types',
    'Returns text, image and resource content.',
    resultOf([
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
    ]),
  ),
  fixture(
    'test_tool_with_logging',
    'Sends three log messages while it runs.',
    async (_args, { log, signal }) => {
      await log('info', 'Tool execution started');
      await pause(50, signal);
      await log('info', 'Tool processing data');
      await pause(50, signal);
      await log('info', 'Tool execution completed');
      return textResult('Tool with logging executed successfully');
    },
    true,
  ),
  fixture('test_error_handling', 'Always returns an error result.', async () => toolError('This tool intentionally returns an error for testing')),
  fixture('test_tool_with_progress', 'Reports progress 0, 50 and 100 of 100.', async (_args, { progress, signal }) => {
    for (const done of [0, 50, 100]) {
      await progress(done, 100, `Progress ${done}/100`);
      if (done < 100) await pause(50, signal);
    }
    return textResult('Progress tool completed');
  }),
];
