import { endpointIds } from '../endpoint-ids.js';
import { EndpointNames } from './endpoint-names.js';

/**
 * The names a packet's payload is counted under: its source and destination endpoints
 * ("ip:port", as EndpointNames writes them) and its direction ("src>dst"), which keys the TCP,
 * SCTP and framer tables. A capture has few address/port 4-tuples and many packets, so an IPv4
 * 4-tuple is looked up by number in an open-addressing table: no string is built or hashed per
 * packet, and the direction handed to the stream tables is the same string object every time
 * (V8 keeps a string's hash in the string, so those Map lookups hash it once per 4-tuple, not
 * once per segment). The table starts over when it fills, which costs a rebuild, never
 * correctness. IPv6 packets go through EndpointNames' string-keyed cache.
 */

/** 4-tuples in the table; it starts over at 3/4 full. A power of two (the hash is masked). */
export const PACKET_NAME_SLOTS = 16_384;
const MASK = PACKET_NAME_SLOTS - 1;
const MAX_USED = (PACKET_NAME_SLOTS * 3) / 4;

/** Names of the packet last looked up; read `src`, `dst` and `flow()` after `ipv4` or `ipv6`. */
export class PacketNames {
  /** Source endpoint of the packet last looked up. */
  src = '';
  /** Destination endpoint of the packet last looked up. */
  dst = '';
  /** Their numbers in the process's numbering of names (endpoint-ids.ts); undefined for an IPv6 packet. */
  srcId: number | undefined = undefined;
  dstId: number | undefined = undefined;
  private readonly endpoints = new EndpointNames();
  /**
   * Per slot: source address, destination address, source port << 16 | destination port, and 1
   * when the slot is taken. The four words of a slot share a cache line, as do its three names.
   */
  private readonly keys = new Int32Array(PACKET_NAME_SLOTS * 4);
  /** Per slot: source name, destination name, and the direction name once a stream segment asked for it. */
  private readonly names: (string | undefined)[] = new Array<string | undefined>(PACKET_NAME_SLOTS * 3).fill(undefined);
  /** Per slot: the numbers of its source and destination names. */
  private readonly ids = new Int32Array(PACKET_NAME_SLOTS * 2);
  private used = 0;
  /** Slot of the packet last looked up, or -1 for an IPv6 packet. */
  private slot = -1;

  /** An IPv4 packet whose source address is at `offset` (the destination follows it). */
  ipv4(buf: Buffer, offset: number, srcPort: number, dstPort: number): void {
    const s = buf.readInt32BE(offset);
    const d = buf.readInt32BE(offset + 4);
    const p = (srcPort << 16) | dstPort;
    const keys = this.keys;
    let i = hash4(s, d, p) & MASK;
    for (;;) {
      const k = i * 4;
      if (keys[k + 3] === 0) break;
      if (keys[k] === s && keys[k + 1] === d && keys[k + 2] === p) {
        this.slot = i;
        this.src = this.names[i * 3] ?? '';
        this.dst = this.names[i * 3 + 1] ?? '';
        this.srcId = this.ids[i * 2];
        this.dstId = this.ids[i * 2 + 1];
        return;
      }
      i = (i + 1) & MASK;
    }
    if (this.used >= MAX_USED) {
      keys.fill(0);
      this.names.fill(undefined);
      this.used = 0;
      i = hash4(s, d, p) & MASK;
    }
    this.used++;
    this.slot = i;
    const k = i * 4;
    keys[k] = s;
    keys[k + 1] = d;
    keys[k + 2] = p;
    keys[k + 3] = 1;
    this.src = this.endpoints.ipv4(buf, offset, srcPort);
    this.dst = this.endpoints.ipv4(buf, offset + 4, dstPort);
    this.names[i * 3] = this.src;
    this.names[i * 3 + 1] = this.dst;
    this.names[i * 3 + 2] = undefined;
    this.srcId = endpointIds.of(this.src);
    this.dstId = endpointIds.of(this.dst);
    this.ids[i * 2] = this.srcId;
    this.ids[i * 2 + 1] = this.dstId;
  }

  /** An IPv6 packet whose source address is at `offset` (the destination follows it). */
  ipv6(buf: Buffer, offset: number, srcPort: number, dstPort: number): void {
    this.slot = -1;
    this.srcId = undefined;
    this.dstId = undefined;
    this.src = this.endpoints.ipv6(buf, offset, srcPort);
    this.dst = this.endpoints.ipv6(buf, offset + 16, dstPort);
  }

  /** The direction "src>dst" of the packet last looked up. */
  flow(): string {
    const i = this.slot;
    if (i < 0) return `${this.src}>${this.dst}`;
    let name = this.names[i * 3 + 2];
    if (name === undefined) {
      name = `${this.src}>${this.dst}`;
      this.names[i * 3 + 2] = name;
    }
    return name;
  }
}

/** Mixes the three words of a 4-tuple (multiplicative hashing; the high bits folded down). */
const hash4 = (s: number, d: number, p: number): number => {
  let h = Math.imul(s, 0x9e3779b1) ^ Math.imul(d ^ (d >>> 16), 0x85ebca6b) ^ Math.imul(p, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
};
