import { lookup } from 'node:dns/promises';

/** Every address a host name resolves to (A and AAAA), as the OAuth server's metadata-document checks need. */
export async function resolveHost(hostname: string): Promise<string[]> {
  const addresses = await lookup(hostname, { all: true, verbatim: true });
  return addresses.map((a) => a.address);
}
