import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Caller } from '../auth/caller.ts';
import { grantsAll } from '../auth/scopes.ts';
import { inputRoundOf } from '../mcp/input-round.ts';
import { FIXTURE_SCOPE, RED_PIXEL_PNG } from './fixture-data.ts';

/** Registers the conformance suite's fixture resources and prompts, for callers granted the fixture scope. */
export function registerConformanceExtras(server: McpServer, caller: Caller): void {
  if (!grantsAll(caller.tenantScopes, [FIXTURE_SCOPE]) || !grantsAll(caller.credentialScopes, [FIXTURE_SCOPE])) return;

  const text = (uri: URL, mimeType: string, body: string) => ({ contents: [{ uri: uri.href, mimeType, text: body }] });
  server.registerResource('static-text', 'test://static-text', { description: 'A static text resource', mimeType: 'text/plain' }, async (uri) =>
    text(uri, 'text/plain', 'This is the content of the static text resource.'),
  );
  server.registerResource('static-binary', 'test://static-binary', { description: 'A static binary resource (1x1 PNG)', mimeType: 'image/png' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'image/png', blob: RED_PIXEL_PNG }],
  }));
  server.registerResource('watched-resource', 'test://watched-resource', { description: 'A resource that could be watched', mimeType: 'text/plain' }, async (uri) =>
    text(uri, 'text/plain', 'Watched resource content'),
  );
  server.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'A resource template with an {id} parameter', mimeType: 'application/json' },
    async (uri, { id }) => {
      const value = Array.isArray(id) ? id.join(',') : String(id);
      return text(uri, 'application/json', JSON.stringify({ id: value, templateTest: true, data: `Data for ID: ${value}` }));
    },
  );

  server.registerPrompt('test_simple_prompt', { description: 'A simple prompt without arguments' }, async () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));
  // A completable argument is what makes the SDK offer completion/complete (the completion scenario uses it).
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with required arguments',
      argsSchema: {
        arg1: completable(z.string().describe('First test argument'), (value) => ['paris', 'park', 'party', 'test', 'testValue1'].filter((v) => v.startsWith(value ?? ''))),
        arg2: z.string().describe('Second test argument'),
      },
    },
    async ({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt that embeds a resource', argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') } },
    async ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  // 2026-07-28 only: a prompt that asks the user for context through an input_required result.
  server.registerPrompt('test_input_required_result_prompt', { description: 'A prompt that asks the user for its context first' }, async (extra) => {
    const requestedSchema = { type: 'object' as const, properties: { context: { type: 'string' } }, required: ['context'] };
    const answers = await inputRoundOf(extra)?.ask({ user_context: { method: 'elicitation/create', params: { message: 'What context should the prompt use?', requestedSchema } } });
    const context = (answers?.user_context as { content?: { context?: unknown } } | undefined)?.content?.context ?? 'none given';
    return { messages: [{ role: 'user', content: { type: 'text', text: `Use this context: ${String(context)}` } }] };
  });
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with image content' }, async () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));
}
