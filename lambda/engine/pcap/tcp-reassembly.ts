import type { LineStyle } from '../sip-message.js';
import type { Tally } from '../tally.js';
import type { PayloadMeta } from '../types.js';
import type { StreamSink } from './stream-demux.js';

/**
 * TCP (RFC 9293) header decoding and per-direction stream reassembly: the framer must see each
 * direction's bytes once, in sequence order, whatever the capture shows (retransmissions,
 * overlaps, segments out of order). A message split over segments then counts once and a
 * segment holding two messages counts twice, as tshark counts them with its default
 * desegmentation (tcp.desegment_tcp_streams, sip.desegment_headers, sip.desegment_body).
 *
 * Out-of-order segments wait in a bounded queue. When the hole before them cannot be filled
 * (queue limits, a stalled hole, RST, end of capture) the hole is skipped: 'stream-gap' is
 * counted, the framer drops the message the hole cut ('stream-cut', resetFlow), then resynchronises
 * on the next start line.
 *
 * Against tshark 4.0.17 on hand-built captures (see test/unit/engine/pcap/tcp-reassembly.test.ts):
 * - a retransmitted segment counts once, as in tshark, whose tcp.no_subdissector_on_error
 *   (default TRUE) keeps retransmissions away from SIP; so does the copy of a whole connection
 *   that a second capture interface recorded;
 * - segments out of order or overlapping count as tshark counts them with
 *   `-o tcp.reassemble_out_of_order:TRUE`; with 4.0's default (FALSE) tshark loses such a message;
 * - after a hole that is never filled, tshark drops the message the hole cut and counts what
 *   follows, and so do we ('stream-cut'); so is a message unfinished at FIN, RST or the end of the capture;
 * - a segment the snaplen cut is dissected on its own: a message it begins counts as far as it was
 *   captured, one it would have completed or continued is lost (tshark 4.0.17 on crafted captures);
 * - bytes that begin no message end the segment for SIP (the framer's frameStream; test/fixtures/pcap
 *   tcp-boundaries.pcap).
 * The corpus holds none of these cases (no TCP analysis flag at all), so its counts equal tshark's.
 */

/** Bytes of a TCP header without options. */
export const TCP_MIN_HEADER_BYTES = 20;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;

/** TCP flag bits, as in the header's flags byte (RFC 9293 §3.1). */
export const TCP_FLAG = { FIN, SYN, RST } as const;

/** Directions (one per sender) tracked at once; the least recently active is flushed past this. */
export const MAX_TCP_DIRECTIONS = 20_000;
/** Out-of-order bytes held per direction before its hole is declared unfillable. */
export const MAX_QUEUED_BYTES_PER_DIRECTION = 1024 * 1024;
/** Out-of-order segments held per direction. */
export const MAX_QUEUED_SEGMENTS_PER_DIRECTION = 1024;
/** Out-of-order bytes held over all directions. */
export const MAX_QUEUED_BYTES_TOTAL = 64 * 1024 * 1024;
/** A hole still open after this much capture time will not be filled (RTO tops out at 60 s, RFC 6298 §2.5). */
export const HOLE_TIMEOUT_MS = 60_000;
/**
 * A direction that has carried this many bytes without yielding one SIP message is not SIP
 * (TLS, HTTP, a file transfer): its bytes are then only counted, never framed. SIP messages are
 * a few kB; the framer gives up on a header section past 64 kB anyway.
 */
export const NON_SIP_STREAM_BYTES = 64 * 1024;
/**
 * A segment this far from where a closed direction ended is a new connection whose SYN the
 * capture missed, not a late retransmission (a random ISN lands this close 1 time in 2000).
 */
const REOPEN_DISTANCE = 1024 * 1024;
/** Captured TCP is plain SIP bytes (no dotted CRs); one object, not a literal per segment. */
const PLAIN: LineStyle = { dotCR: false };

/** A decoded TCP header; one object is reused for every packet. */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  flags: number;
  payloadStart: number;
}

