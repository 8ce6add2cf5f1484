const loopbackHosts = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** True for http://127.0.0.1, http://[::1] and http://localhost URLs: native apps' loopback redirects (RFC 8252 section 7.3). */
function isLoopbackRedirect(url: URL): boolean {
  return url.protocol === 'http:' && loopbackHosts.has(url.hostname);
}

/**
 * Matches a presented redirect URI against a client's registered ones: exactly, except that a
 * loopback redirect may use any port (RFC 8252 section 7.3), since native apps pick one at run time.
 */
export function matchesRedirectUri(presented: string, registered: readonly string[]): boolean {
  if (registered.includes(presented)) return true;
  let url: URL;
  try {
    url = new URL(presented);
  } catch {
    return false;
  }
  if (!isLoopbackRedirect(url)) return false;
  return registered.some((r) => {
    const candidate = URL.canParse(r) ? new URL(r) : undefined;
    if (!candidate || !isLoopbackRedirect(candidate)) return false;
    candidate.port = url.port;
    return candidate.href === url.href;
  });
}

/**
 * Why a redirect URI may not be registered, or undefined when it may: https, a loopback http
 * URL, or a private-use scheme (com.example.app:/cb); never a fragment, never http elsewhere.
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length > 2000) return 'is longer than 2000 characters';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.hash !== '' || uri.includes('#')) return 'must not contain a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return isLoopbackRedirect(url) ? undefined : 'must use https (plain http only to 127.0.0.1, [::1] or localhost)';
  if (['javascript:', 'data:', 'file:', 'blob:', 'vbscript:', 'about:'].includes(url.protocol)) return `uses the forbidden scheme ${url.protocol}`;
  // RFC 8252 section 7.1: private-use schemes are reverse domain names.
  return /^[a-z][a-z0-9+-]*\.[a-z0-9.+-]+:$/.test(url.protocol) ? undefined : 'uses a scheme that is neither https nor a reverse-domain private-use scheme';
}
