/**
 * Builds small captures by hand for the capture reader's tests: IPv4/IPv6 packets with UDP or TCP,
 * fragments, link-layer headers, and pcap / pcapng files around them. Checksums are correct, so
 * tshark reads the results as it reads real captures (used to check its counts while writing tests).
 * Also reads captures back through the real reader, and holds the counts those tests expect.
 */
import { createCaptureReader } from '../../lambda/engine/pcap/index.js';
import type { CaptureStats } from '../../lambda/engine/pcap/packet-decoder.js';
import type { ScanResult } from '../../lambda/engine/tally.js';
import { framerWithTally } from './collect.js';

/** An IPv4 address "a.b.c.d" or an IPv6 address in any RFC 4291 text form. */
export type Address = string;

const isV6 = (a: Address): boolean => a.includes(':');

/** Address bytes (4 or 16). */
export const addressBytes = (a: Address): Buffer => {
  if (!isV6(a)) return Buffer.from(a.split('.').map(Number));
  const [head = '', tail] = a.split('::');
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => {
    out.writeUInt16BE(g, i * 2);
  });
  return out;
};

/** RFC 1071 Internet checksum over some buffers, read as one (odd length padded with a zero byte). */
const checksum = (...parts: readonly Buffer[]): number => {
  const b = Buffer.concat(parts);
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += (b[b.length - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
};

const pseudoHeader = (src: Address, dst: Address, protocol: number, length: number): Buffer => {
  const s = addressBytes(src);
  const d = addressBytes(dst);
  if (s.length === 4) {
    const p = Buffer.alloc(12);
    s.copy(p, 0);
    d.copy(p, 4);
    p[9] = protocol;
    p.writeUInt16BE(length, 10);
    return p;
  }
  const p = Buffer.alloc(40);
  s.copy(p, 0);
  d.copy(p, 16);
  p.writeUInt32BE(length, 32);
  p[39] = protocol;
  return p;
};

/** A UDP datagram (header + payload) with its checksum. */
export const udp = (src: Address, dst: Address, sport: number, dport: number, payload: Buffer | string): Buffer => {
  const data = Buffer.from(payload);
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + data.length, 4);
  h.writeUInt16BE(checksum(pseudoHeader(src, dst, 17, 8 + data.length), h, data) || 0xffff, 6);
  return Buffer.concat([h, data]);
};

/** TCP flag bits. */
export const FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** A TCP segment (20-byte header + payload) with its checksum. */
export const tcp = (
  src: Address,
  dst: Address,
  sport: number,
  dport: number,
  seq: number,
  flags: number,
  payload: Buffer | string = '',
): Buffer => {
  const data = Buffer.from(payload);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(1, 8);
  h[12] = 5 << 4;
  h[13] = flags | FLAGS.ACK;
  h.writeUInt16BE(65535, 14);
  h.writeUInt16BE(checksum(pseudoHeader(src, dst, 6, 20 + data.length), h, data), 16);
  return Buffer.concat([h, data]);
};

/** Options of an IPv4 header. */
export interface Ipv4Options {
  readonly id?: number;
  readonly fragmentOffset?: number;
  readonly moreFragments?: boolean;
  /** Total Length to write instead of the real one. */
  readonly totalLength?: number;
}

/** An IPv4 packet around an upper-layer payload. */
export const ipv4 = (src: Address, dst: Address, protocol: number, payload: Buffer, o: Ipv4Options = {}): Buffer => {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(o.totalLength ?? 20 + payload.length, 2);
  h.writeUInt16BE(o.id ?? 1, 4);
  h.writeUInt16BE(((o.moreFragments ? 1 : 0) << 13) | ((o.fragmentOffset ?? 0) >> 3), 6);
  h[8] = 64;
  h[9] = protocol;
  addressBytes(src).copy(h, 12);
  addressBytes(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
};

/** An IPv6 packet; `extensions` are [next header, bytes] pairs placed before the payload. */
export const ipv6 = (
  src: Address,
  dst: Address,
  protocol: number,
  payload: Buffer,
  extensions: readonly (readonly [number, Buffer])[] = [],
): Buffer => {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  const ext = extensions.map(([, b]) => b);
  const chain = [...extensions.map(([t]) => t), protocol];
  const exts = ext.map((b, i) => {
    const copy = Buffer.from(b);
    copy[0] = chain[i + 1] ?? 59;
    return copy;
  });
  const body = Buffer.concat([...exts, payload]);
  h.writeUInt16BE(body.length, 4);
  h[6] = chain[0] ?? protocol;
  h[7] = 64;
  addressBytes(src).copy(h, 8);
  addressBytes(dst).copy(h, 24);
  return Buffer.concat([h, body]);
};

/** An 8-byte IPv6 Destination Options header of padding (next header is filled in by `ipv6`). */
export const IPV6_DEST_OPTIONS: readonly [number, Buffer] = [60, Buffer.from([0, 0, 1, 4, 0, 0, 0, 0])];

/** A UDP datagram over IPv4 or IPv6 (by the address form). */
export const udpPacket = (
  src: Address,
  dst: Address,
  sport: number,
  dport: number,
  payload: Buffer | string,
): Buffer =>
  isV6(src)
    ? ipv6(src, dst, 17, udp(src, dst, sport, dport, payload))
    : ipv4(src, dst, 17, udp(src, dst, sport, dport, payload));

/** A TCP segment over IPv4 or IPv6 (by the address form). */
export const tcpPacket = (
  src: Address,
  dst: Address,
  sport: number,
  dport: number,
  seq: number,
  flags: number,
  payload: Buffer | string = '',
): Buffer => {
  const seg = tcp(src, dst, sport, dport, seq, flags, payload);
  return isV6(src) ? ipv6(src, dst, 6, seg) : ipv4(src, dst, 6, seg);
};

/** One fragment's share of an upper-layer payload. */
interface FragmentPiece {
  /** Offset of `data` in the payload, in bytes. */
  readonly offset: number;
  readonly data: Buffer;
  /** More fragments follow (the M flag). */
  readonly more: boolean;
}

/** Splits a payload into pieces of at most `size` bytes (a multiple of 8: offsets count in 8-byte units on the wire). */
const fragmentPieces = (payload: Buffer, size: number): FragmentPiece[] => {
  const out: FragmentPiece[] = [];
  for (let offset = 0; offset < payload.length; offset += size) {
    const data = payload.subarray(offset, Math.min(payload.length, offset + size));
    out.push({ offset, data, more: offset + size < payload.length });
  }
  return out;
};

/** Splits an upper-layer payload into IPv4 fragments of at most `size` bytes (a multiple of 8). */
export const ipv4Fragments = (
  src: Address,
  dst: Address,
  protocol: number,
  payload: Buffer,
  size: number,
  id = 77,
): Buffer[] =>
  fragmentPieces(payload, size).map((p) =>
    ipv4(src, dst, protocol, p.data, { id, fragmentOffset: p.offset, moreFragments: p.more }),
  );

/** Splits an upper-layer payload into IPv6 fragments (RFC 8200 §4.5) of at most `size` bytes (a multiple of 8). */
export const ipv6Fragments = (
  src: Address,
  dst: Address,
  protocol: number,
  payload: Buffer,
  size: number,
  id = 0x1234,
): Buffer[] =>
  fragmentPieces(payload, size).map((p) => {
    const frag = Buffer.alloc(8);
    frag.writeUInt16BE(p.offset | (p.more ? 1 : 0), 2);
    frag.writeUInt32BE(id, 4);
    return ipv6(src, dst, protocol, p.data, [[44, frag]]);
  });

const ETHERTYPE = { ipv4: 0x0800, ipv6: 0x86dd } as const;
const etherTypeOf = (ipPacket: Buffer): number => ((ipPacket[0] ?? 0) >> 4 === 6 ? ETHERTYPE.ipv6 : ETHERTYPE.ipv4);

/** An Ethernet II frame; `vlans` are stacked tags, outermost first, each [TPID, VLAN id]. */
export const ethernet = (
  payload: Buffer,
  vlans: readonly (readonly [number, number])[] = [],
  etherType = etherTypeOf(payload),
): Buffer => {
  const h = Buffer.alloc(14 + vlans.length * 4);
  Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]).copy(h, 0);
  let p = 12;
  for (const [tpid, id] of vlans) {
    h.writeUInt16BE(tpid, p);
    h.writeUInt16BE(id, p + 2);
    p += 4;
  }
  h.writeUInt16BE(etherType, p);
  return Buffer.concat([h, payload]);
};

