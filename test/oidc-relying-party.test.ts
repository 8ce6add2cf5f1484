import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelyingParty, SignInFailure } from '../src/oauth/oidc/relying-party.ts';
import { HttpBrowser, signInAtIdp } from './helpers/http-browser.ts';
import { startIdp, type TestIdp } from './helpers/oidc-provider.ts';

let catcher: Server;
let redirectUri: string;
let idp: TestIdp;

beforeAll(async () => {
  catcher = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('caught'));
  await new Promise<void>((resolve) => catcher.listen(0, '127.0.0.1', resolve));
  redirectUri = `http://127.0.0.1:${(catcher.address() as AddressInfo).port}/callback`;
  idp = await startIdp({
    clients: [{ clientId: 'rp', clientSecret: 'rp-secret', redirectUris: [redirectUri] }],
    accounts: { alice: { email: 'alice@acme.test', org: 'acme' } },
  });
});

afterAll(async () => {
  await idp?.close();
  catcher?.closeAllConnections();
  await new Promise((r) => catcher?.close(r));
});

describe('relying party', () => {
  it('signs in at a real provider and validates the ID token', async () => {
    const rp = new RelyingParty({ timeoutMs: 5000, metadataTtlMs: 60_000 });
    const provider = { issuer: idp.issuer, clientId: 'rp', clientSecret: 'rp-secret', requestScopes: 'openid email' };
    const challenge = RelyingParty.challenge();
    const browser = new HttpBrowser();
    const login = await browser.open(await rp.authorizationUrl(provider, challenge, redirectUri));
    const back = await signInAtIdp(browser, login, 'alice');
    expect(back.url.pathname).toBe('/callback');
    const claims = await rp.finish(provider, challenge, back.url, redirectUri);
    expect(claims).toMatchObject({ sub: 'alice', email: 'alice@acme.test', org: 'acme', iss: idp.issuer, aud: 'rp' });
    await expect(rp.finish(provider, challenge, back.url, redirectUri)).rejects.toBeInstanceOf(SignInFailure);
  });
});

describe('tampered', () => {
  it('refuses aud', async () => {
    const other = await startIdp({
      clients: [{ clientId: 'rp', clientSecret: 'rp-secret', redirectUris: [redirectUri] }, { clientId: 'other', clientSecret: 'other-secret', redirectUris: [redirectUri] }],
      accounts: { alice: { email: 'alice@acme.test', org: 'acme' } },
      tampering: {
        authorize: (p) => p.set('client_id', 'other'),
        token: (p) => { p.set('client_id', 'other'); p.set('client_secret', 'other-secret'); },
      },
    });
    try {
      const rp = new RelyingParty({ timeoutMs: 5000, metadataTtlMs: 60_000 });
      const provider = { issuer: other.issuer, clientId: 'rp', clientSecret: 'rp-secret', requestScopes: 'openid email' };
      const challenge = RelyingParty.challenge();
      const browser = new HttpBrowser();
      const back = await signInAtIdp(browser, await browser.open(await rp.authorizationUrl(provider, challenge, redirectUri)), 'alice');
      await expect(rp.finish(provider, challenge, back.url, redirectUri)).rejects.toThrow(/unexpected JWT "aud"/);
    } finally {
      await other.close();
    }
  });
  it('refuses nonce', async () => {
    idp.tampering.authorize = (p) => p.set('nonce', 'not-the-one-we-sent');
    try {
      const rp = new RelyingParty({ timeoutMs: 5000, metadataTtlMs: 60_000 });
      const provider = { issuer: idp.issuer, clientId: 'rp', clientSecret: 'rp-secret', requestScopes: 'openid email' };
      const challenge = RelyingParty.challenge();
      const browser = new HttpBrowser();
      const back = await signInAtIdp(browser, await browser.open(await rp.authorizationUrl(provider, challenge, redirectUri)), 'alice');
      await expect(rp.finish(provider, challenge, back.url, redirectUri)).rejects.toThrow(/unexpected ID Token "nonce"/);
    } finally {
      delete idp.tampering.authorize;
    }
  });
  it('refuses iss', async () => {
    const other = await startIdp({
      clients: [{ clientId: 'rp', clientSecret: 'rp-secret', redirectUris: [redirectUri] }],
      accounts: { alice: { email: 'alice@acme.test', org: 'acme' } },
      tokenIssuer: 'https://impostor.example',
    });
    other.tampering.discovery = (doc) => { doc.issuer = other.issuer; delete doc.authorization_response_iss_parameter_supported; };
    other.tampering.redirect = (loc) => loc.searchParams.delete('iss');
    try {
      const rp = new RelyingParty({ timeoutMs: 5000, metadataTtlMs: 60_000 });
      const provider = { issuer: other.issuer, clientId: 'rp', clientSecret: 'rp-secret', requestScopes: 'openid email' };
      const challenge = RelyingParty.challenge();
      const browser = new HttpBrowser();
      const back = await signInAtIdp(browser, await browser.open(await rp.authorizationUrl(provider, challenge, redirectUri)), 'alice');
      await expect(rp.finish(provider, challenge, back.url, redirectUri)).rejects.toThrow(/unexpected JWT "iss"/);
    } finally {
      await other.close();
    }
  });
});
