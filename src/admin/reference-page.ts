import type { OpenAPIHono } from '@hono/zod-openapi';

type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { description?: string; content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** The page's Content-Security-Policy: it loads nothing, runs no script, and only styles itself. */
export const referencePageCsp = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Renders the OpenAPI document as one self-contained HTML page: no script, nothing fetched from
 * the network, so it works offline and puts no third-party code next to admin credentials.
 */
export function renderReferencePage(doc: OpenApiDocument): string {
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const op = (item as Record<string, Operation | undefined>)[method];
      return op ? [{ path, method, op }] : [];
    }),
  );
  const tags = [...new Set(operations.map((o) => o.op.tags?.[0] ?? 'Other'))];
  const schemas = Object.entries(doc.components?.schemas ?? {});
  const server = doc.servers?.[0]?.url ?? '';

  const operationHtml = ({ path, method, op }: (typeof operations)[number]) => `
<section id="${esc(op.operationId ?? `${method}-${path}`)}">
  <h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
  ${op.summary ? `<p><strong>${esc(op.summary)}</strong></p>` : ''}
  ${op.description ? `<p>${esc(op.description)}</p>` : ''}
  ${op.parameters?.length ? `<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Schema</th><th>Description</th></tr>${op.parameters
    .map((p) => `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <em>required</em>' : ''}</td><td>${esc(p.in)}</td><td>${schemaSummary(p.schema)}</td><td>${esc(p.description ?? '')}</td></tr>`)
    .join('')}</table>` : ''}
  ${op.requestBody ? `<h4>Request body</h4><p>${contentHtml(op.requestBody.content, true)}</p>` : ''}
  <h4>Responses</h4><table><tr><th>Status</th><th>Description</th><th>Body</th></tr>${Object.entries(op.responses ?? {})
    .map(([status, r]) => `<tr><td>${esc(status)}</td><td>${esc(r.description ?? '')}</td><td>${contentHtml(r.content, true)}</td></tr>`)
    .join('')}</table>
</section>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header,main{max-width:60rem;margin:auto;padding:0 1.5rem}
header{padding-top:1.5rem}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
code,pre{font:13px ui-monospace,monospace}
pre{background:#f3f3f3;padding:.75rem;overflow:auto;border-radius:4px}
table{border-collapse:collapse;width:100%}td,th{border-top:1px solid #eee;padding:.3rem;text-align:left;vertical-align:top}
.method{display:inline-block;min-width:4.5em;text-align:center;border-radius:3px;color:#fff;font-size:12px;padding:2px 4px}
.get{background:#2b7bb9}.post{background:#2e8b57}.patch{background:#b8860b}.put{background:#8b4513}.delete{background:#b22222}
nav ul{columns:2}
</style>
</head>
<body>
<header>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
${doc.info.description ? `<p>${esc(doc.info.description)}</p>` : ''}
<p>Base URL: <code>${esc(server)}</code>. Machine-readable document: <a href="openapi.json">openapi.json</a> (OpenAPI ${esc(doc.openapi)}).</p>
<nav><ul>${operations
    .map(({ path, method, op }) => `<li><a href="#${esc(op.operationId ?? `${method}-${path}`)}">${method.toUpperCase()} ${esc(path)}</a></li>`)
    .join('')}</ul></nav>
</header>
<main>
${tags.map((tag) => `<h2>${esc(tag)}</h2>${operations.filter((o) => (o.op.tags?.[0] ?? 'Other') === tag).map(operationHtml).join('')}`).join('\n')}
<h2>Schemas</h2>
${schemas.map(([name, schema]) => `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3>${schemaHtml(schema)}</section>`).join('\n')}
</main>
</body>
</html>
`;
}

function contentHtml(content: Record<string, { schema?: unknown }> | undefined, compact = false): string {
  if (!content) return '';
  return Object.entries(content)
    .map(([type, media]) => `<code>${esc(type)}</code> ${schemaHtml(media.schema, compact)}`)
    .join('<br>');
}

/** A schema as JSON, with `$ref`s linked to their section; a bare reference is shown as just the link. */
function schemaHtml(schema: unknown, compact = false): string {
  if (schema === undefined) return '';
  const ref = (schema as { $ref?: unknown }).$ref;
  if (compact && typeof ref === 'string' && Object.keys(schema as object).length === 1) return refLink(ref);
  const json = esc(JSON.stringify(schema, null, 2)).replace(/&#34;(#\/components\/schemas\/[\w.-]+)&#34;/g, (_, r: string) => `&#34;${refLink(r)}&#34;`);
  return compact ? `<code>${json}</code>` : `<pre>${json}</pre>`;
}

/** A parameter's schema in a few words: type, allowed values, bounds, default. */
function schemaSummary(schema: unknown): string {
  const s = (schema ?? {}) as Record<string, unknown>;
  const parts = [String(s.type ?? 'any')];
  if (Array.isArray(s.enum)) parts.push(`one of ${s.enum.join(', ')}`);
  if (typeof s.pattern === 'string') parts.push(`matching ${s.pattern}`);
  if (s.minimum !== undefined || s.maximum !== undefined) parts.push(`${s.minimum ?? ''} to ${s.maximum ?? ''}`);
  if (s.maxLength !== undefined) parts.push(`up to ${s.maxLength} characters`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return `<code>${esc(parts.join(', '))}</code>`;
}

function refLink(ref: string): string {
  const name = ref.split('/').at(-1)!;
  return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