/** A fresh, reusable result object. */
export const newTcpSegment = (): TcpSegment => ({ srcPort: 0, dstPort: 0, seq: 0, flags: 0, payloadStart: 0 });

/** Decodes the TCP header at `start`; false when it does not fit in [start, end). */
export const decodeTcp = (buf: Buffer, start: number, end: number, out: TcpSegment): boolean => {
  if (end - start < TCP_MIN_HEADER_BYTES) return false;
  const headerBytes = ((buf[start + 12] ?? 0) >> 4) * 4;
  if (headerBytes < TCP_MIN_HEADER_BYTES || end - start < headerBytes) return false;
  out.srcPort = buf.readUInt16BE(start);
  out.dstPort = buf.readUInt16BE(start + 2);
  out.seq = buf.readUInt32BE(start + 4);
  out.flags = buf[start + 13] ?? 0;
  out.payloadStart = start + headerBytes;
  return true;
};

/** Sequence-space difference a - b in (-2^31, 2^31] (RFC 9293 §3.4: arithmetic is modulo 2^32). */
const seqDiff = (a: number, b: number): number => (a - b) | 0;
const seqAdd = (a: number, n: number): number => (a + n) >>> 0;

interface QueuedSegment {
  readonly seq: number;
  /** Captured bytes (a copy). */
  readonly data: Buffer;
  /** Bytes the segment had on the wire; more than data.length when the capture cut it. */
  readonly length: number;
  readonly meta: PayloadMeta;
}

interface Direction {
  /** Next sequence number to hand to the framer. */
  nextSeq: number;
  /** Initial sequence number from the SYN, or -1 when the capture started mid-stream. */
  isn: number;
  readonly queue: QueuedSegment[];
  queuedBytes: number;
  /** Sequence number of the FIN, or -1. */
  finSeq: number;
  closed: boolean;
  /** Messages have come out of this direction: it is SIP for sure. */
  provenSip: boolean;
  notSip: boolean;
  bytesWithoutMessage: number;
  /** The recency list (least recently active first), linked through the directions themselves. */
  older: Direction | null;
  newer: Direction | null;
  readonly flow: string;
}

/** Reassembles every TCP direction of a capture and feeds the framer. */
export class TcpReassembler {
  private readonly directions = new Map<string, Direction>();
  /**
   * Least and most recently active directions. The list, not the Map's insertion order, keeps
   * recency: moving a direction to the end of a Map is a delete and a set per segment, which
   * also leaves holes that make the Map rehash as it churns.
   */
  private oldest: Direction | null = null;
  private newest: Direction | null = null;
  private queuedTotal = 0;

  constructor(
    private readonly framer: StreamSink,
    private readonly tally: Tally,
  ) {}

  /** Directions currently tracked. */
  get trackedDirections(): number {
    return this.directions.size;
  }

  /**
   * One segment of direction `flow`: captured payload [start, end) of `buf`, `length` bytes on the
   * wire (more than end - start when the capture cut the segment).
   */
  segment(
    flow: string,
    seq: number,
    flags: number,
    buf: Buffer,
    start: number,
    end: number,
    length: number,
    meta: PayloadMeta,
  ): void {
    let d = this.directions.get(flow);
    if (d !== undefined) this.makeMostRecent(d);
    if ((flags & RST) !== 0) {
      if (d !== undefined) this.close(flow, d);
      return;
    }
    if ((flags & SYN) !== 0) {
      // a SYN with the ISN we know is a retransmission (or the copy a second capture interface
      // saw), even after FIN; another ISN is a new connection on the same ports
      if (d === undefined || d.isn !== seq) {
        if (d !== undefined) this.close(flow, d);
        d = this.open(flow, seqAdd(seq, 1), seq);
      }
      // RFC 9293 §3.4: the SYN occupies one sequence number; data on a SYN follows it
      seq = seqAdd(seq, 1);
    }
    if (d === undefined || (d.closed && length > 0 && Math.abs(seqDiff(seq, d.nextSeq)) > REOPEN_DISTANCE)) {
      // no SYN seen: the capture started mid-stream; a pure ACK tells nothing, the first data does
      if (length === 0 && (flags & FIN) === 0) return;
      d = this.open(flow, seq, -1);
    }
    // after FIN or RST: late retransmissions only
    if (d.closed) return;
    if ((flags & FIN) !== 0 && d.finSeq < 0) d.finSeq = seqAdd(seq, length);

    const ahead = seqDiff(seq, d.nextSeq);
    if (ahead <= 0) {
      this.deliver(flow, d, seq, buf, start, end, length, meta);
      this.drainQueue(flow, d);
    } else if (length > 0) {
      this.enqueue(d, seq, buf, start, end, length, meta);
      this.fillOrSkipHoles(flow, d, meta.timeMs);
    }
    this.closeIfFinished(flow, d);
  }

