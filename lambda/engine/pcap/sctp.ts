import type { FramerEvents } from '../sip-framer.js';
import { MAX_MESSAGE_BYTES } from '../sip-framer.js';
import type { PayloadMeta } from '../types.js';
import { classifyDatagram, countFirstSipMessage } from './sip-datagram.js';

/**
 * SIP over SCTP (RFC 4168): each SCTP user message is one SIP message. A packet (RFC 9260 §3)
 * is a 12-byte common header and chunks; user data travels in DATA chunks (RFC 9260 §3.3.1) or
 * I-DATA chunks (RFC 8260 §2.1), several per packet, and a message larger than the path MTU is
 * fragmented over chunks flagged B(eginning) and E(nd).
 *
 * As tshark 4.0 does with its defaults (sctp.reassembly and sctp.tsn_analysis on): fragments are
 * reassembled, a chunk whose TSN was seen before (an SCTP retransmission) is not read twice, and
 * SIP is recognised by content whatever the port or the payload protocol identifier (PPID 0, SIP's
 * 39, or another whose dissector rejects the payload); like a UDP datagram, a user message is
 * dissected once, so only its first SIP message counts.
 */

/** IANA protocol number of SCTP. */
export const SCTP_PROTOCOL = 132;

/** Bytes of the common header: ports, verification tag, checksum (RFC 9260 §3.1). */
export const SCTP_COMMON_HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 4;
const CHUNK_DATA = 0;
const CHUNK_I_DATA = 64;
const DATA_HEADER_BYTES = 16;
const I_DATA_HEADER_BYTES = 20;
const FLAG_END = 0x01;
const FLAG_BEGINNING = 0x02;
const FLAG_UNORDERED = 0x04;

/**
 * TSNs remembered behind the highest one of a direction, to recognise retransmitted chunks; a TSN
 * further behind is taken as a retransmission too (TSNs are assigned in order, and no capture
 * reorders 256 chunks).
 */
export const TSN_WINDOW = 256;
/** Directions (address and port pairs) tracked at once; the least recently active is forgotten past this. */
export const MAX_SCTP_DIRECTIONS = 4096;
/** Fragment bytes held over all directions (one direction holds at most MAX_MESSAGE_BYTES). */
export const MAX_PENDING_BYTES_TOTAL = 64 * 1024 * 1024;

interface Fragment {
  readonly flags: number;
  readonly data: Buffer;
}

interface Direction {
  /** Highest TSN seen (serial number arithmetic, RFC 1982), or -1 before the first. */
  highestTsn: number;
  /** TSNs seen within TSN_WINDOW of the highest (pruned now and then, so up to twice that). */
  readonly recentTsns: Set<number>;
  /** DATA fragments waiting for the rest of their message, by TSN. */
  readonly fragments: Map<number, Fragment>;
  /** I-DATA fragments by message (stream, U flag, MID), then by FSN (B's is 0). */
  readonly iFragments: Map<string, Map<number, Fragment>>;
  pendingBytes: number;
}

/** Reads the SIP in the SCTP packets of a capture. */
export class SctpReader {
  private readonly directions = new Map<string, Direction>();
  private pendingTotal = 0;

  constructor(private readonly events: FramerEvents) {}

  /** SCTP associations with state kept (fragments, TSNs seen). */
  get trackedDirections(): number {
    return this.directions.size;
  }

