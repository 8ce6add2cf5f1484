import { z } from 'zod';
import { checkOutboundHost } from '../http/outbound-host.ts';
import type { ResolveHost } from './public-address.ts';
import { redirectUriProblem } from './redirect-uri.ts';

/** Limits and helpers for fetching client metadata documents. */
export interface MetadataFetchOptions {
  /** Resolves names to addresses so private ones can be refused; without it only IP literals and "localhost" are checked. */
  resolveHost?: ResolveHost;
  /** Hosts allowed to resolve to private or loopback addresses (tests, intranets). */
  allowedPrivateHosts: readonly string[];
  timeoutMs: number;
  maxBytes: number;
  fetch?: typeof fetch;
}

/** What this server takes from a client metadata document. */
export interface ClientMetadata {
  clientId: string;
  name: string;
  redirectUris: string[];
  clientUri: string | null;
  /** How long the document may be reused, from its Cache-Control max-age (bounded by the caller). */
  maxAgeSeconds: number | undefined;
}

const documentSchema = z.object({
  client_id: z.string(),
  client_name: z.string().trim().min(1).max(100).optional(),
  client_uri: z.url().max(2000).optional(),
  redirect_uris: z.array(z.string()).min(1).max(20),
  token_endpoint_auth_method: z.literal('none').default('none'),
});

/** True when `clientId` is a URL, so names a client metadata document (draft-ietf-oauth-client-id-metadata-document); only https ones are fetched. */
export function isMetadataDocumentUrl(clientId: string): boolean {
  return /^https?:\/\//i.test(clientId);
}

/**
 * Fetches and checks a client metadata document, guarding against server-side request forgery:
 * https only, no credentials in the URL, a public address (unless the host is allowed to be
 * private), no redirects, a time limit and a size limit. Throws an Error saying what failed.
 */
export async function fetchClientMetadata(clientId: string, options: MetadataFetchOptions): Promise<ClientMetadata> {
  const url = checkedUrl(clientId);
  await checkOutboundHost(url, options);
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { Accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new Error(timedOut ? `it did not answer within ${options.timeoutMs} ms` : 'it could not be fetched (network error or redirect)');
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`it answered HTTP ${response.status}`);
  }
  const text = await readLimited(response, options.maxBytes, options.timeoutMs);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('it is not JSON');
  }
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) throw new Error(`it is not valid client metadata: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'document'}: ${i.message}`).join('; ')}`);
  const doc = parsed.data;
  if (doc.client_id !== clientId) throw new Error('its client_id differs from the URL it was fetched from');
  for (const uri of doc.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new Error(`its redirect URI ${JSON.stringify(uri.slice(0, 200))} ${problem}`);
  }
  const maxAge = /(?:^|,)\s*max-age=(\d+)/.exec(response.headers.get('Cache-Control') ?? '')?.[1];
  return {
    clientId,
    name: doc.client_name ?? url.hostname,
    redirectUris: doc.redirect_uris,
    clientUri: doc.client_uri ?? null,
    maxAgeSeconds: maxAge === undefined ? undefined : Number(maxAge),
  };
}

function checkedUrl(clientId: string): URL {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new Error('it is not a URL');
  }
  if (url.protocol !== 'https:') throw new Error('it is not an https URL');
  if (url.username || url.password) throw new Error('it carries credentials');
  if (url.hash || clientId.includes('#')) throw new Error('it has a fragment');
  if (url.pathname === '/' || url.pathname === '') throw new Error('it has no path');
  if (clientId.length > 2000) throw new Error('it is longer than 2000 characters');
  return url;
}

async function readLimited(response: Response, maxBytes: number, timeoutMs: number): Promise<string> {
  const declared = Number(response.headers.get('Content-Length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`it is larger than ${maxBytes} bytes`);
  }
  // The fetch's timeout signal also aborts a body that trickles in too slowly.
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      throw new Error(`it did not arrive within ${timeoutMs} ms`);
    }
    if (chunk.done) break;
    size += chunk.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`it is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk.value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
