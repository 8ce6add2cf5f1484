// Compiled operations served as MCP tools the way the connector catalog builds them (zod shapes from
// z.fromJSONSchema), through the official SDK server and client: tools/list and tools/call with output validation.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileOpenApi } from '../../src/connectors/openapi/compile-openapi.ts';
import { invokeOperation } from '../../src/connectors/openapi/invoke-operation.ts';
import { type LoopbackUpstream, startPetstore } from '../helpers/petstore.ts';

const document = JSON.parse(readFileSync(new URL('../../examples/petstore/openapi.json', import.meta.url), 'utf8')) as unknown;

let petstore: LoopbackUpstream;
let client: Client;

beforeAll(async () => {
  petstore = await startPetstore();
  const { tools } = await compileOpenApi(document, { prefix: 'petstore' });
  const server = new McpServer({ name: 'openapi-check', version: '1' });
  for (const tool of tools) {
    const shape = (schema: object) => (z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema) as z.ZodObject).shape;
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: shape(tool.inputSchema),
        ...(tool.outputSchema ? { outputSchema: shape(tool.outputSchema) } : {}),
        annotations: { readOnlyHint: tool.readOnly },
      },
      async (args, extra) => (await invokeOperation(tool, args, { baseUrl: petstore.url, fetch, headers: {}, signal: extra.signal })).result,
    );
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  client = new Client({ name: 'test', version: '1' });
  await client.connect(clientSide);
});
afterAll(async () => {
  await client?.close();
  await petstore?.close();
});

describe('Petstore operations as MCP tools through the official SDK', () => {
  it('lists every tool with its input and output schema and read-only hint', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => [t.name, t.annotations?.readOnlyHint])).toEqual([
      ['petstore_listPets', true],
      ['petstore_createPet', false],
      ['petstore_getPet', true],
      ['petstore_deletePet', false],
    ]);
    const get = tools.find((t) => t.name === 'petstore_getPet')!;
    expect(get.inputSchema).toMatchObject({ type: 'object', properties: { petId: { type: 'integer', minimum: 1 } }, required: ['petId'] });
    expect(get.outputSchema).toMatchObject({ type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } }, required: ['id', 'name'] });
  });

  it('calls tools end to end, with structured content that passes the SDK output validation', async () => {
    const list = await client.callTool({ name: 'petstore_listPets', arguments: { tag: 'dog' } });
    expect(list.structuredContent).toEqual({ result: [{ id: 1, name: 'Rex', tag: 'dog' }] });
    const created = await client.callTool({ name: 'petstore_createPet', arguments: { body: { name: 'Kit' } } });
    expect(created.structuredContent).toEqual({ id: 4, name: 'Kit' });
    const removed = await client.callTool({ name: 'petstore_deletePet', arguments: { petId: 4 } });
    expect(removed.isError).toBeFalsy();
    const missing = await client.callTool({ name: 'petstore_getPet', arguments: { petId: 4 } });
    expect(missing).toMatchObject({ isError: true, content: [{ type: 'text', text: 'The upstream answered 404 Not Found: {"message":"No pet with this id"}' }] });
  });

  it('refuses arguments outside the schema before any upstream call', async () => {
    const result = await client.callTool({ name: 'petstore_listPets', arguments: { limit: 1000 } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('limit');
  });
});