  /**
   * One SCTP packet [start, end) (after the IP header) of direction `flow` (its addresses and
   * ports); false when its chunks do not fit in it.
   */
  packet(flow: string, buf: Buffer, start: number, end: number, meta: PayloadMeta): boolean {
    if (end - start < SCTP_COMMON_HEADER_BYTES) return false;
    let p = start + SCTP_COMMON_HEADER_BYTES;
    while (end - p >= CHUNK_HEADER_BYTES) {
      const type = buf[p] ?? 0;
      const flags = buf[p + 1] ?? 0;
      const length = buf.readUInt16BE(p + 2);
      if (length < CHUNK_HEADER_BYTES) return false;
      const chunkEnd = Math.min(end, p + length);
      if (type === CHUNK_DATA && length >= DATA_HEADER_BYTES && chunkEnd - p >= DATA_HEADER_BYTES) {
        const tsn = buf.readUInt32BE(p + 4);
        this.data(flow, tsn, flags, buf, p + DATA_HEADER_BYTES, chunkEnd, meta);
      } else if (type === CHUNK_I_DATA && length >= I_DATA_HEADER_BYTES && chunkEnd - p >= I_DATA_HEADER_BYTES) {
        const tsn = buf.readUInt32BE(p + 4);
        const key = `${buf.readUInt16BE(p + 8)} ${flags & FLAG_UNORDERED} ${buf.readUInt32BE(p + 12)}`;
        // RFC 8260 §2.1: the last field is the PPID in the first fragment, its FSN in the others
        const fsn = (flags & FLAG_BEGINNING) !== 0 ? 0 : buf.readUInt32BE(p + 16);
        this.iData(flow, tsn, key, fsn, flags, buf, p + I_DATA_HEADER_BYTES, chunkEnd, meta);
      }
      // RFC 9260 §3.2: chunks are padded to 4 bytes; the padding is not in the length
      p += (length + 3) & ~3;
    }
    return true;
  }

  /** End of capture: messages still missing fragments were cut. */
  end(): void {
    for (const d of this.directions.values()) {
      if (d.fragments.size > 0 || d.iFragments.size > 0) this.events.anomaly('truncated-message');
    }
    this.directions.clear();
    this.pendingTotal = 0;
  }

  private direction(flow: string): Direction {
    let d = this.directions.get(flow);
    if (d !== undefined) {
      this.directions.delete(flow);
    } else {
      d = { highestTsn: -1, recentTsns: new Set(), fragments: new Map(), iFragments: new Map(), pendingBytes: 0 };
      if (this.directions.size >= MAX_SCTP_DIRECTIONS) {
        const oldest = this.directions.entries().next().value;
        if (oldest !== undefined) {
          this.directions.delete(oldest[0]);
          if (oldest[1].fragments.size > 0 || oldest[1].iFragments.size > 0) this.events.anomaly('truncated-message');
          this.dropFragments(oldest[1]);
        }
      }
    }
    this.directions.set(flow, d);
    return d;
  }

  /** False for a TSN seen before: the chunk is a retransmission (RFC 9260 §6.3.3). */
  private firstTime(d: Direction, tsn: number): boolean {
    const recent = d.recentTsns;
    if (d.highestTsn < 0) {
      d.highestTsn = tsn;
      recent.add(tsn);
      return true;
    }
    const ahead = (tsn - d.highestTsn) | 0;
    if (ahead <= -TSN_WINDOW || recent.has(tsn)) return false;
    recent.add(tsn);
    if (ahead > 0) {
      d.highestTsn = tsn;
      if (recent.size > 2 * TSN_WINDOW) {
        for (const t of recent) if (((tsn - t) | 0) >= TSN_WINDOW) recent.delete(t);
      }
    }
    return true;
  }

  /** Forgets what a direction holds of unfinished messages (its bytes are unrecognised). */
  private dropFragments(d: Direction): void {
    this.events.unrecognized(d.pendingBytes);
    this.pendingTotal -= d.pendingBytes;
    d.fragments.clear();
    d.iFragments.clear();
    d.pendingBytes = 0;
  }

  private data(
    flow: string,
    tsn: number,
    flags: number,
    buf: Buffer,
    start: number,
    end: number,
    meta: PayloadMeta,
  ): void {
    const d = this.fragmentDirection(flow, tsn, flags, buf, start, end, meta);
    if (d === undefined) return;
    // RFC 9260 §6.9: the fragments of one message carry consecutive TSNs, B first, E last
    if (!this.keep(d, d.fragments, tsn, flags, buf, start, end)) return;
    let first = tsn;
    for (;;) {
      const f = d.fragments.get(first);
      const prev = (first - 1) >>> 0;
      if (f === undefined || (f.flags & FLAG_BEGINNING) !== 0 || !d.fragments.has(prev)) break;
      first = prev;
    }
    let last = tsn;
    for (;;) {
      const f = d.fragments.get(last);
      const next = (last + 1) >>> 0;
      if (f === undefined || (f.flags & FLAG_END) !== 0 || !d.fragments.has(next)) break;
      last = next;
    }
    const head = d.fragments.get(first);
    const tail = d.fragments.get(last);
    if (head === undefined || tail === undefined) return;
    if ((head.flags & FLAG_BEGINNING) === 0 || (tail.flags & FLAG_END) === 0) return;
    const parts: Buffer[] = [];
    for (let t = first; ; t = (t + 1) >>> 0) {
      const f = d.fragments.get(t);
      if (f !== undefined) parts.push(f.data);
      d.fragments.delete(t);
      if (t === last) break;
    }
    this.reassembled(d, parts, meta);
  }

