import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPetstoreApp } from '../../examples/petstore/app.ts';
import { compileOpenApi } from '../../src/connectors/openapi/compile-openapi.ts';
import { OpenApiError } from '../../src/connectors/openapi/openapi-error.ts';
import type { OperationTool } from '../../src/connectors/openapi/operation-tool.ts';
import { parseOpenApiText } from '../../src/connectors/openapi/parse-openapi-text.ts';

const petstoreText = readFileSync(new URL('../../examples/petstore/openapi.json', import.meta.url), 'utf8');
const petstore = () => JSON.parse(petstoreText) as Record<string, unknown>;

/** A minimal valid document around `paths` (and `components`). */
function doc(version: '3.0.3' | '3.1.0', paths: Record<string, unknown>, components: Record<string, unknown> = {}) {
  return { openapi: version, info: { title: 'Test API', version: '1' }, paths, components };
}

const ok = (schema: unknown = { type: 'object', properties: { ok: { type: 'boolean' } } }) => ({
  200: { description: 'OK', content: { 'application/json': { schema } } },
});

async function refusal(document: unknown, options: Parameters<typeof compileOpenApi>[1] = { prefix: 'api' }): Promise<string> {
  const error = await compileOpenApi(document, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenApiError);
  return (error as Error).message;
}

/** What the connector catalog does at run time: each schema through z.fromJSONSchema, used as a zod object. */
function zodObject(schema: unknown): z.ZodObject {
  const converted = z.fromJSONSchema(schema as never, { registry: z.registry() });
  expect(converted).toBeInstanceOf(z.ZodObject);
  return converted as z.ZodObject;
}

const byName = (tools: OperationTool[], name: string) => tools.find((t) => t.name === name)!;

describe('compileOpenApi on the shipped Petstore document', () => {
  it('makes one tool per operation, named <prefix>_<operationId>, read-only for GET', async () => {
    const compiled = await compileOpenApi(petstore(), { prefix: 'petstore' });
    expect(compiled.title).toBe('Petstore example');
    expect(compiled.servers).toEqual(['http://127.0.0.1:4010']);
    expect(compiled.tools.map((t) => [t.name, t.readOnly, t.operation.method, t.operation.path])).toEqual([
      ['petstore_listPets', true, 'GET', '/pets'],
      ['petstore_createPet', false, 'POST', '/pets'],
      ['petstore_getPet', true, 'GET', '/pets/{petId}'],
      ['petstore_deletePet', false, 'DELETE', '/pets/{petId}'],
    ]);
    const list = byName(compiled.tools, 'petstore_listPets');
    expect(list.title).toBe('List pets');
    expect(list.description).toBe('List pets\n\nPets in id order, optionally only those with a tag.');
    // The tools are plain JSON: what is stored in libSQL is what comes back.
    expect(JSON.parse(JSON.stringify(compiled))).toEqual(compiled);
  });

  it('builds input schemas from parameters and the JSON body, which zod converts and enforces', async () => {
    const { tools } = await compileOpenApi(petstore(), { prefix: 'petstore' });
    const list = byName(tools, 'petstore_listPets');
    expect(list.inputSchema).toMatchObject({ type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 100 }, tag: { type: 'string' } } });
    expect(list.inputSchema.required).toBeUndefined();
    expect(list.operation.parameters).toEqual([{ name: 'limit', in: 'query', argument: 'limit' }, { name: 'tag', in: 'query', argument: 'tag' }]);
    expect(zodObject(list.inputSchema).safeParse({ limit: 500 }).success).toBe(false);
    expect(zodObject(list.inputSchema).safeParse({ limit: 5, tag: 'dog' }).success).toBe(true);

    const get = byName(tools, 'petstore_getPet');
    expect(get.inputSchema).toMatchObject({ properties: { petId: { type: 'integer', minimum: 1, description: 'The pet id' } }, required: ['petId'] });
    expect(zodObject(get.inputSchema).safeParse({}).success).toBe(false);

    const create = byName(tools, 'petstore_createPet');
    expect(create.operation.body).toEqual({ argument: 'body', required: true });
    expect(create.inputSchema).toMatchObject({ required: ['body'], properties: { body: { type: 'object', required: ['name'], description: 'The new pet' } } });
    expect(zodObject(create.inputSchema).safeParse({ body: { name: '' } }).success).toBe(false);
    expect(zodObject(create.inputSchema).safeParse({ body: { name: 'Kit', tag: 'cat' } }).success).toBe(true);
  });

  it('declares object answers as they are, wraps array answers in { result }, and declares none for 204', async () => {
    const { tools } = await compileOpenApi(petstore(), { prefix: 'petstore' });
    const get = byName(tools, 'petstore_getPet');
    expect(get.operation.responseShape).toBe('object');
    expect(get.outputSchema).toMatchObject({ type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer' } } });
    const list = byName(tools, 'petstore_listPets');
    expect(list.operation.responseShape).toBe('wrapped');
    expect(list.outputSchema).toMatchObject({ type: 'object', required: ['result'], properties: { result: { type: 'array', items: { type: 'object' } } } });
    zodObject(list.outputSchema);
    const remove = byName(tools, 'petstore_deletePet');
    expect(remove.outputSchema).toBeUndefined();
    expect(remove.operation.responseShape).toBeUndefined();
  });

  it('is the document the example app serves (regenerate: npm run example:petstore, save /openapi.json)', async () => {
    const served = await (await createPetstoreApp().request('/openapi.json')).json();
    expect(served, 'examples/petstore/openapi.json is out of date with examples/petstore/app.ts').toEqual(petstore());
  });
});

