import type { OpenApiCompiler } from './openapi-compiler.ts';

/** The OpenAPI compiler, loaded on first use: the parser is large, and most processes never add a connector. */
export const lazyOpenApiCompiler: OpenApiCompiler = async (text, options) => (await import('./openapi-compiler.ts')).compileOpenApiText(text, options);