/** A Linux cooked capture v1 header (LINKTYPE_LINUX_SLL) in front of an IP packet. */
export const sll = (payload: Buffer, protocol = etherTypeOf(payload)): Buffer => {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0); // to us
  h.writeUInt16BE(772, 2); // ARPHRD_LOOPBACK
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE(protocol, 14);
  return Buffer.concat([h, payload]);
};

/** A Linux cooked capture v2 header (LINKTYPE_LINUX_SLL2) in front of an IP packet. */
export const sll2 = (payload: Buffer, protocol = etherTypeOf(payload)): Buffer => {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(protocol, 0);
  h.writeUInt32BE(1, 4); // interface index
  h.writeUInt16BE(772, 8); // ARPHRD_LOOPBACK
  h[10] = 0; // to us
  h[11] = 6;
  return Buffer.concat([h, payload]);
};

/** A BSD loopback header: LINKTYPE_NULL in the writer's byte order, or LINKTYPE_LOOP (always big-endian). */
export const loopback = (payload: Buffer, family: number, littleEndian: boolean): Buffer => {
  const h = Buffer.alloc(4);
  if (littleEndian) h.writeUInt32LE(family, 0);
  else h.writeUInt32BE(family, 0);
  return Buffer.concat([h, payload]);
};

/** One packet of a capture file. */
export interface CapturedPacket {
  readonly data: Buffer;
  /** Milliseconds since the epoch; defaults to 1700000000000 + index. */
  readonly timeMs?: number;
  /** Length on the wire when the capture cut the packet. */
  readonly originalLength?: number;
  /** pcapng: index of the interface (default 0). */
  readonly iface?: number;
}