describe('compileOpenApi selection', () => {
  const names = async (selection: Parameters<typeof compileOpenApi>[1]['selection']) =>
    (await compileOpenApi(petstore(), { prefix: 'p', selection })).tools.map((t) => t.name).sort();

  it('includes by operationId, tag or path, and excludes after including', async () => {
    expect(await names({ include: { operationIds: ['getPet'] } })).toEqual(['p_getPet']);
    expect(await names({ include: { tags: ['admin'] } })).toEqual(['p_createPet', 'p_deletePet']);
    expect(await names({ include: { paths: ['/pets/{petId}'] } })).toEqual(['p_deletePet', 'p_getPet']);
    expect(await names({ include: { paths: ['/pets*'] } })).toHaveLength(4);
    expect(await names({ include: { paths: ['/pets/*'] } })).toEqual(['p_deletePet', 'p_getPet']);
    expect(await names({ include: { tags: ['pets'] }, exclude: { tags: ['admin'] } })).toEqual(['p_getPet', 'p_listPets']);
    expect(await names({ exclude: { operationIds: ['deletePet'], paths: ['/pets'] } })).toEqual(['p_getPet']);
    expect(await names({ include: {} })).toHaveLength(4);
  });

  it('refuses a selection naming an unknown operationId, and one that selects nothing', async () => {
    expect(await refusal(petstore(), { prefix: 'p', selection: { include: { operationIds: ['getPets'] } } })).toBe(
      'The selection names operationId "getPets", which the OpenAPI document does not define',
    );
    expect(await refusal(petstore(), { prefix: 'p', selection: { include: { tags: ['nothing'] } } })).toBe('The selection matches no operation of the OpenAPI document');
  });
});

