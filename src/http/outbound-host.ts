import { isIpLiteral, isPublicAddress, type ResolveHost } from '../oauth/public-address.ts';

/** Where the server may send requests of its own (metadata documents, connector upstreams). */
export interface OutboundHostRules {
  /** Hosts allowed to be private or loopback (tests, a SaaS's own network), lower case. */
  allowedPrivateHosts: readonly string[];
  /** DNS lookups; without one (Workers) only IP literals and dotted names are judged. */
  resolveHost?: ResolveHost;
}

/**
 * Refuses a URL whose host is private, loopback or link-local unless listed, so that a URL an
 * outsider chose cannot reach the server's own network (SSRF). Throws an Error whose message
 * completes "… because …", e.g. "its host resolves to a private or loopback address".
 */
export async function checkOutboundHost(url: URL, rules: OutboundHostRules): Promise<void> {
  const host = url.hostname.toLowerCase();
  if (rules.allowedPrivateHosts.includes(host)) return;
  if (isIpLiteral(host)) {
    if (!isPublicAddress(host)) throw new Error('its host is a private or loopback address');
    return;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) throw new Error('its host is a private or loopback name');
  // Without DNS (Workers, whose fetch cannot reach private networks anyway) intranet-style names are refused outright.
  if (!rules.resolveHost) {
    if (!host.includes('.')) throw new Error('its host is a private or loopback name');
    return;
  }
  let addresses: string[];
  try {
    addresses = await rules.resolveHost(host);
  } catch {
    throw new Error('its host name does not resolve');
  }
  if (addresses.length === 0) throw new Error('its host name does not resolve');
  if (!addresses.every(isPublicAddress)) throw new Error('its host resolves to a private or loopback address');
}