/**
 * Packets of several connections interleaved one by one (the first of each, then the second of each, ...), each
 * stamped 10 ms after the one before: every connection is still open at the end of the capture.
 */
export const interleave = (connections: readonly (readonly CapturedPacket[])[]): CapturedPacket[] => {
  const frames: CapturedPacket[] = [];
  for (let i = 0; connections.some((c) => i < c.length); i++) {
    for (const c of connections) {
      const p = c[i];
      if (p !== undefined) frames.push({ ...p, timeMs: BASE_MS + frames.length * 10 });
    }
  }
  return frames;
};

/** Options of a libpcap file. */
export interface PcapOptions {
  readonly linkType?: number;
  readonly nanoseconds?: boolean;
  readonly bigEndian?: boolean;
}

const BASE_MS = 1_700_000_000_000;

/** A libpcap file (pcap-savefile(5)). */
export const pcapFile = (packets: readonly CapturedPacket[], o: PcapOptions = {}): Buffer => {
  const be = o.bigEndian ?? false;
  const u32 = (b: Buffer, v: number, at: number): void => {
    if (be) b.writeUInt32BE(v >>> 0, at);
    else b.writeUInt32LE(v >>> 0, at);
  };
  const u16 = (b: Buffer, v: number, at: number): void => {
    if (be) b.writeUInt16BE(v, at);
    else b.writeUInt16LE(v, at);
  };
  const header = Buffer.alloc(24);
  u32(header, o.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(header, 2, 4);
  u16(header, 4, 6);
  u32(header, 262144, 16);
  u32(header, o.linkType ?? 1, 20);
  const records = packets.map((p, i) => {
    const ms = p.timeMs ?? BASE_MS + i;
    const r = Buffer.alloc(16);
    u32(r, Math.floor(ms / 1000), 0);
    u32(r, (ms % 1000) * (o.nanoseconds ? 1_000_000 : 1000), 4);
    u32(r, p.data.length, 8);
    u32(r, p.originalLength ?? p.data.length, 12);
    return Buffer.concat([r, p.data]);
  });
  return Buffer.concat([header, ...records]);
};

/** One interface of a pcapng file. */
export interface PcapngInterface {
  readonly linkType: number;
  /** if_tsresol byte (§4.2); omitted means microseconds. */
  readonly tsresol?: number;
}

/** Options of a pcapng file. */
export interface PcapngOptions {
  readonly bigEndian?: boolean;
  /** Blocks of unknown types to put before the packets: [type, body]. */
  readonly extraBlocks?: readonly (readonly [number, Buffer])[];
  /** Write packets as Simple Packet Blocks (interface 0, no timestamp). */
  readonly simple?: boolean;
}

/** Units per second of an if_tsresol byte. */
const unitsPerSecond = (tsresol: number): number =>
  (tsresol & 0x80) !== 0 ? 2 ** (tsresol & 0x7f) : 10 ** (tsresol & 0x7f);

/** One pcapng section (SHB, IDBs, packets) (draft-ietf-opsawg-pcapng). Concatenate sections for a multi-section file. */
export const pcapngSection = (
  interfaces: readonly PcapngInterface[],
  packets: readonly CapturedPacket[],
  o: PcapngOptions = {},
): Buffer => {
  const be = o.bigEndian ?? false;
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    if (be) b.writeUInt32BE(v >>> 0, 0);
    else b.writeUInt32LE(v >>> 0, 0);
    return b;
  };
  const u16 = (v: number): Buffer => {
    const b = Buffer.alloc(2);
    if (be) b.writeUInt16BE(v, 0);
    else b.writeUInt16LE(v, 0);
    return b;
  };
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const block = (type: number, body: Buffer): Buffer => {
    const len = 12 + pad(body).length;
    return Buffer.concat([u32(type), u32(len), pad(body), u32(len)]);
  };
  const shb = block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff)]));
  const idbs = interfaces.map((i) => {
    const opts =
      i.tsresol === undefined
        ? Buffer.alloc(0)
        : Buffer.concat([u16(9), u16(1), pad(Buffer.from([i.tsresol])), u16(0), u16(0)]);
    return block(1, Buffer.concat([u16(i.linkType), u16(0), u32(262144), opts]));
  });
  const extra = (o.extraBlocks ?? []).map(([t, b]) => block(t, b));
  const pkts = packets.map((p, n) => {
    if (o.simple) return block(3, Buffer.concat([u32(p.originalLength ?? p.data.length), p.data]));
    const iface = p.iface ?? 0;
    const ms = p.timeMs ?? BASE_MS + n;
    const units = (BigInt(ms) * BigInt(unitsPerSecond(interfaces[iface]?.tsresol ?? 6))) / 1000n;
    return block(
      6,
      Buffer.concat([
        u32(iface),
        u32(Number(units >> 32n)),
        u32(Number(units & 0xffffffffn)),
        u32(p.data.length),
        u32(p.originalLength ?? p.data.length),
        p.data,
      ]),
    );
  });
  return Buffer.concat([shb, ...idbs, ...extra, ...pkts]);
};