describe('compileOpenApi names', () => {
  it('names operations without operationId by method and path, sanitized, at most 64 characters, unique', async () => {
    const long = `/${'very-long-segment/'.repeat(6)}{id}`;
    const { tools } = await compileOpenApi(
      doc('3.1.0', {
        '/items/{id}': { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], get: { responses: ok() } },
        '/a/b': { get: { operationId: 'a:b', responses: ok() } },
        '/a-b': { get: { operationId: 'a/b', responses: ok() } },
        [long]: { get: { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: ok() }, put: { operationId: `${'x'.repeat(70)}`, parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: ok() } },
        '/b': { get: { operationId: `${'x'.repeat(80)}`, responses: ok() } },
      }),
      { prefix: 'shop' },
    );
    const names = tools.map((t) => t.name);
    expect(names[0]).toBe('shop_get_items_id');
    expect(names[1]).toBe('shop_a_b');
    expect(names[2]).toBe('shop_a_b_2');
    expect(names[3]).toBe(`shop_get_${'very-long-segment_'.repeat(6)}id`.slice(0, 64));
    expect(names[4]).toBe(`shop_${'x'.repeat(59)}`);
    expect(names[5]).toBe(`shop_${'x'.repeat(57)}_2`);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses two operations with the same operationId, naming both', async () => {
    const message = await refusal(doc('3.1.0', { '/pets': { get: { operationId: 'pets', responses: ok() } }, '/animals': { get: { operationId: 'pets', responses: ok() } } }));
    expect(message).toBe('Operations GET /pets and GET /animals have the same operationId "pets": operationIds must be unique');
  });

  it('refuses a prefix that is not a valid tool name part', async () => {
    expect(await refusal(petstore(), { prefix: 'pet store' })).toContain('Cannot use "pet store" as a tool name prefix');
  });
});

