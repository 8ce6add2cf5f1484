import { compileErrors, dereference, type ParserOptions, validate } from '@readme/openapi-parser';
import { z } from 'zod';
import { isJsonMediaType } from './json-media-type.ts';
import { OpenApiError } from './openapi-error.ts';
import type { CompiledOpenApi, JsonSchema, OpenApiFilter, OpenApiSelection, OperationParameter, OperationRequest, OperationTool } from './operation-tool.ts';
import { type SchemaDirection, toToolJsonSchema } from './tool-json-schema.ts';

/** What `compileOpenApi` needs besides the document. */
export interface CompileOpenApiOptions {
  /** The connector's name: every tool is called `<prefix>_<operationId>`. */
  prefix: string;
  selection?: OpenApiSelection;
  /** Header names the connector sets itself (e.g. its credential header); a header parameter with one of these names is refused. */
  reservedHeaders?: string[];
}

type Method = OperationRequest['method'];
type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const NAME_LIMIT = 64;
// Headers the proxy owns: credentials, framing, and the body's type (OpenAPI itself says Accept, Content-Type and Authorization parameters are ignored).
const PROXY_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'host', 'content-length', 'content-type', 'accept', 'accept-encoding', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto'];

/**
 * Validates and dereferences an OpenAPI 3.0 or 3.1 document with @readme/openapi-parser and turns each
 * selected operation into an `OperationTool`. Throws `OpenApiError` for an invalid document and for any
 * selected operation that cannot become a tool (the message names the operation, e.g. `GET /pets/{id} (getPet)`).
 */
export async function compileOpenApi(document: unknown, options: CompileOpenApiOptions): Promise<CompiledOpenApi> {
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(options.prefix)) {
    throw new OpenApiError(`Cannot use "${options.prefix}" as a tool name prefix: it must be 1-40 characters of A-Z a-z 0-9 _ . -`);
  }
  const api = await validatedDocument(document);
  const openapi30 = (api.openapi as string).startsWith('3.0.');
  const operations = listOperations(api);
  checkOperationIds(operations);
  checkSelection(options.selection, operations);

  const reserved = new Set([...PROXY_HEADERS, ...(options.reservedHeaders ?? []).map((h) => h.toLowerCase())]);
  const names = new Set<string>();
  const tools: OperationTool[] = [];
  for (const operation of operations) {
    if (!isSelected(operation, options.selection)) continue;
    const name = uniqueName(toolName(options.prefix, operation), names);
    tools.push(compileOperation(operation, { name, openapi30, reserved }));
  }
  if (tools.length === 0) {
    throw new OpenApiError(operations.length === 0 ? 'The OpenAPI document defines no operation' : 'The selection matches no operation of the OpenAPI document');
  }
  const info = isObject(api.info) ? api.info : {};
  return { title: typeof info.title === 'string' ? info.title : '', servers: serverUrls(api.servers), tools };
}

/** One operation of the dereferenced document, with its path-level parameters merged in. */
interface Operation {
  method: Method;
  path: string;
  operationId?: string;
  /** `GET /pets/{petId} (getPet)`: how every message names it. */
  label: string;
  tags: string[];
  spec: Json;
  parameters: Json[];
}