  private iData(
    flow: string,
    tsn: number,
    key: string,
    fsn: number,
    flags: number,
    buf: Buffer,
    start: number,
    end: number,
    meta: PayloadMeta,
  ): void {
    const d = this.fragmentDirection(flow, tsn, flags, buf, start, end, meta);
    if (d === undefined) return;
    let frags = d.iFragments.get(key);
    if (frags === undefined) {
      frags = new Map();
      d.iFragments.set(key, frags);
    }
    if (!this.keep(d, frags, fsn, flags, buf, start, end)) return;
    let last = -1;
    for (const [n, f] of frags) if ((f.flags & FLAG_END) !== 0) last = n;
    if (last < 0 || !frags.has(0) || frags.size !== last + 1) return;
    const parts: Buffer[] = [];
    for (let n = 0; n <= last; n++) parts.push(frags.get(n)?.data ?? Buffer.alloc(0));
    d.iFragments.delete(key);
    this.reassembled(d, parts, meta);
  }

  /**
   * The direction to hold a DATA or I-DATA chunk's fragment in; undefined when there is nothing to hold: a chunk
   * seen before (its TSN), or a whole message, handed on at once.
   */
  private fragmentDirection(
    flow: string,
    tsn: number,
    flags: number,
    buf: Buffer,
    start: number,
    end: number,
    meta: PayloadMeta,
  ): Direction | undefined {
    const d = this.direction(flow);
    if (!this.firstTime(d, tsn)) return undefined;
    const whole = FLAG_BEGINNING | FLAG_END;
    if ((flags & whole) === whole) {
      this.userMessage(buf, start, end, meta);
      return undefined;
    }
    return d;
  }

  /** Hands on a message whose fragments, in order, are `parts`, and releases the bytes they held. */
  private reassembled(d: Direction, parts: readonly Buffer[], meta: PayloadMeta): void {
    const message = Buffer.concat(parts);
    d.pendingBytes -= message.length;
    this.pendingTotal -= message.length;
    this.userMessage(message, 0, message.length, meta);
  }

  /** Holds a fragment (a copy: the capture's buffer is reused); false when the bound forbids it. */
  private keep(
    d: Direction,
    into: Map<number, Fragment>,
    n: number,
    flags: number,
    buf: Buffer,
    start: number,
    end: number,
  ): boolean {
    const n0 = end - start;
    if (d.pendingBytes + n0 > MAX_MESSAGE_BYTES || this.pendingTotal + n0 > MAX_PENDING_BYTES_TOTAL) {
      // a message this large is not SIP; what was held of it can never complete
      this.events.anomaly('message-too-large');
      this.dropFragments(d);
      this.events.unrecognized(n0);
      return false;
    }
    if (into.has(n)) return true; // the same fragment again (I-DATA under another TSN)
    into.set(n, { flags, data: Buffer.from(buf.subarray(start, end)) });
    d.pendingBytes += n0;
    this.pendingTotal += n0;
    return true;
  }

  /** One whole user message: one SIP message when its content is SIP (RFC 4168 §5). */
  private userMessage(buf: Buffer, start: number, end: number, meta: PayloadMeta): void {
    const verdict = classifyDatagram(buf, start, end);
    if (verdict === 'sip') countFirstSipMessage(this.events, buf, start, end, meta);
    else if (verdict === 'other') this.events.unrecognized(end - start);
  }
}
