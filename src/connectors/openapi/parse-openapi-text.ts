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
  return document;
}