  /** End of capture: skip every hole left, hand over what was queued, end every flow. */
  end(): void {
    // least recently active first
    for (let d = this.oldest; d !== null; d = d.newer) {
      this.skipAllHoles(d.flow, d);
      this.framer.endFlow(d.flow);
    }
    this.directions.clear();
    this.oldest = null;
    this.newest = null;
    this.queuedTotal = 0;
  }

  private open(flow: string, nextSeq: number, isn: number): Direction {
    const d: Direction = {
      nextSeq,
      isn,
      queue: [],
      queuedBytes: 0,
      finSeq: -1,
      closed: false,
      provenSip: false,
      notSip: false,
      bytesWithoutMessage: 0,
      older: null,
      newer: null,
      flow,
    };
    // a new connection on the same ports replaces the direction it reuses
    const replaced = this.directions.get(flow);
    if (replaced !== undefined) this.unlink(replaced);
    this.directions.set(flow, d);
    this.append(d);
    if (this.directions.size > MAX_TCP_DIRECTIONS) {
      const oldest = this.oldest;
      if (oldest !== null) {
        this.close(oldest.flow, oldest);
        this.directions.delete(oldest.flow);
        this.unlink(oldest);
      }
    }
    return d;
  }

  /** Moves `d` to the newest end of the recency list (the oldest is flushed when too many are tracked). */
  private makeMostRecent(d: Direction): void {
    if (this.newest === d) return;
    this.unlink(d);
    this.append(d);
  }

  private append(d: Direction): void {
    d.older = this.newest;
    d.newer = null;
    if (this.newest === null) this.oldest = d;
    else this.newest.newer = d;
    this.newest = d;
  }

  private unlink(d: Direction): void {
    if (d.older === null) this.oldest = d.newer;
    else d.older.newer = d.newer;
    if (d.newer === null) this.newest = d.older;
    else d.newer.older = d.older;
    d.older = null;
    d.newer = null;
  }

  /** FIN reached or RST: what is queued past a hole still counts, then the framer ends the flow. */
  private close(flow: string, d: Direction): void {
    if (d.closed) return;
    this.skipAllHoles(flow, d);
    d.closed = true;
    this.framer.endFlow(flow);
  }

  private closeIfFinished(flow: string, d: Direction): void {
    if (d.finSeq >= 0 && seqDiff(d.nextSeq, d.finSeq) >= 0 && d.queue.length === 0) this.close(flow, d);
  }

  /** Hands the part of a segment at or before nextSeq that is new to the framer. */
  private deliver(
    flow: string,
    d: Direction,
    seq: number,
    buf: Buffer,
    start: number,
    end: number,
    length: number,
    meta: PayloadMeta,
  ): void {
    const seen = -seqDiff(seq, d.nextSeq);
    if (seen >= length) return; // a retransmission, or a keep-alive probe of one old byte
    const from = start + seen;
    d.nextSeq = seqAdd(seq, length);
    if (end - start >= length) {
      if (from < end) this.feed(flow, d, buf, from, end, meta);
      return;
    }
    // the capture cut this segment (snaplen): the missing bytes are a hole no packet will fill ('truncated-capture'
    // was counted for the packet already). tshark dissects such a segment on its own: a message it completes or
    // continues is lost with it, a message it begins counts as far as it was captured
    if (this.framer.held(flow) > 0) {
      this.framer.resetFlow(flow);
      this.tally.unrecognizedBytes += end - from;
      return;
    }
    if (from < end) this.feed(flow, d, buf, from, end, meta);
    const before = this.tally.requests + this.tally.responses;
    if (this.framer.held(flow) === end - from) this.framer.cutFlow(flow);
    else this.framer.resetFlow(flow);
    // the cut message counts here, not in feed(): a direction whose every segment the snaplen cut is SIP all the
    // same (before, its 64 KiB without a message counted in feed() made it 'not SIP' and the rest went unread)
    if (this.tally.requests + this.tally.responses > before) d.provenSip = true;
  }

