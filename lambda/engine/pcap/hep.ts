import { zlib } from '../lazy-zlib.js';
import type { MessageCounter } from '../message-counter.js';
import { payloadMeta } from '../payload-meta.js';
import { MAX_MESSAGE_BYTES } from '../sip-framer.js';
import type { Tally } from '../tally.js';
import type { AnomalyKind, PayloadMeta, Transport } from '../types.js';
import { EndpointNames } from './endpoint-names.js';
import { classifyDatagram, countFirstSipMessage } from './sip-datagram.js';

/**
 * HEP, the Homer Encapsulation Protocol (a.k.a. EEP), that capture agents (heplify, captagent,
 * sngrep, Kamailio and OpenSIPS siptrace, FreeSWITCH, Asterisk res_hep) use to send each captured
 * SIP message to a collector, usually on UDP or TCP port 9060:
 * - HEP v1 and v2: a fixed header (version, length, family, protocol, ports), the IPv4 or IPv6
 *   addresses, and in v2 a time header (seconds, microseconds, capture id, in the sender's byte
 *   order: little-endian in practice, as the sipcapture Wireshark dissector reads it), then the
 *   payload to the end of the datagram. The length byte is not reliable (sngrep 1.6 writes 1), so
 *   the layout is derived from the family, as OpenSIPS's proto_hep does.
 * - HEP v3 (HEP3_rev12): "HEP3", a 16-bit total length, then chunks of vendor id, type id and
 *   length (the 6-byte chunk header included): IP family (1), protocol (2), IPv4 (3, 4) or IPv6
 *   (5, 6) addresses, ports (7, 8), time in seconds and microseconds (9, 10), protocol type (11,
 *   1 is SIP), payload (15) or zlib-compressed payload (16).
 * The payload is the SIP message as the agent saw it; HEP's addresses and time are the original
 * ones (not the collector's), so they are the message's sender, receiver and time here.
 */

const MAGIC = 0x48455033; // "HEP3"
const HEP3_HEADER_BYTES = 6;
const CHUNK_HEADER_BYTES = 6;
const HEP12_BASE_BYTES = 8;
const HEP2_TIME_BYTES = 12;
const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;
/** HEP3 protocol type of SIP (chunk 11). */
const PROTOCOL_TYPE_SIP = 1;

const CHUNK = {
  IP_PROTOCOL: 2,
  IPV4_SRC: 3,
  IPV4_DST: 4,
  IPV6_SRC: 5,
  IPV6_DST: 6,
  SRC_PORT: 7,
  DST_PORT: 8,
  TIME_SECONDS: 9,
  TIME_MICROSECONDS: 10,
  PROTOCOL_TYPE: 11,
  PAYLOAD: 15,
  COMPRESSED_PAYLOAD: 16,
} as const;

/** True for a first payload byte that may start a HEP packet ('H' of "HEP3", or version 1 or 2). */
export const mayStartHep = (first: number | undefined): boolean => first === 0x48 || first === 1 || first === 2;

/** True when [start, end) begins with the "HEP3" magic. */
export const startsWithHep3 = (buf: Buffer, start: number, end: number): boolean =>
  end - start >= 4 && buf.readUInt32BE(start) === MAGIC;

/** The transport a HEP packet names (an IANA protocol number). */
const transportOf = (protocol: number): Transport =>
  protocol === IPPROTO_UDP ? 'udp' : protocol === IPPROTO_TCP ? 'tcp' : protocol === IPPROTO_SCTP ? 'sctp' : 'unknown';

/** What one HEP packet says; the payload may lie in another buffer (a decompressed one). */
interface HepPacket {
  payload: Buffer;
  payloadStart: number;
  payloadEnd: number;
  meta: PayloadMeta;
  /** HEP3 chunk 11 when present: 1 is SIP, others are RTCP, logs, ... */
  protocolType: number | undefined;
}

/** Counts the SIP that HEP packets carry. */
export class HepReader {
  private readonly names = new EndpointNames();
  /** HEP copies keep their own "seen before" state, apart from the capture's plain SIP. */
  private readonly events: MessageCounter;

  constructor(private readonly tally: Tally) {
    this.events = tally.counter();
  }

  /**
   * A UDP payload [start, end) that is not plain SIP: true when it is a HEP packet (then counted),
   * false to leave it to the caller. `fallback` gives the capture's time and addresses.
   */
  datagram(buf: Buffer, start: number, end: number, fallback: () => PayloadMeta): boolean {
    const first = buf[start];
    if (first === 0x48) {
      if (!startsWithHep3(buf, start, end)) return false;
      this.packet3(buf, start, end, fallback());
      return true;
    }
    if (first !== 1 && first !== 2) return false;
    const p = this.decode12(buf, start, end, fallback);
    // v1/v2 have no magic: only a payload that is SIP makes the datagram HEP
    if (p === null || classifyDatagram(p.payload, p.payloadStart, p.payloadEnd) !== 'sip') return false;
    this.count(p);
    return true;
  }

