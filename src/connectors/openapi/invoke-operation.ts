import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isJsonMediaType } from './json-media-type.ts';
import type { UpstreamFetch } from '../upstream-fetch.ts';
import type { OperationParameter, OperationRequest, OperationTool } from './operation-tool.ts';

/** What `invokeOperation` needs besides the tool and its arguments. */
export interface InvokeOperationOptions {
  /** The upstream's base URL; the operation's path is appended to it. */
  baseUrl: string;
  /** The safe `upstreamFetch` in production. */
  fetch: UpstreamFetch;
  /** Added to every request (credentials): never echoed in results. They override header parameters of the same name. */
  headers: Record<string, string>;
  /** Aborts the upstream call (client cancellation, TOOL_TIMEOUT_MS). */
  signal: AbortSignal;
}

/** The tool's result, and the upstream's HTTP status for the usage row (null when no answer came). */
export interface OperationOutcome {
  result: CallToolResult;
  status: number | null;
}

const ERROR_BODY_CHARS = 1_000;

/**
 * Calls the upstream for one compiled operation and turns its answer into a tool result: 2xx JSON as
 * pretty text plus `structuredContent` when the tool declares an output schema, anything else as an
 * `isError` result saying what failed. Never throws, and never puts request headers in a result.
 */
export async function invokeOperation(tool: OperationTool, args: Record<string, unknown>, options: InvokeOperationOptions): Promise<OperationOutcome> {
  let request: { url: string; init: RequestInit };
  try {
    request = buildRequest(tool.operation, args, options);
  } catch (error) {
    return { result: failure(`Cannot build the request: ${messageOf(error)}`), status: null };
  }
  let response: Response;
  try {
    response = await options.fetch(request.url, request.init);
  } catch (error) {
    return { result: failure(options.signal.aborted ? stopped(options.signal) : `Cannot reach the upstream: ${reasonOf(error)}`), status: null };
  }
  const status = response.status;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    return { result: failure(options.signal.aborted ? stopped(options.signal) : `Cannot read the upstream's answer (${status}): ${reasonOf(error)}`), status };
  }
  return { result: resultOf(tool, response, bytes), status };
}

function buildRequest(operation: OperationRequest, args: Record<string, unknown>, options: InvokeOperationOptions): { url: string; init: RequestInit } {
  let path = operation.path;
  const query = new URLSearchParams();
  const headers = new Headers();
  for (const parameter of operation.parameters) {
    const value = args[parameter.argument];
    if (value === undefined || value === null) {
      if (parameter.in === 'path') throw new Error(`path parameter "${parameter.name}" is missing`);
      continue;
    }
    if (parameter.in === 'path') path = path.replaceAll(`{${parameter.name}}`, pathSegment(parameter, value));
    else if (parameter.in === 'query') appendQuery(query, parameter, value);
    else setHeader(headers, parameter.name, simple(value).join(','), `header parameter "${parameter.name}"`);
  }
  for (const [name, value] of Object.entries(options.headers)) setHeader(headers, name, value, 'a connector header');
  if (!headers.has('accept')) headers.set('accept', 'application/json, */*;q=0.8');

  let body: string | undefined;
  if (operation.body !== undefined && args[operation.body.argument] !== undefined) {
    body = JSON.stringify(args[operation.body.argument]);
    headers.set('content-type', operation.body.contentType ?? 'application/json');
  } else if (operation.body?.required) {
    throw new Error('the request body is missing');
  }

  const search = query.toString();
  const url = `${options.baseUrl.replace(/\/+$/, '')}${path}${search === '' ? '' : `?${search}`}`;
  if (!URL.canParse(url)) throw new Error('the base URL and path do not make a valid URL');
  return { url, init: { method: operation.method, headers, body, signal: options.signal } };
}

/** A path parameter, `simple` style, percent-encoded so it stays one segment. */
function pathSegment(parameter: OperationParameter, value: unknown): string {
  const segment = simple(value).map(encodeURIComponent).join(',');
  // URL parsing resolves "." and ".." segments (encodeURIComponent keeps dots): they would reach another endpoint.
  if (segment === '' || segment === '.' || segment === '..') throw new Error(`path parameter "${parameter.name}" cannot be empty, "." or ".."`);
  return segment;
}

