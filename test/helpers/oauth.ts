// Acting as an OAuth client and as the user on the sign-in and consent pages, over real HTTP.
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';

/** An OAuthClientProvider that keeps everything in memory and records where it was sent to authorize. */
export class MemoryOAuthProvider implements OAuthClientProvider {
  information: OAuthClientInformationMixed | undefined;
  savedTokens: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  readonly clientMetadataUrl?: string;
  readonly #redirect: string;

  constructor(options: { redirectUrl?: string; clientMetadataUrl?: string } = {}) {
    this.#redirect = options.redirectUrl ?? 'http://127.0.0.1:33418/callback';
    this.clientMetadataUrl = options.clientMetadataUrl;
  }

  get redirectUrl(): string {
    return this.#redirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'Test MCP app', redirect_uris: [this.#redirect], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] };
  }

  state(): string {
    return 'state-123';
  }

  clientInformation() {
    return this.information;
  }

  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }

  tokens() {
    return this.savedTokens;
  }

  saveTokens(tokens: OAuthTokens) {
    this.savedTokens = tokens;
  }

  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }

  codeVerifier() {
    return this.verifier;
  }
}

/** A browser without JavaScript: follows nothing by itself and keeps cookies. */
export class Browser {
  readonly cookies = new Map<string, string>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return res;
  }

  /** Posts a form the way a browser does. */
  post(url: string | URL, fields: [string, string][]): Promise<Response> {
    return this.fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  }
}

/** The value of the page's hidden CSRF field. */
export function csrfOf(page: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(page);
  expect(m, 'the page has a CSRF field').not.toBeNull();
  return m![1]!;
}

/** The scopes the consent page offers (its checkboxes). */
export function offeredScopesOf(page: string): string[] {
  return [...page.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1]!);
}

/** What a user does on our pages, step by step. */
export interface UserSteps {
  apiKey: string;
  /** Scopes to leave ticked; default all offered. */
  scopes?: string[];
  decision?: 'allow' | 'deny';
}

/**
 * Acts as the user: opens the authorization URL, pastes the API key, consents, and returns
 * the URL the browser is finally sent to (the client's redirect URI with code or error).
 */
export async function completeAuthorization(authorizationUrl: URL | string, steps: UserSteps, browser = new Browser()): Promise<URL> {
  const start = await browser.fetch(authorizationUrl);
  expect(start.status, await start.clone().text()).toBe(303);
  const pageUrl = new URL(start.headers.get('Location')!, authorizationUrl);
  if (!pageUrl.pathname.startsWith('/oauth/requests/')) return pageUrl; // an error sent back to the client
  const signIn = await (await browser.fetch(pageUrl)).text();
  const signedIn = await browser.post(new URL(`${pageUrl.pathname}/api-key`, pageUrl), [
    ['csrf', csrfOf(signIn)],
    ['api_key', steps.apiKey],
  ]);
  if (signedIn.status !== 303) throw new SignInRefused(signedIn.status, await signedIn.text());
  const consentRes = await browser.fetch(new URL(signedIn.headers.get('Location')!, pageUrl));
  if (consentRes.status === 303) return new URL(consentRes.headers.get('Location')!);
  const consent = await consentRes.text();
  expect(consentRes.status, consent).toBe(200);
  const scopes = steps.scopes ?? offeredScopesOf(consent);
  const done = await browser.post(new URL(`${pageUrl.pathname}/consent`, pageUrl), [
    ['csrf', csrfOf(consent)],
    ...scopes.map((s): [string, string] => ['scope', s]),
    ['decision', steps.decision ?? 'allow'],
  ]);
  expect(done.status, await done.clone().text()).toBe(303);
  return new URL(done.headers.get('Location')!);
}

/** The sign-in page answered with an error instead of moving on. */
export class SignInRefused extends Error {
  constructor(
    readonly status: number,
    readonly page: string,
  ) {
    super(`Sign-in refused with ${status}`);
  }
}

/** A PKCE pair (S256). */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: Buffer.from(digest).toString('base64url') };
}

/** Posts a form to the token endpoint and returns status and JSON body. */
export async function tokenRequest(baseUrl: string, fields: Record<string, string>, path = '/token'): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** What the SDK's whole OAuth flow produced. */
export interface SdkFlowResult {
  provider: MemoryOAuthProvider;
  tools: string[];
  sum: unknown;
  firstTokens: OAuthTokens;
  refreshedTokens: OAuthTokens;
}

/**
 * The official SDK client's OAuth flow, end to end: `auth()` discovers the server, registers
 * (DCR, or a metadata document URL when `clientMetadataUrl` is given), is sent to authorize, the
 * user signs in with `apiKey` and consents, `auth()` exchanges the code, the client lists tools
 * and calls `add`, then `auth()` refreshes the tokens.
 */
export async function sdkOAuthFlow(baseUrl: string, apiKey: string, options: { clientMetadataUrl?: string } = {}): Promise<SdkFlowResult> {
  const { auth } = await import('@modelcontextprotocol/sdk/client/auth.js');
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const serverUrl = new URL('/mcp', baseUrl);
  const provider = new MemoryOAuthProvider({ clientMetadataUrl: options.clientMetadataUrl });
  expect(await auth(provider, { serverUrl })).toBe('REDIRECT');
  const back = await completeAuthorization(provider.authorizationUrl!, { apiKey });
  expect(back.searchParams.get('state')).toBe('state-123');
  expect(back.searchParams.get('iss')).toBe(new URL(baseUrl).origin);
  const code = back.searchParams.get('code');
  expect(code, back.href).toBeTruthy();
  expect(await auth(provider, { serverUrl, authorizationCode: code! })).toBe('AUTHORIZED');
  const firstTokens = provider.savedTokens!;

  const client = new Client({ name: 'tenant-mcp-oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    const sum = (await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content;
    expect(await auth(provider, { serverUrl })).toBe('AUTHORIZED'); // holds a refresh token: refreshes
    return { provider, tools, sum, firstTokens, refreshedTokens: provider.savedTokens! };
  } finally {
    await client.close();
  }
}

/** Starts the Node entry on a port chosen up front, so PUBLIC_URL (the issuer) names it. */
export async function startOAuthServer(env: Record<string, string>): Promise<import('./server.ts').RunningServer> {
  const { freePort } = await import('./proc.ts');
  const { startServer } = await import('./server.ts');
  const port = await freePort();
  return startServer({ PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, KEY_CACHE_TTL_SECONDS: '0', ...env });
}

/** A client's redirect URI on loopback: records each authorization response it receives. */
export interface RedirectReceiver {
  url: string;
  received: URL[];
  close(): Promise<void>;
}

/** Listens on a free loopback port and answers /callback as an app's redirect page would. */
export async function startRedirectReceiver(): Promise<RedirectReceiver> {
  const received: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    if (url.pathname === '/callback') received.push(url); // not the browser's /favicon.ico
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('You can close this window.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