describe('compileOpenApi refusals', () => {
  it('refuses a $ref cycle, naming the operation that reaches it, and accepts the rest when that one is excluded', async () => {
    const document = doc(
      '3.0.3',
      { '/tree': { get: { operationId: 'getTree', responses: ok({ $ref: '#/components/schemas/Node' }) } }, '/ping': { get: { operationId: 'ping', responses: ok() } } },
      { schemas: { Node: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } } } } },
    );
    expect(await refusal(document)).toBe('Cannot make a tool of GET /tree (getTree): response: its schema refers to itself through #/components/schemas/Node (a $ref cycle)');
    const { tools } = await compileOpenApi(document, { prefix: 'api', selection: { exclude: { operationIds: ['getTree'] } } });
    expect(tools.map((t) => t.name)).toEqual(['api_ping']);
  });

  it('refuses a schema zod cannot convert, naming the operation', async () => {
    const message = await refusal(
      doc('3.1.0', { '/search': { get: { operationId: 'search', parameters: [{ name: 'q', in: 'query', schema: { not: { type: 'string' } } }], responses: ok() } } }),
    );
    expect(message).toBe('Cannot make a tool of GET /search (search): its input schema cannot be converted to zod: not is not supported in Zod (except { not: {} } for never)');
    const badPattern = await refusal(doc('3.1.0', { '/x': { post: { requestBody: { content: { 'application/json': { schema: { type: 'string', pattern: '(' } } } }, responses: ok() } } }));
    expect(badPattern).toMatch(/^Cannot make a tool of POST \/x: its input schema cannot be converted to zod: Invalid regular expression/);
    const badOutput = await refusal(doc('3.1.0', { '/y': { get: { operationId: 'y', responses: ok({ type: 'object', if: { required: ['a'] }, then: { required: ['b'] } }) } } }));
    expect(badOutput).toBe('Cannot make a tool of GET /y (y): its response schema cannot be converted to zod: Conditional schemas (if/then/else) are not supported');
  });

  it('refuses a schema that $refs expand past 10,000 subschemas', async () => {
    const schemas: Record<string, unknown> = { L0: { type: 'string' } };
    for (let i = 1; i <= 5; i++) schemas[`L${i}`] = { type: 'object', properties: Object.fromEntries(Array.from({ length: 8 }, (_, j) => [`p${j}`, { $ref: `#/components/schemas/L${i - 1}` }])) };
    const document = doc('3.1.0', { '/big': { get: { operationId: 'big', responses: ok({ $ref: '#/components/schemas/L5' }) } } }, { schemas });
    expect(await refusal(document)).toBe('Cannot make a tool of GET /big (big): response: its schema has more than 10000 subschemas once its $refs are resolved');
  });

  it('refuses cookie parameters, header parameters the proxy owns, and non-JSON request bodies', async () => {
    const cookie = doc('3.1.0', { '/me': { get: { operationId: 'me', parameters: [{ name: 'session', in: 'cookie', schema: { type: 'string' } }], responses: ok() } } });
    expect(await refusal(cookie)).toBe('Cannot make a tool of GET /me (me): cookie parameter "session" is not supported');

    const header = (name: string) => doc('3.1.0', { '/me': { get: { operationId: 'me', parameters: [{ name, in: 'header', schema: { type: 'string' } }], responses: ok() } } });
    expect(await refusal(header('Authorization'))).toBe('Cannot make a tool of GET /me (me): header parameter "Authorization" is set by the connector itself (credentials, content type or framing)');
    expect(await refusal(header('content-type'))).toContain('header parameter "content-type" is set by the connector itself');
    expect(await refusal(header('X-Api-Key'), { prefix: 'api', reservedHeaders: ['x-api-key'] })).toContain('header parameter "X-Api-Key" is set by the connector itself');
    const { tools } = await compileOpenApi(header('X-Request-Id'), { prefix: 'api' });
    expect(tools[0]!.operation.parameters).toEqual([{ name: 'X-Request-Id', in: 'header', argument: 'X-Request-Id' }]);

    const matrix = doc('3.1.0', { '/a/{id}': { get: { operationId: 'a', parameters: [{ name: 'id', in: 'path', required: true, style: 'matrix', schema: { type: 'string' } }], responses: ok() } } });
    expect(await refusal(matrix)).toBe('Cannot make a tool of GET /a/{id} (a): parameter "id" uses style "matrix", which is not supported');
    const content = doc('3.1.0', { '/a': { get: { operationId: 'a', parameters: [{ name: 'filter', in: 'query', content: { 'application/json': { schema: { type: 'object' } } } }], responses: ok() } } });
    expect(await refusal(content)).toBe('Cannot make a tool of GET /a (a): parameter "filter" is described with "content"; only parameters with a "schema" are supported');

    const upload = doc('3.1.0', { '/files': { post: { operationId: 'upload', requestBody: { content: { 'multipart/form-data': { schema: { type: 'object' } } } }, responses: ok() } } });
    expect(await refusal(upload)).toBe('Cannot make a tool of POST /files (upload): its request body is multipart/form-data only; only JSON request bodies are supported');
  });

  it('refuses an invalid document, Swagger 2.0, a non-object, and external references', async () => {
    expect(await refusal({ openapi: '3.1.0', info: { title: 'x' }, paths: {} })).toMatch(/^The OpenAPI document is invalid: /);
    expect(await refusal({ swagger: '2.0', info: { title: 'x', version: '1' }, paths: {} })).toBe('Cannot use Swagger 2.0: only OpenAPI 3.0 and 3.1 documents are supported');
    expect(await refusal('openapi: 3.1.0')).toBe('Cannot read the OpenAPI document: it is not a JSON object');
    expect(await refusal(doc('3.1.0', {}, { schemas: { Unused: { type: 'string' } } }))).toBe('The OpenAPI document defines no operation');
    const external = doc('3.1.0', { '/x': { get: { operationId: 'x', responses: ok({ $ref: 'https://example.com/schemas.json#/Thing' }) } } });
    expect(await refusal(external)).toBe('Cannot make a tool of GET /x (x): response: its schema has an external $ref (https://example.com/schemas.json#/Thing), which is not resolved');
  });
});