/** What reading a capture gave: the whole tally and the reader's stats. */
export interface CaptureReading {
  readonly result: ScanResult;
  readonly stats: CaptureStats;
}

/** Reads a capture handed over in the given parts, one feed() per part, through the real reader, framer and counter. */
export const readCaptureParts = (parts: readonly Buffer[]): CaptureReading => {
  const { framer, tally } = framerWithTally();
  const head = Buffer.concat(parts).subarray(0, 4);
  const format = head.length === 4 && head.readUInt32LE(0) === 0x0a0d0d0a ? 'pcapng' : 'pcap';
  const reader = createCaptureReader(format, framer, tally);
  for (const part of parts) reader.feed(part);
  reader.end();
  return { result: tally.toResult(), stats: { ...reader.stats } };
};

/** `file` cut into parts of the given sizes, repeated until the end (a size below 1 counts as 1). */
export const cutInto = (file: Buffer, sizes: readonly number[]): Buffer[] => {
  const parts: Buffer[] = [];
  for (let p = 0, i = 0; p < file.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length] ?? 1);
    parts.push(file.subarray(p, Math.min(file.length, p + n)));
    p += n;
  }
  return parts;
};

/** Reads a capture file in chunks of `chunkBytes` (the whole file at once by default). */
export const readCapture = (file: Buffer, chunkBytes = file.length): CaptureReading =>
  readCaptureParts(cutInto(file, [chunkBytes]));

/** The counts a test asserts, in one object so that a whole tally is compared at once. */
export const countsOf = (r: ScanResult): Record<string, unknown> => ({
  requests: r.requestsByMethod,
  responses: r.byMethod,
  retransmissions: r.retransmissions,
  anomalies: r.anomalies,
  unrecognizedBytes: r.unrecognizedBytes,
});

/** What countsOf() gives for a capture without any SIP message: tests spread what they expect over it. */
export const NO_COUNTS = {
  requests: {},
  responses: {},
  retransmissions: { requests: 0, responses: 0 },
  anomalies: {},
  unrecognizedBytes: 0,
} as const;

/**
 * What countsOf() gives for each one-copy capture of send-sip.mjs's traffic in test/fixtures/pcap
 * (loopback-ethernet-ns.pcap, any-sll.pcap, any-sll2.pcap): tshark's counts, from the README there;
 * the 14 bytes are the RTP-like datagram.
 */
export const SEND_SIP_FIXTURE_COUNTS = {
  requests: { INVITE: 1, OPTIONS: 5 },
  responses: { INVITE: { '180': 1, '200': 1 }, OPTIONS: { '200': 1 } },
  retransmissions: { requests: 1, responses: 0 },
  anomalies: {},
  unrecognizedBytes: 14,
} as const;
