// The compiled form of one OpenAPI operation: plain JSON, stored in libSQL and turned back into a tool
// on every runtime without the OpenAPI document or its parser.

/** A JSON Schema object, as plain JSON. */
export type JsonSchema = Record<string, unknown>;

/** Where a parameter goes in the request. Cookie parameters are refused at compile time. */
export type ParameterLocation = 'path' | 'query' | 'header';

/** One path, query or header parameter, read from the tool argument named `argument`. */
export interface OperationParameter {
  /** The parameter's name in the request (path template variable, query key or header name). */
  name: string;
  in: ParameterLocation;
  /** The tool argument holding its value (the name, made a valid argument name and unique). */
  argument: string;
  /** Query serialization when not the default `form`. */
  style?: 'spaceDelimited' | 'pipeDelimited' | 'deepObject';
  /** Present (false) only when arrays and objects are not exploded (`form` query parameters default to exploded). */
  explode?: false;
}

/** How to send one operation upstream. */
export interface OperationRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'PATCH' | 'TRACE';
  /** The path template, e.g. `/pets/{petId}`, appended to the connector's base URL. */
  path: string;
  parameters: OperationParameter[];
  /** The JSON request body, read from the tool argument named `argument`. */
  body?: { argument: string; required: boolean; contentType?: string };
  /** How a JSON answer becomes `structuredContent`: as is (`object`) or as `{ result }` (`wrapped`). Absent without an output schema. */
  responseShape?: 'object' | 'wrapped';
}

/** One operation compiled into an MCP tool. */
export interface OperationTool {
  /** `<prefix>_<operationId>`, at most 64 characters of [A-Za-z0-9_.-], unique in its connector. */
  name: string;
  title: string;
  description: string;
  /** A JSON Schema object (type object) that z.fromJSONSchema converts to a zod object. */
  inputSchema: JsonSchema;
  /** A JSON Schema object for `structuredContent`, when the operation answers JSON with a declared schema. */
  outputSchema?: JsonSchema;
  /** True for GET and HEAD. */
  readOnly: boolean;
  operation: OperationRequest;
}

/** Which operations become tools: by operationId, tag, or path (exact template, or a prefix ending in `*`). */
export interface OpenApiFilter {
  operationIds?: string[];
  tags?: string[];
  paths?: string[];
}

/** Operations matching `include` (every operation when absent or empty), minus those matching `exclude`. */
export interface OpenApiSelection {
  include?: OpenApiFilter;
  exclude?: OpenApiFilter;
}

/** What a document compiles to. */
export interface CompiledOpenApi {
  /** `info.title`. */
  title: string;
  /** `servers[].url` with variables set to their defaults; may be relative to the document's URL. */
  servers: string[];
  tools: OperationTool[];
}
