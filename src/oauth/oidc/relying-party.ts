import * as oauth from 'oauth4webapi';
import { TtlCache } from '../../auth/ttl-cache.ts';

/** What the relying party needs to know about one provider. */
export interface ProviderClient {
  issuer: string;
  clientId: string;
  /** Absent for a public client, which proves itself with PKCE alone. */
  clientSecret?: string;
  requestScopes: string;
}

/** Values created when a sign-in starts and checked when it comes back. */
export interface SignInChallenge {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Options for {@link RelyingParty}. */
export interface RelyingPartyOptions {
  /** How long one request to a provider may take. */
  timeoutMs: number;
  /** How long a provider's discovery document is reused. */
  metadataTtlMs: number;
}

/** A sign-in the provider or its answer refused. The message names what failed, never a token or secret. */
export class SignInFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SignInFailure';
  }
}

/**
 * The OpenID Connect client side, on oauth4webapi (Web APIs only, so it runs on every runtime):
 * discovery, the authorization code flow with PKCE S256, state and nonce, the token exchange,
 * and ID token validation (iss, aud, exp, iat, nonce, and the signature against the provider's
 * JWKS). Discovery documents and JWKS are cached per issuer.
 */
export class RelyingParty {
  readonly #options: RelyingPartyOptions;
  readonly #metadata: TtlCache<string, Promise<oauth.AuthorizationServer>>;
  readonly #jwks = new TtlCache<string, oauth.JWKSCacheInput>({ ttlMs: 24 * 3600_000, maxEntries: 1000 });

  constructor(options: RelyingPartyOptions) {
    this.#options = options;
    this.#metadata = new TtlCache({ ttlMs: options.metadataTtlMs, maxEntries: 1000 });
  }

  /** Fresh random state, nonce and PKCE verifier for one sign-in. */
  static challenge(): SignInChallenge {
    return { state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), codeVerifier: oauth.generateRandomCodeVerifier() };
  }

  /** The provider's authorization URL for this sign-in. */
  async authorizationUrl(provider: ProviderClient, challenge: SignInChallenge, redirectUri: string, loginHint?: string): Promise<URL> {
    const as = await this.#discover(provider.issuer);
    if (!as.authorization_endpoint) throw new SignInFailure(`The provider ${provider.issuer} publishes no authorization endpoint`);
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('client_id', provider.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', provider.requestScopes);
    url.searchParams.set('state', challenge.state);
    url.searchParams.set('nonce', challenge.nonce);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(challenge.codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    if (loginHint) url.searchParams.set('login_hint', loginHint);
    return url;
  }

  /** Checks the provider's redirect back, exchanges the code and returns the validated ID token's claims. */
  async finish(provider: ProviderClient, challenge: SignInChallenge, callbackUrl: URL, redirectUri: string): Promise<oauth.IDToken> {
    const as = await this.#discover(provider.issuer);
    const client: oauth.Client = { client_id: provider.clientId };
    const auth = provider.clientSecret === undefined ? oauth.None() : oauth.ClientSecretPost(provider.clientSecret);
    try {
      const params = oauth.validateAuthResponse(as, client, callbackUrl, challenge.state);
      const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, challenge.codeVerifier, this.#http(provider.issuer));
      const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: challenge.nonce, requireIdToken: true });
      // The ID token came straight from the token endpoint, but we check its signature anyway:
      // over plain loopback HTTP (development) TLS does not vouch for it.
      const jwksCache = this.#jwks.get(provider.issuer) ?? {};
      await oauth.validateApplicationLevelSignature(as, response, { ...this.#http(provider.issuer), [oauth.jwksCache]: jwksCache });
      this.#jwks.set(provider.issuer, jwksCache);
      const claims = oauth.getValidatedIdTokenClaims(result);
      if (!claims) throw new SignInFailure('The provider answered without an ID token');
      return claims;
    } catch (error) {
      throw failure(error, provider.issuer);
    }
  }

  #discover(issuer: string): Promise<oauth.AuthorizationServer> {
    const cached = this.#metadata.get(issuer);
    if (cached) return cached;
    const url = new URL(issuer);
    const loading = oauth
      .discoveryRequest(url, this.#http(issuer))
      .then((response) => oauth.processDiscoveryResponse(url, response))
      .catch((error: unknown) => {
        this.#metadata.delete(issuer);
        throw new SignInFailure(`Cannot read the OpenID configuration of ${issuer}: ${reason(error)}`, { cause: error });
      });
    this.#metadata.set(issuer, loading);
    return loading;
  }

  #http(issuer: string): { signal: AbortSignal; [oauth.allowInsecureRequests]?: boolean } {
    // Plain http is accepted for a loopback issuer only (development and tests); providers were checked when added.
    const loopback = new URL(issuer).protocol === 'http:';
    return { signal: AbortSignal.timeout(this.#options.timeoutMs), ...(loopback ? { [oauth.allowInsecureRequests]: true } : {}) };
  }
}

function failure(error: unknown, issuer: string): SignInFailure {
  if (error instanceof SignInFailure) return error;
  if (error instanceof oauth.AuthorizationResponseError) {
    return new SignInFailure(`The provider refused the sign-in: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`, { cause: error });
  }
  if (error instanceof oauth.ResponseBodyError) return new SignInFailure(`The provider refused the code exchange: ${error.error}`, { cause: error });
  return new SignInFailure(`The sign-in answer from ${issuer} is not valid: ${reason(error)}`, { cause: error });
}

/** oauth4webapi's messages name the check that failed ("unexpected JWT \"aud\" (audience) claim value"), never a token. */
function reason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'the request timed out';
  if (error instanceof Error) return error.message;
  return String(error);
}
