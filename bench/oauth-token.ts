// Gets an OAuth access token from a running tenant-mcp the way a client and its user would: DCR,
// /authorize with PKCE, the sign-in page (pasting the API key), consent, then /token.
import { createHash, randomBytes } from 'node:crypto';

/** Runs the authorization code flow against `baseUrl` signing in with `apiKey`; resolves with the access token. */
export async function oauthAccessToken(baseUrl: string, apiKey: string): Promise<string> {
  const redirectUri = 'http://127.0.0.1:9/callback';
  const registered = await json(await fetch(`${baseUrl}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ client_name: 'bench', redirect_uris: [redirectUri] }) }));
  const clientId = registered.client_id as string;
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const cookies: string[] = [];
  const go = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), Cookie: cookies.join('; ') }, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) cookies.push(c.split(';')[0]!);
    return res;
  };
  const post = (url: string, fields: string[][]) =>
    go(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const csrf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)![1]!;
  const authorize = new URL(`${baseUrl}/authorize`);
  const params = { response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', resource: `${baseUrl}/mcp` };
  for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
  const page = new URL((await go(authorize.href)).headers.get('Location')!, baseUrl).href;
  const signedIn = await post(`${page}/api-key`, [['csrf', csrf(await (await go(page)).text())], ['api_key', apiKey]]);
  if (signedIn.status !== 303) throw new Error(`Sign-in failed with ${signedIn.status}`);
  const consent = await (await go(page)).text();
  const scopes = [...consent.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => ['scope', m[1]!]);
  const done = await post(`${page}/consent`, [['csrf', csrf(consent)], ...scopes, ['decision', 'allow']]);
  const code = new URL(done.headers.get('Location')!).searchParams.get('code')!;
  const tokens = await json(
    await fetch(`${baseUrl}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri, resource: `${baseUrl}/mcp` }).toString(),
    }),
  );
  return tokens.access_token as string;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}