  /** One whole HEP3 packet [start, end) (from a datagram, a TCP stream or a file). */
  packet3(buf: Buffer, start: number, end: number, fallback: PayloadMeta | undefined): void {
    const p = this.decode3(buf, start, end, fallback);
    if (p === null) {
      this.tally.anomaly('malformed-packet');
      return;
    }
    this.count(p);
  }

  private count(p: HepPacket): void {
    if (p.protocolType !== undefined && p.protocolType !== PROTOCOL_TYPE_SIP) {
      this.tally.unrecognizedBytes += p.payloadEnd - p.payloadStart;
      return;
    }
    const verdict = classifyDatagram(p.payload, p.payloadStart, p.payloadEnd);
    if (verdict === 'sip') countFirstSipMessage(this.events, p.payload, p.payloadStart, p.payloadEnd, p.meta);
    else if (verdict === 'other') this.tally.unrecognizedBytes += p.payloadEnd - p.payloadStart;
  }

  private decode12(buf: Buffer, start: number, end: number, fallback: () => PayloadMeta): HepPacket | null {
    if (end - start < HEP12_BASE_BYTES) return null;
    const version = buf[start] ?? 0;
    const family = buf[start + 2] ?? 0;
    if (family !== AF_INET && family !== AF_INET6) return null;
    const addressBytes = family === AF_INET ? 4 : 16;
    const a = start + HEP12_BASE_BYTES;
    const payloadStart = a + 2 * addressBytes + (version === 2 ? HEP2_TIME_BYTES : 0);
    if (payloadStart > end) return null;
    const srcPort = buf.readUInt16BE(start + 4);
    const dstPort = buf.readUInt16BE(start + 6);
    const src = this.endpoint(buf, a, addressBytes, srcPort);
    const dst = this.endpoint(buf, a + addressBytes, addressBytes, dstPort);
    const t = a + 2 * addressBytes;
    const timeMs =
      version === 2 ? buf.readUInt32LE(t) * 1000 + Math.floor(buf.readUInt32LE(t + 4) / 1000) : fallback().timeMs;
    const meta = payloadMeta(transportOf(buf[start + 3] ?? 0), src, dst, timeMs);
    return { payload: buf, payloadStart, payloadEnd: end, meta, protocolType: undefined };
  }

  private decode3(buf: Buffer, start: number, end: number, fallback: PayloadMeta | undefined): HepPacket | null {
    if (!startsWithHep3(buf, start, end) || end - start < HEP3_HEADER_BYTES) return null;
    const total = buf.readUInt16BE(start + 4);
    if (total < HEP3_HEADER_BYTES || total > end - start) return null;
    const packetEnd = start + total;
    let protocol = -1;
    let srcAt = -1;
    let dstAt = -1;
    let addressBytes = 4;
    let srcPort = 0;
    let dstPort = 0;
    let seconds = -1;
    let microseconds = 0;
    let protocolType: number | undefined;
    let payload: Buffer | undefined;
    let payloadStart = 0;
    let payloadEnd = 0;
    for (let p = start + HEP3_HEADER_BYTES; p + CHUNK_HEADER_BYTES <= packetEnd; ) {
      const vendor = buf.readUInt16BE(p);
      const type = buf.readUInt16BE(p + 2);
      const length = buf.readUInt16BE(p + 4);
      if (length < CHUNK_HEADER_BYTES || p + length > packetEnd) return null;
      const v = p + CHUNK_HEADER_BYTES;
      const n = length - CHUNK_HEADER_BYTES;
      // vendor 0 is the generic chunk set; vendors' own chunks (and unknown generic ones) are skipped
      if (vendor === 0) {
        if (type === CHUNK.IP_PROTOCOL && n >= 1) protocol = buf[v] ?? 0;
        else if ((type === CHUNK.IPV4_SRC || type === CHUNK.IPV6_SRC) && n >= (type === CHUNK.IPV4_SRC ? 4 : 16)) {
          srcAt = v;
          addressBytes = type === CHUNK.IPV4_SRC ? 4 : 16;
        } else if ((type === CHUNK.IPV4_DST || type === CHUNK.IPV6_DST) && n >= (type === CHUNK.IPV4_DST ? 4 : 16)) {
          dstAt = v;
        } else if (type === CHUNK.SRC_PORT && n >= 2) srcPort = buf.readUInt16BE(v);
        else if (type === CHUNK.DST_PORT && n >= 2) dstPort = buf.readUInt16BE(v);
        else if (type === CHUNK.TIME_SECONDS && n >= 4) seconds = buf.readUInt32BE(v);
        else if (type === CHUNK.TIME_MICROSECONDS && n >= 4) microseconds = buf.readUInt32BE(v);
        else if (type === CHUNK.PROTOCOL_TYPE && n >= 1) protocolType = buf[v];
        else if (type === CHUNK.PAYLOAD) {
          payload = buf;
          payloadStart = v;
          payloadEnd = v + n;
        } else if (type === CHUNK.COMPRESSED_PAYLOAD) {
          const inflated = inflatePayload(buf.subarray(v, v + n));
          if (inflated === null) return null;
          payload = inflated;
          payloadStart = 0;
          payloadEnd = inflated.length;
        }
      }
      p += length;
    }
    if (payload === undefined) {
      // a keep-alive or a packet without payload: nothing to count
      payload = buf;
      payloadStart = packetEnd;
      payloadEnd = packetEnd;
    }
    const meta = payloadMeta(
      protocol >= 0 ? transportOf(protocol) : 'unknown',
      srcAt >= 0 ? this.endpoint(buf, srcAt, addressBytes, srcPort) : fallback?.src,
      dstAt >= 0 ? this.endpoint(buf, dstAt, addressBytes, dstPort) : fallback?.dst,
      seconds >= 0 ? seconds * 1000 + Math.floor(microseconds / 1000) : fallback?.timeMs,
    );
    return { payload, payloadStart, payloadEnd, meta, protocolType };
  }