  private feed(flow: string, d: Direction, buf: Buffer, start: number, end: number, meta: PayloadMeta): void {
    if (d.notSip) {
      this.tally.unrecognizedBytes += end - start;
      return;
    }
    if (d.provenSip) {
      this.framer.stream(flow, buf, start, end, meta, PLAIN);
      return;
    }
    const before = this.tally.requests + this.tally.responses;
    this.framer.stream(flow, buf, start, end, meta, PLAIN);
    if (this.tally.requests + this.tally.responses > before) {
      d.provenSip = true;
      return;
    }
    d.bytesWithoutMessage += end - start;
    if (d.bytesWithoutMessage > NON_SIP_STREAM_BYTES) {
      d.notSip = true;
      this.framer.endFlow(flow);
    }
  }

  private enqueue(
    d: Direction,
    seq: number,
    buf: Buffer,
    start: number,
    end: number,
    length: number,
    meta: PayloadMeta,
  ): void {
    const q = d.queue;
    let i = q.length;
    while (i > 0 && seqDiff(q[i - 1]?.seq ?? 0, seq) > 0) i--;
    const prev = q[i - 1];
    if (prev !== undefined && prev.seq === seq && prev.length >= length) return; // a retransmission
    // copy: the capture's buffer is reused once this packet is done
    const data = Buffer.from(buf.subarray(start, end));
    q.splice(i, 0, { seq, data, length, meta });
    d.queuedBytes += data.length;
    this.queuedTotal += data.length;
  }

  /** Hands over every queued segment that has become contiguous. */
  private drainQueue(flow: string, d: Direction): void {
    const q = d.queue;
    while (q.length > 0) {
      const s = q[0];
      if (s === undefined || seqDiff(s.seq, d.nextSeq) > 0) break;
      q.shift();
      d.queuedBytes -= s.data.length;
      this.queuedTotal -= s.data.length;
      this.deliver(flow, d, s.seq, s.data, 0, s.data.length, s.length, s.meta);
    }
  }

  /** Skips the hole in front of the queue while a limit says it will not be filled. */
  private fillOrSkipHoles(flow: string, d: Direction, nowMs: number | undefined): void {
    while (
      d.queue.length > 0 &&
      (d.queuedBytes > MAX_QUEUED_BYTES_PER_DIRECTION ||
        d.queue.length > MAX_QUEUED_SEGMENTS_PER_DIRECTION ||
        this.queuedTotal > MAX_QUEUED_BYTES_TOTAL ||
        this.holeStalled(d, nowMs))
    ) {
      this.skipHole(flow, d);
    }
  }

  /** The segment after the hole has waited longer than any retransmission would take. */
  private holeStalled(d: Direction, nowMs: number | undefined): boolean {
    const waitingSince = d.queue[0]?.meta.timeMs;
    return nowMs !== undefined && waitingSince !== undefined && nowMs - waitingSince > HOLE_TIMEOUT_MS;
  }

  private skipAllHoles(flow: string, d: Direction): void {
    while (d.queue.length > 0) this.skipHole(flow, d);
  }

  /** Gives up on the bytes before the first queued segment. */
  private skipHole(flow: string, d: Direction): void {
    const first = d.queue[0];
    if (first === undefined) return;
    this.tally.anomaly('stream-gap');
    this.framer.resetFlow(flow);
    d.nextSeq = first.seq;
    this.drainQueue(flow, d);
  }
}