async function validatedDocument(document: unknown): Promise<Json> {
  if (!isObject(document)) throw new OpenApiError('Cannot read the OpenAPI document: it is not a JSON object');
  const version = document.openapi;
  if (typeof version !== 'string' || !/^3\.[01]\.\d+/.test(version)) {
    const found = typeof document.swagger === 'string' ? `Swagger ${document.swagger}` : typeof version === 'string' ? `OpenAPI ${version}` : 'a document without an "openapi" version';
    throw new OpenApiError(`Cannot use ${found}: only OpenAPI 3.0 and 3.1 documents are supported`);
  }
  // External references are never fetched or read (they could reach private hosts or local files);
  // one left in a selected operation is refused below, as is a cycle, which `circular: 'ignore'` leaves as a $ref.
  const parserOptions = (): ParserOptions => ({
    resolve: { external: false },
    dereference: { circular: 'ignore' },
    timeoutMs: 10_000,
    validate: { rules: { openapi: { 'duplicate-operation-id': 'warning' } } }, // checked by checkOperationIds, which names both operations
  });
  try {
    const result = await validate(structuredClone(document) as never, parserOptions());
    if (!result.valid) throw new OpenApiError(`The OpenAPI document is invalid: ${compileErrors(result)}`);
    return (await dereference(structuredClone(document) as never, parserOptions())) as unknown as Json;
  } catch (error) {
    if (error instanceof OpenApiError) throw error;
    if (error instanceof EvalError) {
      // workerd forbids eval/new Function: compile on Node or Deno (CLI, admin API there) and store the result.
      throw new OpenApiError(`Cannot compile OpenAPI documents on this runtime: its validator (Ajv) generates code, which the runtime forbids (${error.message})`);
    }
    throw new OpenApiError(`The OpenAPI document is invalid: ${messageOf(error)}`);
  }
}

function listOperations(api: Json): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(isObject(api.paths) ? api.paths : {})) {
    if (!isObject(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters.filter(isObject) : [];
    for (const method of METHODS) {
      const spec = item[method];
      if (!isObject(spec)) continue;
      const operationId = typeof spec.operationId === 'string' ? spec.operationId : undefined;
      const own = Array.isArray(spec.parameters) ? spec.parameters.filter(isObject) : [];
      // An operation's parameter overrides the path item's with the same name and location.
      const parameters = [...shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)), ...own];
      const upper = method.toUpperCase() as Method;
      operations.push({
        method: upper,
        path,
        operationId,
        label: `${upper} ${path}${operationId === undefined ? '' : ` (${operationId})`}`,
        tags: Array.isArray(spec.tags) ? spec.tags.filter((t): t is string => typeof t === 'string') : [],
        spec,
        parameters,
      });
    }
  }
  return operations;
}

/** Two operations with one operationId cannot both become `<prefix>_<operationId>`: refused, naming both. */
function checkOperationIds(operations: Operation[]): void {
  const seen = new Map<string, Operation>();
  for (const operation of operations) {
    if (operation.operationId === undefined) continue;
    const first = seen.get(operation.operationId);
    if (first) {
      throw new OpenApiError(`Operations ${first.method} ${first.path} and ${operation.method} ${operation.path} have the same operationId "${operation.operationId}": operationIds must be unique`);
    }
    seen.set(operation.operationId, operation);
  }
}

/** A selection naming an operationId the document lacks is a typo that would silently select nothing. */
function checkSelection(selection: OpenApiSelection | undefined, operations: Operation[]): void {
  const named = [...(selection?.include?.operationIds ?? []), ...(selection?.exclude?.operationIds ?? [])];
  const missing = named.filter((id) => !operations.some((o) => o.operationId === id));
  if (missing.length > 0) {
    throw new OpenApiError(`The selection names operationId ${missing.map((id) => `"${id}"`).join(', ')}, which the OpenAPI document does not define`);
  }
}

function isSelected(operation: Operation, selection: OpenApiSelection | undefined): boolean {
  const include = selection?.include;
  const included = include === undefined || isEmptyFilter(include) || matches(include, operation);
  return included && !(selection?.exclude !== undefined && matches(selection.exclude, operation));
}

function isEmptyFilter(filter: OpenApiFilter): boolean {
  return !filter.operationIds?.length && !filter.tags?.length && !filter.paths?.length;
}

function matches(filter: OpenApiFilter, operation: Operation): boolean {
  return (
    (operation.operationId !== undefined && (filter.operationIds ?? []).includes(operation.operationId)) ||
    (filter.tags ?? []).some((tag) => operation.tags.includes(tag)) ||
    (filter.paths ?? []).some((p) => (p.endsWith('*') ? operation.path.startsWith(p.slice(0, -1)) : operation.path === p))
  );
}

