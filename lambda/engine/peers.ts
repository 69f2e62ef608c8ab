import { isIP } from 'node:net';

/**
 * Who answered: the peer of a response is its sender (the party that said 503). Addresses come
 * from the log as "ip:port" ("[v6]:port" for IPv6, RFC 5952 text), or as `local` when the log is
 * written by one of the two endpoints and that endpoint sent it. A peer map names addresses
 * (`{"carrier-a": ["203.0.113.0/24", "198.51.100.7:5060"]}`); an address outside the map is keyed
 * by its IP without the port.
 */

/** The logging host itself sent the response. */
export const LOCAL_PEER = 'local';
/** The log does not say who sent it. */
export const UNKNOWN_PEER = 'unknown';
/** Peers past a cardinality guard, summed. */
export const OTHER_PEER = 'other';

/** One entry of a peer map, parsed: an address range and, optionally, a port. */
interface PeerRule {
  readonly name: string;
  readonly family: 4 | 6;
  /** The network as a bigint, and its prefix length in bits. */
  readonly network: bigint;
  readonly prefix: number;
  readonly port?: number;
}

/** Names for addresses: `name -> [CIDR | IP | IP:port, ...]`. */
export type PeerMapSpec = Readonly<Record<string, readonly string[]>>;

/** Parsed peer map; `nameOf` answers the peer key of a sender address. */
export interface PeerMap {
  /** The names the map defines (they are always published, whatever their volume). */
  readonly names: readonly string[];
  /** Peer key of a sender as a PayloadMeta address: a map name, `local`, `unknown`, or the bare IP. */
  nameOf(sender: string | undefined): string;
}

const bitsOf = (family: 4 | 6): number => (family === 4 ? 32 : 128);

/** An IP address as a bigint (IPv4 in 32 bits, IPv6 in 128), or undefined when it is not one. */
export const ipToBigInt = (ip: string): { family: 4 | 6; value: bigint } | undefined => {
  const family = isIP(ip);
  if (family === 4) {
    let v = 0n;
    for (const part of ip.split('.')) v = (v << 8n) | BigInt(Number(part));
    return { family: 4, value: v };
  }
  if (family !== 6) return undefined;
  // expand "::" and a dotted IPv4 tail (RFC 4291 §2.2)
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    const v4 = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${(((v4[0] ?? 0) << 8) | (v4[1] ?? 0)).toString(16)}:${(((v4[2] ?? 0) << 8) | (v4[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(Number.parseInt(g, 16));
  return { family: 6, value: v };
};

/** "ip:port", "[v6]:port", "ip" or "v6" -> the IP and the port (when given). */
export const splitAddress = (address: string): { ip: string; port?: number } => {
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    const ip = address.slice(1, close < 0 ? undefined : close);
    const port = close >= 0 && address[close + 1] === ':' ? Number(address.slice(close + 2)) : undefined;
    return port !== undefined && Number.isInteger(port) ? { ip, port } : { ip };
  }
  if (isIP(address) !== 0) return { ip: address };
  const colon = address.lastIndexOf(':');
  if (colon > 0) {
    const port = Number(address.slice(colon + 1));
    if (Number.isInteger(port)) return { ip: address.slice(0, colon), port };
  }
  return { ip: address };
};

/** Parses one entry of a peer map, or says what is wrong with it. */
const parseRule = (name: string, entry: string): PeerRule | string => {
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const ip = ipToBigInt(entry.slice(0, slash));
    const prefix = Number(entry.slice(slash + 1));
    if (ip === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > bitsOf(ip.family)) {
      return `peer "${name}": "${entry}" is not a CIDR block`;
    }
    const shift = BigInt(bitsOf(ip.family) - prefix);
    return { name, family: ip.family, network: (ip.value >> shift) << shift, prefix };
  }
  const { ip, port } = splitAddress(entry);
  const parsed = ipToBigInt(ip);
  if (parsed === undefined || (port !== undefined && (port < 1 || port > 65_535))) {
    return `peer "${name}": "${entry}" is not an IP address, IP:port or CIDR block`;
  }
  return { name, family: parsed.family, network: parsed.value, prefix: bitsOf(parsed.family), port };
};

/** Peer names the map may not use: they mean something already. */
const RESERVED = new Set([LOCAL_PEER, UNKNOWN_PEER, OTHER_PEER]);

/** Addresses remembered per map before the cache starts over (a bound, never a correctness issue). */
const MAX_CACHED_SENDERS = 65_536;

/**
 * Parses a peer map (the JSON of `--peers FILE` or the `peers` setting). Returns the map, or
 * every problem at once.
 */
export const parsePeerMap = (spec: unknown): PeerMap | { readonly problems: readonly string[] } => {
  const problems: string[] = [];
  const rules: PeerRule[] = [];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    return { problems: ['a peer map is a JSON object of name -> [CIDR, IP or IP:port, ...]'] };
  }
  for (const [name, entries] of Object.entries(spec)) {
    if (RESERVED.has(name)) problems.push(`peer name "${name}" is reserved`);
    if (name.length === 0 || name.length > 255) problems.push(`peer name "${name}" must be 1 to 255 characters`);
    if (!Array.isArray(entries) || entries.length === 0) {
      problems.push(`peer "${name}": needs a non-empty list of addresses`);
      continue;
    }
    for (const entry of entries) {
      const r =
        typeof entry === 'string' ? parseRule(name, entry) : `peer "${name}": ${JSON.stringify(entry)} is not a string`;
      if (typeof r === 'string') problems.push(r);
      else rules.push(r);
    }
  }
  if (problems.length > 0) return { problems };
  // most specific first: a port rule beats its bare address, a /32 beats a /24
  rules.sort((a, b) => b.prefix - a.prefix || (b.port === undefined ? 0 : 1) - (a.port === undefined ? 0 : 1));
  return createPeerMap(rules, Object.keys(spec));
};

const createPeerMap = (rules: readonly PeerRule[], names: readonly string[]): PeerMap => {
  const cache = new Map<string, string>();
  const resolve = (sender: string): string => {
    const { ip, port } = splitAddress(sender);
    // without rules only the IP's validity matters: no 128-bit arithmetic per distinct sender
    if (rules.length === 0) return isIP(ip) === 0 ? UNKNOWN_PEER : ip;
    const addr = ipToBigInt(ip);
    if (addr === undefined) return UNKNOWN_PEER;
    for (const r of rules) {
      if (r.family !== addr.family || (r.port !== undefined && r.port !== port)) continue;
      const shift = BigInt(bitsOf(r.family) - r.prefix);
      if ((addr.value >> shift) << shift === r.network) return r.name;
    }
    return ip;
  };
  return {
    names,
    nameOf(sender: string | undefined): string {
      if (sender === undefined || sender === '' || sender === 'remote') return UNKNOWN_PEER;
      if (sender === LOCAL_PEER) return LOCAL_PEER;
      let name = cache.get(sender);
      if (name === undefined) {
        if (cache.size >= MAX_CACHED_SENDERS) cache.clear();
        name = resolve(sender);
        cache.set(sender, name);
      }
      return name;
    },
  };
};

/** The map with no names: every sender is keyed by its IP. */
export const NO_PEER_NAMES: PeerMap = createPeerMap([], []);
