// Compiles the shipped Petstore document and calls two of its operations against the example app,
// with only web-standard APIs: run under Deno and in workerd by test/connectors/openapi-runtimes.test.ts.
import { createPetstoreApp } from '../../../examples/petstore/app.ts';
import { compileOpenApi } from '../../../src/connectors/openapi/compile-openapi.ts';
import { invokeOperation } from '../../../src/connectors/openapi/invoke-operation.ts';
import type { OperationTool } from '../../../src/connectors/openapi/operation-tool.ts';
import document from '../../../examples/petstore/openapi.json' with { type: 'json' };

/** What each step gave: a tool list or the error that stopped it. */
export interface RuntimeReport {
  compile: { tools: string[] } | { error: string };
  invoke: { get: unknown; status: number | null; missing: unknown; missingStatus: number | null } | { error: string };
}

/** The precompiled getPet tool, as the lead stores it: invoking must work even where compiling cannot. */
const getPet: OperationTool = {
  name: 'petstore_getPet',
  title: 'Get a pet',
  description: 'Get a pet',
  inputSchema: { type: 'object', properties: { petId: { type: 'integer', minimum: 1 } }, required: ['petId'], additionalProperties: false },
  outputSchema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, tag: { type: 'string' } }, required: ['id', 'name'] },
  readOnly: true,
  operation: { method: 'GET', path: '/pets/{petId}', parameters: [{ name: 'petId', in: 'path', argument: 'petId' }], responseShape: 'object' },
};

/** Runs both steps; `upstreamUrl` serves the example app (or is routed to it by `fetch`). */
export async function checkOpenApiConnector(upstreamUrl: string, fetch: (url: string, init?: RequestInit) => Promise<Response>): Promise<RuntimeReport> {
  let compile: RuntimeReport['compile'];
  try {
    compile = { tools: (await compileOpenApi(document, { prefix: 'petstore' })).tools.map((t) => t.name) };
  } catch (error) {
    compile = { error: error instanceof Error ? error.message : String(error) };
  }
  let invoke: RuntimeReport['invoke'];
  try {
    const options = { baseUrl: upstreamUrl, fetch, headers: { authorization: 'Bearer x' }, signal: AbortSignal.timeout(5_000) };
    const found = await invokeOperation(getPet, { petId: 2 }, options);
    const missing = await invokeOperation(getPet, { petId: 99 }, options);
    invoke = { get: found.result.structuredContent, status: found.status, missing: missing.result, missingStatus: missing.status };
  } catch (error) {
    invoke = { error: error instanceof Error ? error.message : String(error) };
  }
  return { compile, invoke };
}

/** The example app's fetch handler, for runtimes that serve it in-process. */
export const petstoreFetch = createPetstoreApp().fetch;
