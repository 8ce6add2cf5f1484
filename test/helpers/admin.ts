import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

/** An answer from the admin API. */
export interface AdminResponse {
  status: number;
  headers: Headers;
  body: any;
}

type OpenApiDocument = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };

/**
 * Calls the admin API over HTTP and checks every answer against the server's own OpenAPI
 * document: the status must be documented for the route, and the body must match its schema.
 */
export class AdminClient {
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #doc: OpenApiDocument;
  readonly #ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  /** Every documented operation (e.g. "post /tenants") that a request has answered. */
  readonly exercised = new Set<string>();

  private constructor(base: string, token: string | undefined, doc: OpenApiDocument) {
    this.#base = base;
    this.#token = token;
    this.#doc = doc;
    this.#ajv.addSchema(doc, 'openapi');
  }

  /** Reads the document from the server; `token` is sent as the bearer credential. */
  static async connect(serverUrl: string, token?: string): Promise<AdminClient> {
    const res = await fetch(new URL('/admin/openapi.json', serverUrl));
    expect(res.status).toBe(200);
    return new AdminClient(new URL('/admin', serverUrl).href, token, await res.json());
  }

  /** The OpenAPI document the server serves. */
  get document(): OpenApiDocument {
    return this.#doc;
  }

  /** Sends a request; a non-string body is sent as JSON. */
  async request(method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<AdminResponse> {
    const headers: Record<string, string> = { ...(this.#token ? { Authorization: `Bearer ${this.#token}` } : {}) };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      headers['Content-Type'] = 'application/json';
    }
    const res = await fetch(this.#base + path, { method, headers: { ...headers, ...init.headers }, body });
    const text = await res.text();
    const parsed = text && res.headers.get('Content-Type')?.includes('json') ? JSON.parse(text) : text;
    this.#check(method, path, res, parsed);
    return { status: res.status, headers: res.headers, body: parsed };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  post(path: string, body?: unknown) {
    return this.request('POST', path, { body });
  }

  patch(path: string, body?: unknown) {
    return this.request('PATCH', path, { body });
  }

  #check(method: string, path: string, res: Response, body: unknown): void {
    const template = this.#templateOf(new URL(path, 'http://x').pathname);
    const operation = template && this.#doc.paths[template]?.[method.toLowerCase()];
    if (!operation || res.status === 401) return; // undocumented paths and refusals are checked by their own tests
    const where = `${method} ${path} -> ${res.status}`;
    const response = operation.responses[String(res.status)];
    expect(response, `${where} is not a documented status`).toBeDefined();
    this.exercised.add(`${method.toLowerCase()} ${template}`);
    const contentType = res.headers.get('Content-Type')?.split(';')[0] ?? '';
    if (!response!.content) return;
    expect(Object.keys(response!.content), `${where}: undocumented Content-Type`).toContain(contentType);
    const pointer = ['paths', template, method.toLowerCase(), 'responses', String(res.status), 'content', contentType, 'schema']
      .map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    const validate = this.#ajv.getSchema(`openapi#/${pointer}`)!;
    expect(validate(body), `${where}: body does not match the document: ${JSON.stringify(validate.errors)}`).toBe(true);
  }

  #templateOf(pathname: string): string | undefined {
    const relative = pathname.replace(/^\/admin/, '');
    return Object.keys(this.#doc.paths).find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(relative));
  }
}

/** Retries `read` until `done` holds for its result (usage is written in batches), or fails after a while. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
