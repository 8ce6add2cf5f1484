import { Hono } from 'hono';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileOpenApi } from '../../src/connectors/openapi/compile-openapi.ts';
import { invokeOperation, type InvokeOperationOptions } from '../../src/connectors/openapi/invoke-operation.ts';
import type { OperationTool } from '../../src/connectors/openapi/operation-tool.ts';
import { upstreamFetch } from '../../src/connectors/upstream-fetch.ts';
import { type LoopbackUpstream, serveOnLoopback, startPetstore } from '../helpers/petstore.ts';

const petstoreDocument = JSON.parse(readFileSync(new URL('../../examples/petstore/openapi.json', import.meta.url), 'utf8')) as unknown;
const CREDENTIAL = 'Bearer upstream-credential-9f2c';

let petstore: LoopbackUpstream;
let tools: Record<string, OperationTool>;

beforeAll(async () => {
  petstore = await startPetstore();
  const compiled = await compileOpenApi(petstoreDocument, { prefix: 'petstore' });
  tools = Object.fromEntries(compiled.tools.map((t) => [t.name.replace('petstore_', ''), t]));
});
afterAll(() => petstore.close());

function options(overrides: Partial<InvokeOperationOptions> = {}): InvokeOperationOptions {
  return { baseUrl: petstore.url, fetch: globalThis.fetch, headers: { authorization: CREDENTIAL }, signal: AbortSignal.timeout(10_000), ...overrides };
}

const textOf = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;

describe('invokeOperation against the Petstore example on loopback', () => {
  it('lists pets with query parameters: pretty JSON text and the array wrapped as structuredContent', async () => {
    const { result, status } = await invokeOperation(tools.listPets!, { limit: 1, tag: 'cat' }, options());
    expect(status).toBe(200);
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ result: [{ id: 2, name: 'Tom', tag: 'cat' }] });
    expect(textOf(result)).toBe(JSON.stringify([{ id: 2, name: 'Tom', tag: 'cat' }], null, 2));
    const all = await invokeOperation(tools.listPets!, {}, options());
    expect((all.result.structuredContent as { result: unknown[] }).result).toHaveLength(3);
  });

  it('gets a pet by path parameter, as an object', async () => {
    const { result, status } = await invokeOperation(tools.getPet!, { petId: 1 }, options());
    expect(status).toBe(200);
    expect(result.structuredContent).toEqual({ id: 1, name: 'Rex', tag: 'dog' });
  });

  it('creates a pet from the JSON body, then deletes it (204, no body)', async () => {
    const created = await invokeOperation(tools.createPet!, { body: { name: 'Kit', tag: 'cat' } }, options());
    expect(created.status).toBe(201);
    const pet = created.result.structuredContent as { id: number; name: string };
    expect(pet).toMatchObject({ name: 'Kit', tag: 'cat' });
    expect((await invokeOperation(tools.getPet!, { petId: pet.id }, options())).result.structuredContent).toEqual(pet);

    const deleted = await invokeOperation(tools.deletePet!, { petId: pet.id }, options());
    expect(deleted).toEqual({ status: 204, result: { content: [{ type: 'text', text: 'The upstream answered 204 No Content with no body.' }] } });
    const again = await invokeOperation(tools.getPet!, { petId: pet.id }, options());
    expect(again).toEqual({ status: 404, result: { isError: true, content: [{ type: 'text', text: 'The upstream answered 404 Not Found: {"message":"No pet with this id"}' }] } });
  });

  it("turns the upstream's 400 into an isError result with its status and body", async () => {
    const { result, status } = await invokeOperation(tools.createPet!, { body: { name: '' } }, options());
    expect(status).toBe(400);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^The upstream answered 400 Bad Request: \{"message":"Invalid request: name: /);
  });

  it('refuses "." and ".." as path parameters, which would reach another endpoint', async () => {
    for (const petId of ['..', '.']) {
      const { result, status } = await invokeOperation(tools.getPet!, { petId }, options());
      expect(status).toBeNull();
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: expect.stringMatching(/^Cannot build the request: path parameter "petId" cannot be empty, "\." or "\.\."$/) }] });
    }
  });
});