describe('compileOpenApi on a 3.1 document', () => {
  it('keeps JSON Schema 2020-12 as it is, wraps a oneOf answer, and fills server variables with their defaults', async () => {
    const document = {
      openapi: '3.1.0',
      info: { title: 'Shapes', version: '1' },
      servers: [{ url: 'https://{region}.example.com/{base}', variables: { region: { default: 'eu', enum: ['eu', 'us'] }, base: { default: 'v2' } } }, { url: '/relative' }],
      paths: {
        '/shapes': {
          post: {
            operationId: 'addShape',
            'x-internal': true,
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { type: 'object', properties: { kind: { const: 'circle' }, radius: { type: ['number', 'null'], 'x-unit': 'cm' } }, required: ['kind'] } } },
            },
            responses: {
              201: { description: 'A circle or a square', content: { 'application/json': { schema: { oneOf: [{ type: 'object', properties: { radius: { type: 'number' } } }, { type: 'object', properties: { side: { type: 'number' } } }] } } } },
            },
          },
        },
      },
    };
    const { servers, tools } = await compileOpenApi(document, { prefix: 'geo' });
    expect(servers).toEqual(['https://eu.example.com/v2', '/relative']);
    const [tool] = tools;
    expect(tool!.inputSchema.properties).toEqual({ body: { type: 'object', properties: { kind: { const: 'circle' }, radius: { type: ['number', 'null'] } }, required: ['kind'] } });
    expect(tool!.operation.responseShape).toBe('wrapped');
    expect(tool!.outputSchema).toEqual({ type: 'object', properties: { result: { oneOf: [{ type: 'object', properties: { radius: { type: 'number' } } }, { type: 'object', properties: { side: { type: 'number' } } }] } }, required: ['result'] });
    const input = zodObject(tool!.inputSchema);
    expect(input.safeParse({ body: { kind: 'circle', radius: null } }).success).toBe(true);
    expect(input.safeParse({ body: { kind: 'square' } }).success).toBe(false);
  });
});

