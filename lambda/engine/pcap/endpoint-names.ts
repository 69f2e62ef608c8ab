/**
 * "ip:port" strings for PayloadMeta.src/dst ("[::1]:5060" for IPv6, RFC 3986 §3.2.2). A capture
 * has few endpoints and many packets, so the strings are cached; the caches are cleared when they
 * grow past a bound, which costs a rebuild, never correctness.
 */

/** Endpoints remembered per address family before the cache starts over. */
export const MAX_CACHED_ENDPOINTS = 65_536;

/** Builds and caches endpoint names. */
export class EndpointNames {
  private readonly v4 = new Map<number, string>();
  private readonly v6 = new Map<string, string>();

  /** Name of the IPv4 address at `offset` with `port`. */
  ipv4(buf: Buffer, offset: number, port: number): string {
    // 32-bit address * 65536 + port < 2^48: an exact number key, no string built on a hit
    const key = buf.readUInt32BE(offset) * 65_536 + port;
    let name = this.v4.get(key);
    if (name === undefined) {
      if (this.v4.size >= MAX_CACHED_ENDPOINTS) this.v4.clear();
      name = `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}:${port}`;
      this.v4.set(key, name);
    }
    return name;
  }

  /** Name of the IPv6 address at `offset` with `port`. */
  ipv6(buf: Buffer, offset: number, port: number): string {
    const key = buf.toString('latin1', offset, offset + 16) + String.fromCharCode(port >> 8, port & 0xff);
    let name = this.v6.get(key);
    if (name === undefined) {
      if (this.v6.size >= MAX_CACHED_ENDPOINTS) this.v6.clear();
      name = `[${formatIpv6(buf, offset)}]:${port}`;
      this.v6.set(key, name);
    }
    return name;
  }
}

/**
 * RFC 5952 text form: lower-case hex without leading zeros, the longest run of two or more zero
 * groups (the first on a tie) as "::" (§4.2), and IPv4-mapped addresses in dotted form (§5).
 */
export const formatIpv6 = (buf: Buffer, offset: number): string => {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(offset + i * 2));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${buf[offset + 12]}.${buf[offset + 13]}.${buf[offset + 14]}.${buf[offset + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
};
