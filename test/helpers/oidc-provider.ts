import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/** Claims of one test user at the identity provider, keyed by the login name typed on its page. */
export type Accounts = Record<string, Record<string, unknown>>;

/** A client registered at the identity provider. */
export interface IdpClient {
  clientId: string;
  /** Absent: a public client (PKCE, no secret). */
  clientSecret?: string;
  redirectUris: string[];
}

/**
 * Ways the loopback proxy in front of the provider may alter what passes, to make the real
 * provider produce real, correctly signed answers that a relying party must still refuse.
 */
export interface Tampering {
  /** Alters the query of an authorization request on its way to the provider. */
  authorize?: (params: URLSearchParams) => void;
  /** Alters the form of a token request on its way to the provider. */
  token?: (params: URLSearchParams) => void;
  /** Alters the discovery document on its way back. */
  discovery?: (doc: Record<string, unknown>) => void;
  /** Alters a token response (its JSON body) on its way back. */
  tokenResponse?: (body: Record<string, unknown>) => void;
  /** Alters a redirect (Location) the provider answers with. */
  redirect?: (location: URL) => void;
}

/** A real OpenID Connect provider (panva's oidc-provider) on loopback, behind a proxy a test controls. */
export interface TestIdp {
  /** The issuer relying parties are configured with: the proxy's URL. */
  issuer: string;
  /** The `iss` the provider puts in its tokens (differs from `issuer` only when asked). */
  tokenIssuer: string;
  tampering: Tampering;
  close(): Promise<void>;
}

/** Options for {@link startIdp}. */
export interface IdpOptions {
  clients: IdpClient[];
  accounts: Accounts;
  /** Makes the provider sign tokens as this issuer while clients still find it at the proxy's URL. */
  tokenIssuer?: string;
  tampering?: Tampering;
}

/**
 * Starts oidc-provider with its development login pages (type the account name, then consent)
 * and a proxy in front of it that keeps the browser's Host header, so the provider builds its
 * URLs for the proxy. Claims listed in `accounts` are put in the ID token.
 */
export async function startIdp(options: IdpOptions): Promise<TestIdp> {
  const tampering: Tampering = options.tampering ?? {};
  const proxy = createServer();
  await listen(proxy);
  const issuer = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const tokenIssuer = options.tokenIssuer ?? issuer;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const claimNames = [...new Set(Object.values(options.accounts).flatMap((a) => Object.keys(a)))];
  const provider = new Provider(tokenIssuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      ...(c.clientSecret ? { client_secret: c.clientSecret, token_endpoint_auth_method: 'client_secret_post' } : { token_endpoint_auth_method: 'none' }),
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    })),
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'idp-key', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['test-cookie-key-of-the-test-identity-provider'] },
    claims: { openid: ['sub', ...claimNames] },
    conformIdTokenClaims: false,
    findAccount: (_ctx: unknown, id: string) => {
      const claims = options.accounts[id];
      return claims ? { accountId: id, claims: () => ({ sub: id, ...claims }) } : undefined;
    },
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    features: { devInteractions: { enabled: true } },
  });
  const upstream = createServer(provider.callback());
  await listen(upstream);
  const upstreamPort = (upstream.address() as AddressInfo).port;

  proxy.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/auth' && tampering.authorize) tampering.authorize(url.searchParams);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (url.pathname === '/token' && tampering.token) {
        const form = new URLSearchParams(body.toString());
        tampering.token(form);
        body = Buffer.from(form.toString());
      }
      const headers = { ...req.headers, 'content-length': String(body.length) };
      const forward = httpRequest({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: url.pathname + url.search, headers }, (answer) => {
        const out = { ...answer.headers };
        if (out.location && tampering.redirect) {
          const location = new URL(out.location, issuer);
          tampering.redirect(location);
          out.location = location.href;
        }
        const rewrite = url.pathname === '/.well-known/openid-configuration' ? tampering.discovery : url.pathname === '/token' ? tampering.tokenResponse : undefined;
        if (rewrite) {
          const parts: Buffer[] = [];
          answer.on('data', (p: Buffer) => parts.push(p));
          answer.on('end', () => {
            const doc = JSON.parse(Buffer.concat(parts).toString()) as Record<string, unknown>;
            rewrite(doc);
            const text = JSON.stringify(doc);
            delete out['content-length'];
            res.writeHead(answer.statusCode ?? 502, out).end(text);
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      });
      forward.on('error', () => res.writeHead(502).end());
      forward.end(body);
    });
  });

  return {
    issuer,
    tokenIssuer,
    tampering,
    async close() {
      for (const server of [proxy, upstream]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}
