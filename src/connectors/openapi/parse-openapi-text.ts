import { CORE_SCHEMA, load } from 'js-yaml';
import { OpenApiError } from './openapi-error.ts';

/**
 * Reads an uploaded OpenAPI document, JSON or YAML, into plain data for `compileOpenApi`. YAML is read
 * with the core schema, as the OpenAPI parser reads it: dates stay strings. Throws `OpenApiError` for text
 * that is neither.
 */
export function parseOpenApiText(text: string): unknown {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed);
    } catch (error) {
      throw new OpenApiError(`Cannot read the OpenAPI document as JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let document: unknown;
  try {
    document = load(text, { schema: CORE_SCHEMA });
  } catch (error) {
    throw new OpenApiError(`Cannot read the OpenAPI document as YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new OpenApiError('Cannot read the OpenAPI document: it is neither a JSON object nor a YAML mapping');
  }
  // YAML aliases share nodes, so a small text can stand for an exponentially large document
  // ("billion laughs") that validating or cloning would then expand.
  if (!withinNodes(document, { left: MAX_YAML_NODES })) {
    throw new OpenApiError(`Cannot read the OpenAPI document: its YAML aliases expand it past ${MAX_YAML_NODES} values`);
  }
  return document;
}

const MAX_YAML_NODES = 1_000_000;

function withinNodes(value: unknown, budget: { left: number }): boolean {
  if (--budget.left < 0) return false;
  if (typeof value !== 'object' || value === null) return true;
  for (const item of Array.isArray(value) ? value : Object.values(value)) if (!withinNodes(item, budget)) return false;
  return true;
}
