import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { InputRequest } from '../mcp/input-round.ts';
import { type ElicitSchema, type ToolDefinition, defineTool, textResult, toolError } from '../tools/define-tool.ts';
import { FIXTURE_SCOPE, RED_PIXEL_PNG, SILENT_WAV, pause } from './fixture-data.ts';

// The tools the server scenarios of @modelcontextprotocol/conformance call, by their fixed names.
// The legacy sampling and elicitation tools are left out: a stateless server cannot complete a
// server-to-client request (see test/conformance/expected-failures.yml). In the 2026-07-28 era the
// test_input_required_result_* tools ask through `input_required` results instead.

const fixture = (name: string, description: string, handler: ToolDefinition<{}>['handler'], streaming?: boolean) =>
  defineTool({ name, title: name, description, scopes: [FIXTURE_SCOPE], inputSchema: {}, annotations: { readOnlyHint: true, openWorldHint: false }, streaming, handler });

const nameForm: ElicitSchema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
const confirmForm: ElicitSchema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
const askName: InputRequest = { method: 'elicitation/create', params: { message: 'What is your name?', requestedSchema: nameForm } };
const capitalQuestion: InputRequest = {
  method: 'sampling/createMessage',
  params: { messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }], maxTokens: 100 },
};
const listRoots: InputRequest = { method: 'roots/list', params: {} };
const contentOf = (answer: unknown) => (answer as { content?: Record<string, unknown> } | undefined)?.content ?? {};
const sampledText = (answer: unknown) => String((answer as { content?: { text?: unknown } } | undefined)?.content?.text ?? '');

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
  fixture('test_input_required_result_elicitation', 'Asks the user for their name, then greets them.', async (_args, { elicit }) => {
    const answer = await elicit('user_name', 'What is your name?', nameForm);
    return answer ? textResult(`Hello, ${String(answer.content?.name ?? 'stranger')}!`) : toolError('This tool needs a client that supports elicitation.');
  }),
  fixture('test_input_required_result_sampling', "Asks the client's model a question.", async (_args, { ask }) => {
    const answers = await ask({ capital_question: capitalQuestion });
    return answers ? textResult(`The model said: ${sampledText(answers.capital_question)}`) : toolError('This tool needs a client that supports sampling.');
  }),
  fixture('test_input_required_result_list_roots', "Asks for the client's roots.", async (_args, { ask }) => {
    const answers = await ask({ client_roots: listRoots });
    const roots = (answers?.client_roots as { roots?: { uri?: unknown }[] } | undefined)?.roots ?? [];
    return answers ? textResult(`Roots: ${roots.map((r) => String(r.uri)).join(', ')}`) : toolError('This tool needs a client that supports roots.');
  }),
  fixture('test_input_required_result_request_state', 'Asks for a confirmation, carrying data in the request state.', async (_args, { ask, roundData }) => {
    const answers = await ask({ confirm: { method: 'elicitation/create', params: { message: 'Please confirm', requestedSchema: confirmForm } } }, { data: { round: 1 } });
    if (!answers) return toolError('This tool needs a client that supports elicitation.');
    return textResult(`state-ok: confirmed=${String(contentOf(answers.confirm).ok)}, carried ${JSON.stringify(roundData)}`);
  }),
  fixture('test_input_required_result_tampered_state', 'Asks for a confirmation; a changed request state is refused.', async (_args, { ask }) => {
    const answers = await ask({ confirm: { method: 'elicitation/create', params: { message: 'Please confirm', requestedSchema: confirmForm } } });
    return answers ? textResult('Confirmed.') : toolError('This tool needs a client that supports elicitation.');
  }),
  fixture('test_input_required_result_multiple_inputs', 'Asks for a name, a sampled greeting and the roots at once.', async (_args, { ask }) => {
    const answers = await ask({ user_name: askName, greeting: { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 } }, client_roots: listRoots });
    if (!answers) return toolError('This tool needs a client that supports elicitation, sampling or roots.');
    return textResult(`${sampledText(answers.greeting)} ${String(contentOf(answers.user_name).name ?? '')} (${Object.keys(answers).length} answers)`);
  }),
  fixture('test_input_required_result_multi_round', 'Asks two questions in two rounds.', async (_args, { elicit }) => {
    const name = await elicit('step1', 'Step 1: What is your name?', nameForm);
    const color = name && (await elicit('step2', 'Step 2: What is your favorite color?', { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] }));
    if (!name || !color) return toolError('This tool needs a client that supports elicitation.');
    return textResult(`${String(name.content?.name)} likes ${String(color.content?.color)}.`);
  }),
  fixture('test_input_required_result_capabilities', 'Asks only through the capabilities the client declared.', async (_args, { ask }) => {
    const answers = await ask({ user_name: askName, capital_question: capitalQuestion });
    return answers ? textResult(`Answered: ${Object.keys(answers).join(', ')}`) : toolError('The client declared neither elicitation nor sampling.');
  }),
  fixture(
    'test_logging_tool',
    'Logs one message: sent only when the request asks for logs.',
    async (_args, { log }) => {
      await log('info', 'Tool execution started');
      return textResult('Logged (if asked to).');
    },
    true,
  ),
  fixture(
    'test_streaming_elicitation',
    'Streams its answer and asks the user through an input_required result, never a request on the stream.',
    async (_args, { elicit, log }) => {
      await log('info', 'About to ask');
      const answer = await elicit('confirm', 'Please confirm', confirmForm);
      return answer ? textResult(`Answer: ${answer.action}`) : toolError('This tool needs a client that supports elicitation.');
    },
    true,
  ),
  fixture('test_missing_capability', 'Needs sampling: refused with -32021 when the client does not declare it.', async (_args, { ask }) => {
    const answers = await ask({ capital_question: capitalQuestion }, { required: true });
    return answers ? textResult(`The model said: ${sampledText(answers.capital_question)}`) : toolError('This tool needs a client that supports sampling.');
  }),
];