function appendQuery(query: URLSearchParams, parameter: OperationParameter, value: unknown): void {
  const { name, style, explode } = parameter;
  if (style === 'deepObject' && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) if (item !== undefined) query.append(`${name}[${key}]`, text(item));
  } else if (style === 'spaceDelimited' || style === 'pipeDelimited') {
    query.append(name, simple(value).join(style === 'spaceDelimited' ? ' ' : '|'));
  } else if (explode === false) {
    query.append(name, simple(value).join(','));
  } else if (Array.isArray(value)) {
    for (const item of value) query.append(name, text(item));
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) if (item !== undefined) query.append(key, text(item));
  } else {
    query.append(name, text(value));
  }
}

/** RFC 6570 simple expansion's items: an array's elements, or an object's keys and values in turn. */
function simple(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(text);
  if (isPlainObject(value)) return Object.entries(value).flatMap(([key, item]) => [key, text(item)]);
  return [text(value)];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function setHeader(headers: Headers, name: string, value: string, what: string): void {
  try {
    headers.set(name, value);
  } catch {
    throw new Error(`${what} is not a valid HTTP header`); // the runtime's message may quote the value, which may be a secret
  }
}

function resultOf(tool: OperationTool, response: Response, bytes: Uint8Array): CallToolResult {
  const { status } = response;
  const answered = `The upstream answered ${status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const mediaType = response.headers.get('content-type') ?? '';
  if (status < 200 || status > 299) {
    const body = decode(bytes).slice(0, ERROR_BODY_CHARS);
    return failure(body.trim() === '' ? answered : `${answered}: ${body}`);
  }
  const shape = tool.operation.responseShape;
  if (bytes.length === 0) {
    return shape === undefined ? success(`${answered} with no body.`) : failure(`${answered} with no body, where the operation declares a JSON answer.`);
  }
  if (isJsonMediaType(mediaType)) {
    let value: unknown;
    try {
      value = JSON.parse(decode(bytes));
    } catch (error) {
      return failure(`${answered} with malformed JSON: ${messageOf(error)}`);
    }
    const pretty = JSON.stringify(value, null, 2);
    if (shape === undefined) return success(pretty);
    if (shape === 'wrapped') return { content: [{ type: 'text', text: pretty }], structuredContent: { result: value } };
    if (!isPlainObject(value)) return failure(`${answered} with JSON that is not an object, where the operation declares an object: ${pretty.slice(0, ERROR_BODY_CHARS)}`);
    return { content: [{ type: 'text', text: pretty }], structuredContent: value };
  }
  if (shape !== undefined) return failure(`${answered} with ${mediaType || 'an untyped body'}, where the operation declares a JSON answer.`);
  if (/^image\//i.test(mediaType)) return { content: [{ type: 'image', data: base64(bytes), mimeType: mediaType.split(';')[0]!.trim() }] };
  if (isTextual(mediaType)) return success(decode(bytes));
  return success(`${answered} with ${bytes.length} bytes of ${mediaType || 'an untyped body'}, which cannot be shown as text.`);
}

function isTextual(mediaType: string): boolean {
  const essence = mediaType.split(';')[0]!.trim().toLowerCase();
  return essence === '' || essence.startsWith('text/') || /[/+](xml|yaml|csv|javascript|x-www-form-urlencoded)$/.test(essence) || /;\s*charset=/i.test(mediaType);
}

function success(text: string): CallToolResult {
  return { content: [{ type: 'text', text }] };
}

function failure(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function stopped(signal: AbortSignal): string {
  return `The call was stopped before the upstream answered: ${reasonOf(signal.reason)}`;
}

/** An error's message with its cause's (Node's fetch says only "fetch failed" and puts ECONNREFUSED in the cause). */
function reasonOf(error: unknown): string {
  const message = messageOf(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return cause && cause !== message ? `${message} (${cause})` : message;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