describe('compileOpenApi on a 3.0 document', () => {
  const document30 = doc(
    '3.0.3',
    {
      '/orders/{orderId}': {
        parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        patch: {
          operationId: 'updateOrder',
          summary: 'Update an order',
          description: 'Changes the note or the quantity.',
          parameters: [
            { name: 'fields', in: 'query', style: 'form', explode: false, schema: { type: 'array', items: { type: 'string' } } },
            { name: 'filter', in: 'query', style: 'deepObject', schema: { type: 'object', additionalProperties: { type: 'string' } } },
            { name: 'body', in: 'query', schema: { type: 'string' } },
            { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
          ],
          requestBody: { required: false, content: { 'application/merge-patch+json': { schema: { $ref: '#/components/schemas/OrderPatch' } } } },
          responses: { 200: { description: 'The order', content: { 'application/json; charset=utf-8': { schema: { $ref: '#/components/schemas/Order' } } } } },
        },
      },
    },
    {
      schemas: {
        OrderPatch: {
          type: 'object',
          properties: { note: { type: 'string', nullable: true }, quantity: { type: 'integer', minimum: 0, exclusiveMinimum: true, example: 2 }, id: { type: 'string', readOnly: true } },
          required: ['id'],
        },
        Order: {
          type: 'object',
          properties: { id: { type: 'string' }, note: { type: 'string', nullable: true }, secret: { type: 'string', writeOnly: true }, status: { type: 'string', enum: ['open', 'closed'], nullable: true } },
          required: ['id', 'secret'],
        },
      },
    },
  );

  it('dereferences, turns 3.0 schema forms into JSON Schema, and keeps parameter names distinct from the body', async () => {
    const { tools } = await compileOpenApi(document30, { prefix: 'shop' });
    const [tool] = tools;
    expect(tool!.name).toBe('shop_updateOrder');
    expect(tool!.readOnly).toBe(false);
    expect(tool!.description).toBe('Update an order\n\nChanges the note or the quantity.');
    expect(tool!.operation).toEqual({
      method: 'PATCH',
      path: '/orders/{orderId}',
      parameters: [
        { name: 'orderId', in: 'path', argument: 'orderId' },
        { name: 'fields', in: 'query', argument: 'fields', explode: false },
        { name: 'filter', in: 'query', argument: 'filter', style: 'deepObject' },
        { name: 'body', in: 'query', argument: 'body' },
        { name: 'X-Trace', in: 'header', argument: 'X-Trace' },
      ],
      body: { argument: 'body_2', required: false, contentType: 'application/merge-patch+json' },
      responseShape: 'object',
    });
    const body = (tool!.inputSchema.properties as Record<string, Record<string, unknown>>).body_2!;
    // readOnly properties are not sent: gone from the body, and from its required list.
    expect(body).toEqual({ type: 'object', properties: { note: { type: ['string', 'null'] }, quantity: { type: 'integer', exclusiveMinimum: 0, examples: [2] } }, required: [] });
    expect(tool!.inputSchema.required).toEqual(['orderId']);
    // writeOnly properties are never answered.
    expect(tool!.outputSchema).toEqual({
      type: 'object',
      properties: { id: { type: 'string' }, note: { type: ['string', 'null'] }, status: { type: ['string', 'null'], enum: ['open', 'closed', null] } },
      required: ['id'],
    });
    const input = zodObject(tool!.inputSchema);
    expect(input.safeParse({ orderId: '7d3c6a52-7d4f-4c55-a2c4-0c0f0e3b6a51', body_2: { note: null, quantity: 1 } }).success).toBe(true);
    expect(input.safeParse({ orderId: '7d3c6a52-7d4f-4c55-a2c4-0c0f0e3b6a51', body_2: { quantity: 0 } }).success).toBe(false);
    expect(zodObject(tool!.outputSchema).safeParse({ id: 'a', note: null, status: null }).success).toBe(true);
  });

  it("gives the same Petstore tools from the example app's OpenAPI 3.0 document as from its 3.1 one", async () => {
    const app = createPetstoreApp();
    const document = app.getOpenAPIDocument({ openapi: '3.0.3', info: { title: 'Petstore example', version: '1.0.0' } });
    expect(document.openapi).toBe('3.0.3');
    const from30 = await compileOpenApi(document, { prefix: 'petstore' });
    const from31 = await compileOpenApi(petstore(), { prefix: 'petstore' });
    expect(from30.tools).toEqual(from31.tools);
  });

  it('reads the same document from YAML', async () => {
    const yaml = [
      'openapi: 3.0.3',
      'info: { title: YAML API, version: "1" }',
      'paths:',
      '  /days/{day}:',
      '    get:',
      '      operationId: getDay',
      '      parameters:',
      '        - { name: day, in: path, required: true, schema: { type: string, format: date, example: 2026-11-26 } }',
      '      responses:',
      "        '200': { description: OK }",
    ].join('\n');
    const { tools, title } = await compileOpenApi(parseOpenApiText(yaml), { prefix: 'cal' });
    expect(title).toBe('YAML API');
    expect(tools[0]!.inputSchema.properties).toEqual({ day: { type: 'string', format: 'date', examples: ['2026-11-26'] } });
    expect(parseOpenApiText(petstoreText)).toEqual(petstore());
    expect(() => parseOpenApiText('openapi: [')).toThrow(/^Cannot read the OpenAPI document as YAML: /);
    expect(() => parseOpenApiText('{"openapi": ')).toThrow(/^Cannot read the OpenAPI document as JSON: /);
    expect(() => parseOpenApiText('just text')).toThrow('Cannot read the OpenAPI document: it is neither a JSON object nor a YAML mapping');
  });

  it('refuses YAML whose aliases expand it past a million values', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 7; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expect(() => parseOpenApiText(levels.join('\n'))).toThrow('Cannot read the OpenAPI document: its YAML aliases expand it past 1000000 values');
  });
});
