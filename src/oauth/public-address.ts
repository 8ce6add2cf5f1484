/** Resolves a host name to its IP addresses (A and AAAA). Injected by the entry: the core has no DNS of its own. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

// Special-purpose IPv4 ranges (RFC 6890 and successors): none of them is a public server.
const privateV4: [number, number][] = [
  [0x00000000, 8], [0x0a000000, 8], [0x64400000, 10], [0x7f000000, 8], [0xa9fe0000, 16], [0xac100000, 12],
  [0xc0000000, 24], [0xc0000200, 24], [0xc0a80000, 16], [0xc6120000, 15], [0xc6336400, 24], [0xcb007100, 24],
  [0xe0000000, 4], [0xf0000000, 4],
];

/** True when `address` (an IPv4 or IPv6 literal, brackets allowed) is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const v4 = parseV4(bare);
  if (v4 !== undefined) return !privateV4.some(([base, bits]) => v4 >>> (32 - bits) === base >>> (32 - bits));
  const v6 = parseV6(bare);
  if (!v6) return false;
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses are judged by their IPv4 part.
  const embedded = (v6[6]! << 16 | v6[7]!) >>> 0;
  const v4Text = `${embedded >>> 24}.${(embedded >>> 16) & 255}.${(embedded >>> 8) & 255}.${embedded & 255}`;
  if (v6.slice(0, 5).every((x) => x === 0) && v6[5] === 0xffff) return isPublicAddress(v4Text);
  if (v6[0] === 0x64 && v6[1] === 0xff9b && v6.slice(2, 6).every((x) => x === 0)) return isPublicAddress(v4Text);
  // Only global unicast 2000::/3 is public, minus documentation (2001:db8::/32), Teredo and ORCHID ranges under 2001::/23.
  if ((v6[0]! & 0xe000) !== 0x2000) return false;
  if (v6[0] === 0x2001 && (v6[1] === 0x0db8 || v6[1]! < 0x0200)) return false;
  return v6[0] !== 0x2002; // 6to4 embeds arbitrary IPv4 addresses
}

/** True when `hostname` is an IP literal rather than a name. */
export function isIpLiteral(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return parseV4(bare) !== undefined || parseV6(bare) !== undefined;
}

function parseV4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function parseV6(text: string): number[] | undefined {
  if (!text.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes its two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseV4(tail);
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string) => (s === '' ? [] : s.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill(0), ...rest];
  return groups.every((g) => Number.isInteger(g)) ? groups : undefined;
}