describe('invokeOperation requests', () => {
  let echo: LoopbackUpstream;
  const echoTool = async (document: unknown) => (await compileOpenApi(document, { prefix: 'echo' })).tools[0]!;
  beforeAll(async () => {
    const app = new Hono().all('*', async (c) =>
      c.json({ method: c.req.method, url: c.req.url.slice(c.req.url.indexOf('/', 8)), headers: Object.fromEntries(c.req.raw.headers), body: await c.req.text() }),
    );
    echo = await serveOnLoopback(app.fetch);
  });
  afterAll(() => echo.close());

  it('serializes path, query (exploded, comma, pipe, deepObject) and header parameters, and sends credentials only as headers', async () => {
    const tool = await echoTool({
      openapi: '3.1.0',
      info: { title: 'Echo', version: '1' },
      paths: {
        '/things/{kind}/{id}': {
          put: {
            operationId: 'put',
            parameters: [
              { name: 'kind', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'id', in: 'path', required: true, schema: { type: 'array', items: { type: 'integer' } } },
              { name: 'tag', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
              { name: 'fields', in: 'query', explode: false, schema: { type: 'array', items: { type: 'string' } } },
              { name: 'ids', in: 'query', style: 'pipeDelimited', explode: false, schema: { type: 'array', items: { type: 'integer' } } },
              { name: 'filter', in: 'query', style: 'deepObject', explode: true, schema: { type: 'object', additionalProperties: { type: 'string' } } },
              { name: 'X-Request-Id', in: 'header', schema: { type: 'string' } },
            ],
            requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
            responses: { 200: { description: 'echo', content: { 'application/json': { schema: { type: 'object' } } } } },
          },
        },
      },
    });
    const { result, status } = await invokeOperation(
      tool,
      { kind: 'a b/c', id: [1, 2], tag: ['x', 'y z'], fields: ['name', 'id'], ids: [3, 4], filter: { status: 'open' }, 'X-Request-Id': 'req-1', body: { note: 'hi' } },
      options({ baseUrl: `${echo.url}/v1/`, headers: { authorization: CREDENTIAL, 'x-tenant': 'acme' } }),
    );
    expect(status).toBe(200);
    const seen = result.structuredContent as { method: string; url: string; headers: Record<string, string>; body: string };
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/v1/things/a%20b%2Fc/1,2?tag=x&tag=y+z&fields=name%2Cid&ids=3%7C4&filter%5Bstatus%5D=open');
    expect(seen.headers).toMatchObject({ authorization: CREDENTIAL, 'x-tenant': 'acme', 'x-request-id': 'req-1', 'content-type': 'application/json' });
    expect(JSON.parse(seen.body)).toEqual({ note: 'hi' });
  });

  it('never lets a header parameter override a credential header', async () => {
    const tool = await echoTool({
      openapi: '3.1.0',
      info: { title: 'Echo', version: '1' },
      paths: { '/x': { get: { operationId: 'x', parameters: [{ name: 'X-Api-Key', in: 'header', schema: { type: 'string' } }], responses: { 200: { description: 'echo' } } } } },
    });
    const { result } = await invokeOperation(tool, { 'X-Api-Key': 'from-the-model' }, options({ baseUrl: echo.url, headers: { 'x-api-key': 'tenant-secret' } }));
    expect(JSON.parse(textOf(result)).headers['x-api-key']).toBe('tenant-secret');
  });
});

describe('invokeOperation upstream failures', () => {
  it('reports an upstream that is down as an isError result with no status', async () => {
    const gone = await startPetstore();
    await gone.close();
    const { result, status } = await invokeOperation(tools.getPet!, { petId: 1 }, options({ baseUrl: gone.url }));
    expect(status).toBeNull();
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Cannot reach the upstream: fetch failed \(.*ECONNREFUSED.*\)$/);
    expect(JSON.stringify(result)).not.toContain('upstream-credential');
  });

  it('stops waiting for a slow upstream when the signal aborts', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const slow = await serveOnLoopback(() => {
      arrived();
      return new Promise<Response>(() => {}); // never answers
    });
    try {
      const controller = new AbortController();
      const call = invokeOperation(tools.getPet!, { petId: 1 }, options({ baseUrl: slow.url, signal: controller.signal }));
      await requestArrived;
      controller.abort(new Error('The tool call exceeded TOOL_TIMEOUT_MS'));
      expect(await call).toEqual({ status: null, result: { isError: true, content: [{ type: 'text', text: 'The call was stopped before the upstream answered: The tool call exceeded TOOL_TIMEOUT_MS' }] } });
    } finally {
      await slow.close();
    }
  });

  it('reports a 500 with the first 1,000 characters of its body, and an oversized answer through the safe fetch', async () => {
    const broken = await serveOnLoopback(new Hono().get('/pets/:id', (c) => c.text(`boom ${'x'.repeat(5_000)}`, 500)).get('/pets', (c) => c.json(Array.from({ length: 2_000 }, (_, id) => ({ id, name: 'pet' })))).fetch);
    try {
      const failed = await invokeOperation(tools.getPet!, { petId: 1 }, options({ baseUrl: broken.url }));
      expect(failed.status).toBe(500);
      expect(failed.result.isError).toBe(true);
      expect(textOf(failed.result)).toBe(`The upstream answered 500 Internal Server Error: boom ${'x'.repeat(995)}`);

      const safe = upstreamFetch({ allowedPrivateHosts: ['127.0.0.1'], maxResponseBytes: 10_000 });
      const big = await invokeOperation(tools.listPets!, {}, options({ baseUrl: broken.url, fetch: safe }));
      expect(big.status).toBe(200);
      expect(big.result.isError).toBe(true);
      expect(textOf(big.result)).toBe("Cannot read the upstream's answer (200): The upstream response is larger than the 10000-byte limit");
    } finally {
      await broken.close();
    }
  });

  it('reports a refusal of the safe fetch (a private host not allowed) without the request headers', async () => {
    const safe = upstreamFetch({ allowedPrivateHosts: [], maxResponseBytes: 10_000 });
    const { result, status } = await invokeOperation(tools.getPet!, { petId: 1 }, options({ fetch: safe }));
    expect(status).toBeNull();
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Cannot reach the upstream: The upstream URL must use https/);
    expect(JSON.stringify(result)).not.toContain('upstream-credential');
  });

  it('refuses an answer that does not fit the declared JSON shape instead of passing it on as structured content', async () => {
    const odd = await serveOnLoopback(new Hono().get('/pets/:id', (c) => c.html('<p>Rex</p>')).get('/pets', (c) => c.body('[1,', 200, { 'content-type': 'application/json' })).fetch);
    try {
      const html = await invokeOperation(tools.getPet!, { petId: 1 }, options({ baseUrl: odd.url }));
      expect(html).toEqual({ status: 200, result: { isError: true, content: [{ type: 'text', text: 'The upstream answered 200 OK with text/html; charset=UTF-8, where the operation declares a JSON answer.' }] } });
      const malformed = await invokeOperation(tools.listPets!, {}, options({ baseUrl: odd.url }));
      expect(malformed.result.isError).toBe(true);
      expect(textOf(malformed.result)).toMatch(/^The upstream answered 200 OK with malformed JSON: /);
    } finally {
      await odd.close();
    }
  });
});