  private endpoint(buf: Buffer, at: number, addressBytes: number, port: number): string {
    return addressBytes === 4 ? this.names.ipv4(buf, at, port) : this.names.ipv6(buf, at, port);
  }
}

/** Chunk 16 (heplify `-hep-compress` and others): zlib (RFC 1950); bounded like any message. */
const inflatePayload = (data: Buffer): Buffer | null => {
  try {
    return zlib().inflateSync(data, { maxOutputLength: MAX_MESSAGE_BYTES });
  } catch {
    return null;
  }
};

/** Where HepStreamReader reports what is not a HEP3 packet. */
export interface HepStreamEvents {
  packet(buf: Buffer, start: number, end: number): void;
  anomaly(kind: AnomalyKind): void;
  unrecognized(bytes: number): void;
}

/**
 * Splits a byte stream of concatenated HEP3 packets (a HEP TCP connection, or a file of raw
 * packets as heplify and collectors write them) at their total-length fields, in any chunking.
 * Bytes that are not a packet are skipped up to the next "HEP3" ('stream-garbage').
 */
export class HepStreamReader {
  private pending: Buffer = Buffer.alloc(0);
  /** The current run of garbage was reported already (one anomaly per run, however it is chunked). */
  private inGarbage = false;

  constructor(
    private readonly events: HepStreamEvents,
    /** Anomaly for a packet the stream ends inside of. */
    private readonly cutKind: AnomalyKind,
  ) {}

  feed(buf: Buffer, start: number, end: number): void {
    const data =
      this.pending.length === 0 ? buf.subarray(start, end) : Buffer.concat([this.pending, buf.subarray(start, end)]);
    let p = 0;
    while (data.length - p >= HEP3_HEADER_BYTES) {
      const total = data.readUInt16BE(p + 4);
      if (data.readUInt32BE(p) !== MAGIC || total < HEP3_HEADER_BYTES) {
        p = this.skipGarbage(data, p);
        continue;
      }
      if (data.length - p < total) break;
      this.inGarbage = false;
      this.events.packet(data, p, p + total);
      p += total;
    }
    // a copy: the caller's buffer is reused
    this.pending = Buffer.from(data.subarray(p));
  }

  /** A hole in the stream: what is buffered can never complete. */
  reset(): void {
    if (this.pending.length > 0) {
      this.events.anomaly(this.cutKind);
      this.events.unrecognized(this.pending.length);
    }
    this.pending = Buffer.alloc(0);
    this.inGarbage = false;
  }

  end(): void {
    this.reset();
  }

  /** Skips to the next "HEP3" after `p` (or to where one may start across the next chunk). */
  private skipGarbage(data: Buffer, p: number): number {
    if (!this.inGarbage) this.events.anomaly('stream-garbage');
    this.inGarbage = true;
    const next = data.indexOf('HEP3', p + 1, 'latin1');
    // keep the last 3 bytes: they may be the start of a magic split by the chunking
    const to = next >= 0 ? next : Math.max(p + 1, data.length - 3);
    this.events.unrecognized(to - p);
    return to;
  }
}

/** Reads a file of raw concatenated HEP3 packets (already decompressed), in any chunking. */
export const createHepFileReader = (tally: Tally): { feed(chunk: Buffer): void; end(): void } => {
  const hep = new HepReader(tally);
  const stream = new HepStreamReader(
    {
      packet: (buf, start, end) => hep.packet3(buf, start, end, undefined),
      anomaly: (kind) => tally.anomaly(kind),
      unrecognized: (bytes) => {
        tally.unrecognizedBytes += bytes;
      },
    },
    'truncated-capture',
  );
  return { feed: (chunk) => stream.feed(chunk, 0, chunk.length), end: () => stream.end() };
};