function toolName(prefix: string, operation: Operation): string {
  const raw = operation.operationId ?? `${operation.method.toLowerCase()} ${operation.path}`;
  const part = raw.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || operation.method.toLowerCase();
  return `${prefix}_${part}`.slice(0, NAME_LIMIT);
}

/** `name`, or `name_2`, `name_3`... (kept within 64 characters) when sanitizing or shortening made two names equal. */
function uniqueName(name: string, taken: Set<string>, limit = NAME_LIMIT): string {
  let unique = name;
  for (let n = 2; taken.has(unique); n++) unique = `${name.slice(0, limit - `_${n}`.length)}_${n}`;
  taken.add(unique);
  return unique;
}

function compileOperation(operation: Operation, context: { name: string; openapi30: boolean; reserved: Set<string> }): OperationTool {
  const { spec, label } = operation;
  const refuse = (reason: string) => new OpenApiError(`Cannot make a tool of ${label}: ${reason}`);
  const schemaOf = (schema: unknown, direction: SchemaDirection, what: string) => {
    try {
      return toToolJsonSchema(schema ?? {}, { openapi30: context.openapi30, direction });
    } catch (error) {
      throw refuse(`${what}: ${messageOf(error)}`);
    }
  };

  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const parameters: OperationParameter[] = [];
  const argumentNames = new Set<string>();
  for (const p of operation.parameters) {
    const name = String(p.name);
    const where = p.in;
    if (where === 'cookie') throw refuse(`cookie parameter "${name}" is not supported`);
    if (where !== 'path' && where !== 'query' && where !== 'header') throw refuse(`parameter "${name}" is in "${String(where)}", which is not supported`);
    if (where === 'header' && context.reserved.has(name.toLowerCase())) {
      throw refuse(`header parameter "${name}" is set by the connector itself (credentials, content type or framing)`);
    }
    if (p.schema === undefined) throw refuse(`parameter "${name}" is described with "content"; only parameters with a "schema" are supported`);
    const serialization = serializationOf(p, where);
    if (typeof serialization === 'string') throw refuse(`parameter "${name}" uses ${serialization}, which is not supported`);
    const argument = uniqueName(argumentName(name), argumentNames);
    const schema = schemaOf(p.schema, 'input', `parameter "${name}"`);
    properties[argument] = typeof p.description === 'string' && schema.description === undefined ? { ...schema, description: p.description } : schema;
    if (p.required === true || where === 'path') required.push(argument);
    parameters.push({ name, in: where, argument, ...serialization });
  }

  let body: OperationRequest['body'];
  const requestBody = spec.requestBody;
  if (isObject(requestBody)) {
    const content = isObject(requestBody.content) ? requestBody.content : {};
    const mediaType = Object.keys(content).find(isJsonMediaType);
    if (mediaType === undefined) {
      throw refuse(`its request body is ${Object.keys(content).join(', ') || 'without content'} only; only JSON request bodies are supported`);
    }
    const argument = uniqueName('body', argumentNames);
    const media = content[mediaType];
    const schema = schemaOf(isObject(media) ? media.schema : undefined, 'input', 'request body');
    properties[argument] = typeof requestBody.description === 'string' && schema.description === undefined ? { ...schema, description: requestBody.description } : schema;
    if (requestBody.required === true) required.push(argument);
    body = { argument, required: requestBody.required === true, ...(mediaType === 'application/json' ? {} : { contentType: mediaType }) };
  }

  const inputSchema: JsonSchema = { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
  const zodOrRefuse = (schema: JsonSchema, io: 'input' | 'output', what: string) => {
    try {
      return toZod(schema, io);
    } catch (error) {
      throw refuse(`its ${what} schema cannot be converted to zod: ${messageOf(error)}`);
    }
  };
  if (!(zodOrRefuse(inputSchema, 'input', 'input') instanceof z.ZodObject)) throw refuse('its input schema does not convert to a zod object');

  const response = successSchema(spec.responses);
  let outputSchema: JsonSchema | undefined;
  let responseShape: OperationRequest['responseShape'];
  if (response !== undefined) {
    const schema = schemaOf(response, 'output', 'response');
    // "An object schema" is one zod turns into an object with a shape (not a record, not an intersection).
    const asObject = schema.type === 'object' && zodOrRefuse(schema, 'output', 'response') instanceof z.ZodObject;
    outputSchema = asObject ? schema : { type: 'object', properties: { result: schema }, required: ['result'] };
    responseShape = asObject ? 'object' : 'wrapped';
    if (!asObject) zodOrRefuse(outputSchema, 'output', 'response');
  }

  const summary = typeof spec.summary === 'string' ? spec.summary.trim() : '';
  const details = typeof spec.description === 'string' ? spec.description.trim() : '';
  return {
    name: context.name,
    title: summary || operation.operationId || `${operation.method} ${operation.path}`,
    description: [summary, details].filter(Boolean).join('\n\n') || `${operation.method} ${operation.path}`,
    inputSchema,
    ...(outputSchema === undefined ? {} : { outputSchema }),
    readOnly: operation.method === 'GET' || operation.method === 'HEAD',
    operation: { method: operation.method, path: operation.path, parameters, ...(body === undefined ? {} : { body }), ...(responseShape === undefined ? {} : { responseShape }) },
  };
}

/** The non-default serialization to record, or a description of an unsupported one. */
function serializationOf(p: Json, where: string): Pick<OperationParameter, 'style' | 'explode'> | string {
  const style = p.style ?? (where === 'query' ? 'form' : 'simple');
  const explode = p.explode ?? style === 'form';
  if (where !== 'query') return style === 'simple' && explode !== true ? {} : `style "${String(style)}"${explode === true ? ' with explode' : ''}`;
  if (style === 'form') return explode === false ? { explode: false } : {};
  if (style === 'spaceDelimited' || style === 'pipeDelimited') return explode === true ? `style "${style}" with explode` : { style, explode: false };
  if (style === 'deepObject') return { style };
  return `style "${String(style)}"`;
}

/** A parameter's name as a tool argument: some model APIs accept only [A-Za-z0-9_.-]{1,64} property names. */
function argumentName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, NAME_LIMIT) || 'parameter';
}

