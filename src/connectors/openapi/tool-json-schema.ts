import type { JsonSchema } from './operation-tool.ts';

/** What a schema is used for: request side drops `readOnly` properties, response side drops `writeOnly` ones. */
export type SchemaDirection = 'input' | 'output';

const SCHEMA_ARRAY_KEYS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_KEYS = ['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties', 'additionalItems', 'contentSchema'];
const SCHEMA_MAP_KEYS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
// OpenAPI-only annotations that mean nothing to a JSON Schema consumer (and would only bloat tools/list),
// and identifiers (`$id`, draft-04 `id`) that zod would keep in its global registry on every rebuild.
const DROPPED_KEYS = new Set(['discriminator', 'xml', 'externalDocs', '$schema', '$id', 'id', 'readOnly', 'writeOnly']);

/**
 * Turns a dereferenced OpenAPI schema into plain JSON Schema 2020-12 for a tool: `example` and 3.0's
 * `nullable` and boolean `exclusiveMinimum`/`exclusiveMaximum` become their JSON Schema forms, and
 * `x-` extensions and OpenAPI-only annotations are dropped. Returns a new object (the dereferenced
 * document shares objects between references). Throws an Error saying what is unsupported: a `$ref`
 * left by the dereferencer is a cycle (local) or an external reference.
 */
export function toToolJsonSchema(schema: unknown, options: { openapi30: boolean; direction: SchemaDirection }): JsonSchema {
  const converted = convert(schema, { ...options, budget: { left: MAX_SUBSCHEMAS } }, '#');
  return typeof converted === 'boolean' ? (converted ? {} : { not: {} }) : converted;
}

// Dereferencing copies a shared schema into every place that uses it, so a document of modest size
// can expand into a schema far too large for tools/list.
const MAX_SUBSCHEMAS = 10_000;

interface ConvertOptions {
  openapi30: boolean;
  direction: SchemaDirection;
  budget: { left: number };
}

function convert(schema: unknown, options: ConvertOptions, at: string): JsonSchema | boolean {
  if (typeof schema === 'boolean') return schema;
  if (--options.budget.left < 0) throw new Error(`its schema has more than ${MAX_SUBSCHEMAS} subschemas once its $refs are resolved`);
  if (!isObject(schema)) throw new Error(`the schema at ${at} is not an object`);
  if (typeof schema.$ref === 'string') {
    const ref = schema.$ref;
    throw new Error(ref.startsWith('#') ? `its schema refers to itself through ${ref} (a $ref cycle)` : `its schema has an external $ref (${ref}), which is not resolved`);
  }
  const hidden = options.direction === 'input' ? 'readOnly' : 'writeOnly';
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-') || DROPPED_KEYS.has(key)) continue;
    if (SCHEMA_MAP_KEYS.includes(key) && isObject(value)) {
      const map: JsonSchema = {};
      for (const [name, sub] of Object.entries(value)) {
        if (key === 'properties' && isObject(sub) && sub[hidden] === true) continue;
        map[name] = convert(sub, options, `${at}/${key}/${name}`);
      }
      out[key] = map;
    } else if (SCHEMA_ARRAY_KEYS.includes(key) && Array.isArray(value)) {
      out[key] = value.map((sub, i) => convert(sub, options, `${at}/${key}/${i}`));
    } else if (SCHEMA_KEYS.includes(key) && (isObject(value) || typeof value === 'boolean')) {
      out[key] = convert(value, options, `${at}/${key}`);
    } else if (key === 'items' && Array.isArray(value)) {
      out.prefixItems = value.map((sub, i) => convert(sub, options, `${at}/items/${i}`)); // draft-04 tuple form
    } else {
      out[key] = structuredClone(value);
    }
  }
  if (Array.isArray(out.required) && isObject(schema.properties)) {
    const hiddenNames = Object.entries(schema.properties).filter(([, sub]) => isObject(sub) && sub[hidden] === true).map(([name]) => name);
    out.required = out.required.filter((name) => !hiddenNames.includes(name as string));
  }
  if ('example' in out && !('examples' in out)) out.examples = [out.example]; // OpenAPI's `example`, deprecated in 3.1
  delete out.example;
  return options.openapi30 ? fromOpenApi30(out) : out;
}

/** OpenAPI 3.0's dialect (a JSON Schema draft-04 variant) in 2020-12 terms. */
function fromOpenApi30(schema: JsonSchema): JsonSchema {
  const out = { ...schema };
  for (const [exclusive, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[exclusive] !== 'boolean') continue;
    if (out[exclusive] === true && typeof out[bound] === 'number') {
      out[exclusive] = out[bound];
      delete out[bound];
    } else {
      delete out[exclusive];
    }
  }
  if (out.nullable !== true) {
    delete out.nullable;
    return out;
  }
  delete out.nullable;
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
  if (out.type !== undefined) return out;
  const { description, title, default: fallback, ...rest } = out;
  return { ...(title === undefined ? {} : { title }), ...(description === undefined ? {} : { description }), ...(fallback === undefined ? {} : { default: fallback }), anyOf: [rest, { type: 'null' }] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
