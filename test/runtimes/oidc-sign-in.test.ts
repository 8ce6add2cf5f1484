// OpenID Connect sign-in once on each runtime besides Node (Node has test/oauth/oidc-sign-in.test.ts
// and test/portal-oidc-sign-in.test.ts), for the consent page and for the customer page:
// the relying party (oauth4webapi), the sealed state cookie and the secret box use Web APIs only.
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/crypto/secret-box.ts';
import { registerClient } from '../../src/oauth/client-store.ts';
import { addSignInProvider, updateSignInProvider } from '../../src/services/sign-in-providers.ts';
import { createTenant, updateTenant } from '../../src/services/tenants.ts';
import { HttpBrowser, signInAtIdp } from '../helpers/http-browser.ts';
import { offeredScopesOf, pkcePair, tokenRequest } from '../helpers/oauth.ts';
import { startIdp } from '../helpers/oidc-provider.ts';
import { freePort } from '../helpers/proc.ts';
import { secretsKey } from '../helpers/secrets.ts';
import { sqldDatabase } from '../helpers/sqld-database.ts';
import { denoTarget, type Settings, type Target, workerTarget } from '../helpers/targets.ts';

const runtimes: [string, (settings: Settings, port: number) => Promise<Target>][] = [
  ['Deno (deno serve)', (settings, port) => denoTarget(settings, { port })],
  ['Cloudflare Worker (workerd)', (settings, port) => workerTarget(settings, { port, secrets: ['TOKEN_SIGNING_KEY', 'SECRETS_ENCRYPTION_KEY'] })],
];

describe.each(runtimes)('OpenID Connect sign-in on %s', (_name, start) => {
  it("signs a user in with a tenant's SSO (confidential client) through to a token, and its administrator in to the customer page", async () => {
    const database = await sqldDatabase();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const appRedirect = 'http://127.0.0.1:9/app-callback'; // never fetched: the browser stops at the redirect
    const idp = await startIdp({
      clients: [{ clientId: 'edge-sso', clientSecret: 'edge-sso-secret', redirectUris: [`${publicUrl}/oauth/sign-in/oidc/callback`] }],
      accounts: { erin: { email: 'erin@edge.example' } },
    });
    const encryptionKey = secretsKey('k1');
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const target = await start(
      { DATABASE_URL: database.sqld.url, PUBLIC_URL: publicUrl, TOKEN_SIGNING_KEY: JSON.stringify(await exportJWK(privateKey)), SECRETS_ENCRYPTION_KEY: encryptionKey, KEY_CACHE_TTL_SECONDS: '0' },
      port,
    );
    try {
      await createTenant(database.db, { slug: 'edge-co', scopes: 'math' });
      const provider = await addSignInProvider(database.db, await SecretBox.fromSettings(encryptionKey), {
        kind: 'tenant',
        tenant: 'edge-co',
        name: 'Edge SSO',
        issuer: idp.issuer,
        clientId: 'edge-sso',
        clientSecret: 'edge-sso-secret',
        emailDomains: 'edge.example',
      });
      const client = await registerClient(database.db, { name: 'Edge app', redirectUris: [appRedirect] });
      const { verifier, challenge } = await pkcePair();
      const authorize = new URL('/authorize', target.url);
      const params = { response_type: 'code', client_id: client.clientId, redirect_uri: appRedirect, code_challenge: challenge, code_challenge_method: 'S256', resource: `${publicUrl}/mcp` };
      for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);

      const browser = new HttpBrowser({ stopAt: appRedirect });
      const signInPage = await browser.open(authorize);
      const found = await browser.submit(signInPage, '/oauth/sign-in/organisation', { organisation: 'erin@edge.example' });
      const link = /<a href="([^"]+)">Continue to Edge SSO/.exec(found.body)![1]!.replace(/&amp;/g, '&');
      const consent = await signInAtIdp(browser, await browser.open(new URL(link, found.url)), 'erin');
      expect(consent.body).toContain('Signed in to <strong>edge-co</strong>');
      expect(offeredScopesOf(consent.body)).toEqual(['math']);
      const back = await browser.submit(consent, '/consent', { decision: 'allow', scope: 'math' });
      const code = back.url.searchParams.get('code');
      expect(code).toBeTruthy();
      const tokens = await tokenRequest(target.url, { grant_type: 'authorization_code', code: code!, code_verifier: verifier, client_id: client.clientId, redirect_uri: appRedirect });
      expect(tokens.status).toBe(200);
      expect(tokens.body.scope).toBe('math');

      // The same provider signs the tenant's administrator in to the customer page, through the same callback.
      await updateTenant(database.db, 'edge-co', { scopes: 'math,tenant:admin' });
      await updateSignInProvider(database.db, provider.id, { adminClaim: 'email', adminValues: 'erin@edge.example' });
      const portal = new HttpBrowser();
      const atProvider = await portal.open(new URL(`/oauth/sign-in/oidc/start?purpose=portal&provider=${provider.id}`, target.url));
      const signedIn = await signInAtIdp(portal, atProvider, 'erin');
      expect(signedIn.status, signedIn.body).toBe(200);
      const page = await portal.open(new URL('/portal', target.url));
      expect(page.url.pathname).toBe('/portal');
      expect(page.body).toContain('Signed in as erin@edge.example through Edge SSO.');
    } finally {
      await target.stop();
      await idp.close();
      await database.dispose();
    }
  }, 90_000);
});