/** The JSON schema every declared 2xx answer shares, or undefined when one lacks it or they differ. */
function successSchema(responses: unknown): unknown {
  if (!isObject(responses)) return undefined;
  const schemas = Object.entries(responses)
    .filter(([code]) => /^2(\d\d|XX)$/i.test(code))
    .map(([, response]) => {
      const content = isObject(response) && isObject(response.content) ? response.content : {};
      const mediaType = Object.keys(content).find(isJsonMediaType);
      const media = mediaType === undefined ? undefined : content[mediaType];
      return isObject(media) && media.schema !== undefined ? media.schema : undefined;
    });
  const [first] = schemas;
  if (first === undefined || schemas.some((s) => s === undefined || JSON.stringify(s) !== JSON.stringify(first))) return undefined;
  return first;
}

/**
 * The zod schema the connector catalog will build at run time with `z.fromJSONSchema`, checked here so a
 * document it cannot convert is refused when added; the SDK also turns it back into JSON Schema for tools/list.
 * Throws zod's Error when either way fails.
 */
function toZod(schema: JsonSchema, io: 'input' | 'output'): z.ZodType {
  const zod = z.fromJSONSchema(schema, { registry: z.registry() }); // a private registry: checking leaves no metadata behind
  z.toJSONSchema(zod, { target: 'draft-7', io });
  return zod;
}

function serverUrls(servers: unknown): string[] {
  if (!Array.isArray(servers)) return [];
  return servers.filter(isObject).flatMap((server) => {
    if (typeof server.url !== 'string') return [];
    const variables = isObject(server.variables) ? server.variables : {};
    return [server.url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
      const variable = variables[name];
      return isObject(variable) && typeof variable.default === 'string' ? variable.default : whole;
    })];
  });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
