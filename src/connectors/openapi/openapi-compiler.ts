import { type CompileOpenApiOptions, compileOpenApi } from './compile-openapi.ts';
import type { CompiledOpenApi } from './operation-tool.ts';
import { parseOpenApiText } from './parse-openapi-text.ts';

/** Reads an OpenAPI document (JSON or YAML text) and compiles its operations into tools. */
export type OpenApiCompiler = (text: string, options: CompileOpenApiOptions) => Promise<CompiledOpenApi>;

/**
 * The compiler the Node and Deno entries and the CLI inject. Workers get none: the parser reads
 * files and generates validation code at run time, which workerd forbids; OpenAPI connectors are
 * compiled elsewhere, stored compiled, and run on every runtime.
 */
export const compileOpenApiText: OpenApiCompiler = (text, options) => compileOpenApi(parseOpenApiText(text), options);
