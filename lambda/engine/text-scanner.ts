import type { HeaderMatch, MatchContext, TextFormatReader } from './formats/text-format.js';
import { NEED_MORE } from './formats/text-format.js';
import type { LineTimes } from './log-prefix.js';
import type { MessageCounter } from './message-counter.js';
import { type MutablePayloadMeta, payloadMeta, refillMeta } from './payload-meta.js';
import { quotedMessageEvents } from './pcap/icmp.js';
import { PacketDecoder } from './pcap/packet-decoder.js';
import type { CaptureInterface } from './pcap/packet-sink.js';
import { MAX_FLOWS, SipFramer } from './sip-framer.js';
import {
  identityFor,
  type LineFence,
  type LineStyle,
  lineContentEnd,
  type MutableParseOptions,
  parseMessage,
  parseOptions,
  startLineKind,
} from './sip-message.js';
import type { Tally } from './tally.js';
import type { Format, PayloadMeta } from './types.js';

/**
 * Walks a text log line by line and hands each part to the right place: format header lines to
 * their reader, SIP messages (framed by Content-Length, so a status line inside a body is never
 * seen as a line) to the counter, everything else to the unrecognised-bytes counter. Any format
 * may follow any other, so concatenated logs of different tools work.
 */

const LF = 0x0a;
const NUL = 0x00;
/** A run of NULs this long is damage, not a binary body's (countNulRuns). */
const NUL_RUN_BYTES = 32;

/** Where the run of NULs that starts at `i` ends, within [i, end). */
const nulRunEnd = (buf: Buffer, i: number, end: number): number => {
  let z = i + 1;
  while (z < end && buf[z] === NUL) z++;
  return z;
};

/** Segments of the longest length an ngrep log printed before that length is taken for its capture's snaplen. */
const MIN_CAPPED_SEGMENTS = 3;

/** A line longer than this is not a log line; it is skipped and counted. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** A message still incomplete after this many bytes is framed as cut instead of waited for. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/**
 * Every decision about the line that starts at offset `ls` of the stream reads at most the
 * stream's bytes [ls, ls + WINDOW_BYTES), and is made only once that whole window is buffered
 * (or the stream has ended). So the result is a function of the bytes alone, never of where the
 * input happened to be cut into chunks: this is what makes the scan chunk- and gzip-invariant.
 */
export const WINDOW_BYTES = MAX_PENDING_BYTES;
/**
 * Size of the buffer the scanner owns: the window and 4 MiB more. Input is copied into it once;
 * after each scan the unscanned tail (less than a window) moves to its front, so each byte is
 * copied about twice in all, and no buffer is allocated per chunk (no garbage, flat RSS).
 */
export const CARRY_BUFFER_BYTES = WINDOW_BYTES + 4 * 1024 * 1024;
/** First size of the owned buffer; it doubles up to CARRY_BUFFER_BYTES, so a small input stays small. */
const FIRST_BUFFER_BYTES = 64 * 1024;
/** Size from which the owned buffer grows straight to CARRY_BUFFER_BYTES. */
const GROW_AT_ONCE_BYTES = 1024 * 1024;

const UNKNOWN_META: PayloadMeta = payloadMeta('unknown');
/**
 * A marker position not known yet: before every offset. A double, not -1: the positions also hold +Infinity (and
 * offsets past 2^30), and a field or array that starts as small integers and later takes a double changes its shape
 * mid-scan, which threw away the optimised scan loop (V8's "wrong map").
 */
const NOT_KNOWN = Number.NEGATIVE_INFINITY;
const DOT_CR: LineStyle = { dotCR: true };
const PLAIN: LineStyle = { dotCR: false };
/** The two line styles, shared (no object per payload). */
const styleOf = (dotCR: boolean): LineStyle => (dotCR ? DOT_CR : PLAIN);
const EMPTY = Buffer.alloc(0);

/** Push parser over text: feed it chunks in stream order, then end() it. It owns its carry-over. */
export class TextScanner {
  private readonly byFirstByte: TextFormatReader[][] = Array.from({ length: 256 }, () => []);
  /**
   * (first byte << 8 | second byte) -> 1 when a header line of some reader of byFirstByte may start
   * with those two bytes (their `lineStarts`). A 0 rejects the line without asking any reader: the
   * fence is asked about every header and body line of a message in a text log.
   */
  private readonly mayStart = new Uint8Array(256 * 256);
  private readonly markerReaders: TextFormatReader[];
  private readonly markers: Buffer[];
  /**
   * Per marker, in stream offsets: where the next one is (NOT_KNOWN, or +Infinity: none before the end of the view
   * being scanned), and where its search goes on from (the buffer's bytes before it were searched and held none).
   * Stream offsets outlive a view, so each byte is searched once per marker however the buffer is scanned.
   */
  private readonly markerPos: number[];
  private readonly markerFrom: number[];
  /**
   * At most the smallest of markerPos (positions only move forward, so a stale value is only smaller):
   * a line ending at or before it holds no marker, and the marker readers are not asked about it. A stream offset.
   */
  private nearestMarker = NOT_KNOWN;
  private meta: PayloadMeta = UNKNOWN_META;
  /**
   * The message an entry of a closed format (TextFormatReader.closedEntries) announced as a UDP datagram was
   * counted: the rest of the entry, up to the line that closes it, is what the datagram held past that message's
   * Content-Length (a body longer than it said), no message to tshark, which dissects a datagram once
   * (pcap/sip-datagram.ts).
   */
  private inDatagramRest = false;
  /** NUL bytes at the end of what was taken in: a run that goes on in the next bytes is the same run (countNulRuns). */
  private nulRun = 0;
  /** The current inline entry's format ends its entries with a line of its own (TextFormatReader.closedEntries). */
  private entryClosed = false;
  /** The formats whose inline entries end with a line of their own. */
  private readonly closedFormats = new Set<Format>();
  /** Formats whose datagrams are captured packets (TextFormatReader.printsPackets). */
  private readonly packetFormats = new Set<Format>();
  /**
   * The scanner's own copy of an inline header's meta, which it keeps until the message after the header: that
   * message may come in the next view, after an await, and a reader refills its meta at its next match, which another
   * scan in this process (a growing log's two scans, the objects of one SQS batch) may make meanwhile.
   */
  private readonly kept: MutablePayloadMeta = payloadMeta('unknown');
  /** Decodes the packets of hex dumps (tcpdump -x/-X), made at the first one. */
  private packets: PacketDecoder | undefined;
  /** How many TCP segments of each length an ngrep log printed (ngrepSegment). */
  private readonly ngrepLengths = new Map<number, number>();
  /** Each ngrep TCP flow's last and longest segment lengths. */
  private readonly ngrepFlows = new Map<string, { last: number; longest: number }>();
  /** Frames the datagrams ICMP errors quote, with icmp.ts's events (made at the first). */
  private quotedFramer: SipFramer | undefined;
  private readonly interfaces = new Map<number, CaptureInterface>();
  private skippingLongLine = false;
  private final = false;
  private readonly ctx: MatchContext;
  private readonly fence: LineFence;
  private readonly parseOpts: MutableParseOptions;
  /** Bytes not scanned yet, [scanned, filled) of a buffer the scanner owns and reuses. */
  private carry: Buffer = EMPTY;
  private filled = 0;
  /** Where the scan of the owned buffer stands: what is before it was scanned ahead (`scanAhead`). */
  private scanned = 0;
  /** Stream offset of the first byte of the owned buffer (the logger-prefix times are kept by it). */
  private base = 0;
  /** Stream offset of the first byte of the view `process` scans. */
  private viewBase = 0;
  /** The last quiet line start (see resumeOffset), in stream offsets. */
  private quietAt = 0;
  private fed = 0;

  /** @param lineTimes the times logger prefixes printed, when they were stripped off the lines */
  constructor(
    readers: readonly TextFormatReader[],
    private readonly framer: SipFramer,
    private readonly counter: MessageCounter,
    private readonly tally: Tally,
    private readonly lineTimes?: LineTimes,
  ) {
    for (const r of readers) {
      if (r.closedEntries === true) this.closedFormats.add(r.format);
      if (r.printsPackets === true) this.packetFormats.add(r.format);
      if (r.marker !== undefined) continue;
      for (const ch of r.firstBytes) this.byFirstByte[ch.charCodeAt(0)]?.push(r);
      for (const start of r.lineStarts ?? [...r.firstBytes]) {
        const first = start.charCodeAt(0) << 8;
        // one byte: any second byte (or none: buf[ls + 1] past the buffer reads as 0)
        if (start.length === 1) this.mayStart.fill(1, first, first + 256);
        else this.mayStart[first | start.charCodeAt(1)] = 1;
      }
    }
    this.markerReaders = readers.filter((r) => r.marker !== undefined);
    this.markers = this.markerReaders.map((r) => Buffer.from(r.marker ?? '', 'latin1'));
    this.markerPos = this.markers.map(() => NOT_KNOWN);
    this.markerFrom = this.markers.map(() => 0);
    this.fence = (buf, ls, le) => this.isHeaderLine(buf, ls, le);
    this.parseOpts = parseOptions({ dotCR: false, fence: this.fence, identity: 'full', maxEnd: 0, complete: false });
    const self = this;
    this.ctx = {
      get final() {
        return self.final;
      },
      isHeaderLine: this.fence,
    };
  }

  /**
   * Takes the next chunk of the stream (copied: the caller may reuse it); scans whenever the owned
   * buffer is full. Nothing the scan hands on may keep a view of that buffer past the call
   * (the framer copies what it keeps of a TCP stream).
   */
  feed(chunk: Buffer): void {
    this.fed += chunk.length;
    this.countNulRuns(chunk);
    let from = 0;
    while (from < chunk.length) {
      if (this.filled === this.carry.length) this.makeRoom();
      const n = Math.min(chunk.length - from, this.carry.length - this.filled);
      chunk.copy(this.carry, this.filled, from, from + n);
      this.filled += n;
      from += n;
    }
  }

  /**
   * Counts a `nul-bytes` anomaly per run of at least NUL_RUN_BYTES NUL bytes in the stream, wherever it lies (one
   * native search per chunk). No log format and no SIP text holds such a run: it is damage (a block a crash left
   * zeroed, a file truncated under its writer) that cost the entries it fell in, said even when its bytes went into
   * a message or record. Shorter runs are binary bodies' own (ISUP in SIP-I, multipart attachments).
   */
  private countNulRuns(bytes: Buffer): void {
    if (bytes.length === 0) return;
    let i = bytes.indexOf(NUL);
    if (i !== 0) this.nulRun = 0;
    while (i >= 0) {
      const z = nulRunEnd(bytes, i, bytes.length);
      const before = this.nulRun;
      this.nulRun += z - i;
      if (before < NUL_RUN_BYTES && this.nulRun >= NUL_RUN_BYTES) this.tally.anomaly('nul-bytes');
      if (z === bytes.length) return;
      this.nulRun = 0;
      i = bytes.indexOf(NUL, z);
    }
  }

  /**
   * The free end of the owned buffer, for a source that reads straight into it (a file: no chunk is
   * allocated, copied or left for the GC). Write up to its length, then `commit` what was written; the
   * view is valid only until then. Scans first when the buffer is full, like `feed`, so where the input
   * is cut changes nothing: the scan sees the same bytes at the same stream offsets either way.
   */
  room(): Buffer {
    if (this.filled === this.carry.length) this.makeRoom();
    return this.carry.subarray(this.filled);
  }

  /**
   * Scans what is buffered as far as the window allows, leaving it in place: a source that reads into `room()` on
   * another thread (a file, on libuv's pool) calls it while its read is under way, so the scan goes on while the next
   * bytes arrive instead of waiting for them. It reads and writes only the bytes before the room.
   */
  scanAhead(): void {
    if (this.filled - this.scanned <= WINDOW_BYTES) return;
    this.scanned += this.processFrom(this.scanned, false);
    this.lineTimes?.release(this.base + this.scanned);
  }

  /** Scans [from, filled) of the owned buffer; returns how much of it was consumed. */
  private processFrom(from: number, final: boolean): number {
    this.viewBase = this.base + from;
    return this.process(this.carry.subarray(from, this.filled), final);
  }

  /** `n` bytes were written at the start of the last `room()`. */
  commit(n: number): void {
    if (!Number.isInteger(n) || n < 0 || this.filled + n > this.carry.length) {
      throw new RangeError(`commit(${n}) with ${this.carry.length - this.filled} bytes of room`);
    }
    this.countNulRuns(this.carry.subarray(this.filled, this.filled + n));
    this.filled += n;
    this.fed += n;
  }

  /** The stream ended: scans what is left; ends open TCP flows too. */
  end(): void {
    this.processFrom(this.scanned, true);
    this.filled = 0;
    this.scanned = 0;
  }

  /** Grows the owned buffer up to its full size, or (once full) scans it and moves the unscanned tail to its front. */
  private makeRoom(): void {
    if (this.carry.length < CARRY_BUFFER_BYTES) {
      // past 1 MiB the input is no small file: go to the full size at once (each fresh buffer costs
      // page faults on first touch, and the copies into 2, 4 MiB buffers on the way bought nothing)
      const size =
        this.carry.length >= GROW_AT_ONCE_BYTES
          ? CARRY_BUFFER_BYTES
          : Math.min(CARRY_BUFFER_BYTES, Math.max(FIRST_BUFFER_BYTES, this.carry.length * 2));
      const grown = Buffer.allocUnsafe(size);
      this.carry.copy(grown, 0, this.scanned, this.filled);
      this.carry = grown;
      this.filled -= this.scanned;
      this.base += this.scanned;
      this.scanned = 0;
      return;
    }
    // a full buffer is more than a window, so this and the scans ahead consumed at least CARRY_BUFFER_BYTES - WINDOW_BYTES
    const used = this.scanned + this.processFrom(this.scanned, false);
    this.scanned = 0;
    this.carry.copyWithin(0, used, this.filled);
    this.filled -= used;
    this.base += used;
    // a long stretch without SIP asks no time: let the marks behind the scan go all the same
    this.lineTimes?.release(this.base);
  }

  /**
   * The last stream offset where a fresh scanner would go on exactly as this one did (growing logs resume
   * there, lambda/growth): a line start reached by decisions that never looked at the end of input (each read
   * a whole WINDOW_BYTES before it), with no log header waiting for its message and no TCP flow holding part
   * of one. What follows it is framed the same by either scanner; only retransmission and KPI memory restart.
   * Offsets are those of the stream the scanner was fed: with logger prefixes stripped, not the file's.
   */
  get resumeOffset(): number {
    return this.quietAt;
  }

  /** Bytes of the stream fed so far. */
  get bytesFed(): number {
    return this.fed;
  }

  /**
   * Scans buf[0, buf.length). Returns the number of bytes consumed (lines whose window is not
   * complete yet are left for the next call). With `final`, everything is consumed and open TCP
   * flows are ended.
   */
  private process(buf: Buffer, final: boolean): number {
    // "none before the end of the view": this view may reach further
    for (let i = 0; i < this.markerPos.length; i++)
      if (this.markerPos[i] === Number.POSITIVE_INFINITY) this.markerPos[i] = NOT_KNOWN;
    this.nearestMarker = NOT_KNOWN;
    const end = buf.length;
    let pos = 0;
    if (this.skippingLongLine) {
      const lf = buf.indexOf(LF);
      if (lf < 0) {
        this.tally.unrecognizedBytes += end;
        return end;
      }
      this.tally.unrecognizedBytes += lf + 1;
      this.skippingLongLine = false;
      pos = lf + 1;
    }
    while (pos < end) {
      const ls = pos;
      // `this.final` still tells how the previous line was decided
      if (
        !this.final &&
        this.meta === UNKNOWN_META &&
        !this.inDatagramRest &&
        !this.framer.holdsPartialStream &&
        (this.packets === undefined || this.packets.holdsNothing)
      )
        this.quietAt = this.viewBase + ls;
      if (!final && end - ls < WINDOW_BYTES) return ls;
      const wEnd = Math.min(end, ls + WINDOW_BYTES);
      // readers may decide "end of input" only when the window reaches the real end
      this.final = final && wEnd === end;
      if (buf[ls] === NUL) {
        // a file truncated under its writer (copytruncate) or a zeroed block: the log goes on after the run (its
        // anomaly was counted as the bytes came in, countNulRuns)
        const z = nulRunEnd(buf, ls, end);
        this.tally.unrecognizedBytes += z - ls;
        pos = z;
        continue;
      }
      let lf = buf.indexOf(LF, ls);
      if ((lf < 0 ? end : lf) - ls > MAX_LINE_BYTES) {
        // a line longer than any log line, whether or not its LF is buffered yet
        this.tally.anomaly('line-too-long');
        if (lf >= 0) {
          this.tally.unrecognizedBytes += lf + 1 - ls;
          pos = lf + 1;
          continue;
        }
        this.tally.unrecognizedBytes += end - ls;
        this.skippingLongLine = !final;
        break;
      }
      if (lf < 0) lf = end;

      // a reader that still needs more has had its whole window: the line is not its header
      const m = this.matchHeader(buf, ls, lf, wEnd);
      if (m !== null && m !== NEED_MORE) {
        this.apply(m, ls);
        pos = m.next;
        continue;
      }

      const ce = lineContentEnd(buf, ls, lf, false);
      if (!this.inDatagramRest && startLineKind(buf, ls, ce) !== null) {
        // one options object for every message (no garbage per message)
        const opts = this.parseOpts;
        opts.identity = identityFor(this.meta);
        // a Content-Length reaching past the window cannot be right: resync at the next start line
        opts.maxEnd = ls + WINDOW_BYTES;
        opts.complete = this.final;
        const r = parseMessage(buf, ls, wEnd, opts);
        if (r.kind === 'incomplete') {
          // the whole window holds no end of this message: frame what the window holds
          this.tally.anomaly('message-too-large');
          opts.complete = true;
          const forced = parseMessage(buf, ls, wEnd, opts);
          pos = this.applyParsed(forced, ls, lf, end);
          continue;
        }
        pos = this.applyParsed(r, ls, lf, end);
        continue;
      }

      // neither a header nor SIP: blank lines are free, anything else is unrecognised
      let blank = true;
      for (let i = ls; i < ce; i++) {
        const c = buf[i];
        if (c !== 0x20 && c !== 0x09) {
          blank = false;
          break;
        }
      }
      if (!blank) this.tally.unrecognizedBytes += Math.min(lf + 1, end) - ls;
      pos = lf + 1;
    }
    if (final) {
      // the dumped packets' TCP streams first: they hand what they hold to the framer
      this.packets?.end();
      // in an ngrep log of a cut capture, a message held at the end with its header section open, in a segment as
      // long as the cut ones, was cut too
      if (this.ngrepFlows.size > 0)
        for (let n = this.framer.cutOpenHeaders((flow) => this.isCapped(flow)); n > 0; n--)
          this.tally.anomaly('truncated-capture');
      this.framer.end();
    }
    return end;
  }

  private applyParsed(r: ReturnType<typeof parseMessage>, ls: number, lf: number, end: number): number {
    if (r.kind === 'message') {
      if (this.meta === UNKNOWN_META) this.tally.formats.add('sip');
      if (r.anomaly) this.tally.anomaly(r.anomaly);
      this.counter.message(r.msg, this.meta === UNKNOWN_META ? this.timed(UNKNOWN_META, ls) : this.meta);
      // a log header describes the one message after it; bare SIP that follows is not its message, and none at all
      // in the rest of a UDP datagram's entry
      this.inDatagramRest = this.entryClosed && this.meta !== UNKNOWN_META && this.meta.transport === 'udp';
      this.meta = UNKNOWN_META;
      return Math.max(r.end, ls + 1);
    }
    if (r.kind === 'bad-start-line') {
      this.tally.anomaly(r.anomaly);
      this.tally.unrecognizedBytes += r.end - ls;
      return r.end;
    }
    if (r.kind === 'headerless') {
      this.tally.unrecognizedBytes += r.end - ls;
      return Math.max(r.end, ls + 1);
    }
    this.tally.unrecognizedBytes += Math.min(lf + 1, end) - ls;
    return lf + 1;
  }

  /**
   * A printed TCP segment the snaplen cut, read as tshark dissects it (and as pcap/tcp-reassembly.ts `deliver` reads a
   * capture's): on its own. A message it completes or continues is lost with it; one it begins counts as far as it
   * was captured; what follows in the flow starts afresh.
   */
  private cutSegment(flow: string, buf: Buffer, start: number, end: number, meta: PayloadMeta): void {
    this.tally.anomaly('truncated-capture');
    if (this.framer.held(flow) > 0) {
      this.framer.resetFlow(flow);
      this.tally.unrecognizedBytes += end - start;
      return;
    }
    this.framer.stream(flow, buf, start, end, meta, PLAIN);
    if (this.framer.held(flow) === end - start) this.framer.cutFlow(flow);
    else this.framer.resetFlow(flow);
  }

  /**
   * ngrep prints no payload length, so a TCP segment the snaplen (or -S) cut shows only as the next segment of its flow
   * starting a message inside the held one's header section (framer.startsAfterCut); the held one then counts as far
   * as printed, as tshark counts a cut segment. A segment the capture lost looks the same, so a cut is taken only where
   * the held message's last segment is its flow's longest so far and of a length at least three segments of the log
   * had: a capture's snaplen cuts every longer segment to one length (per address family and TCP options).
   */
  private ngrepSegment(flow: string, buf: Buffer, start: number, end: number, dotCR: boolean): void {
    if (this.isCapped(flow) && this.framer.startsAfterCut(flow, buf, start, end, dotCR)) {
      this.tally.anomaly('truncated-capture');
      this.framer.cutFlow(flow);
    }
    const length = end - start;
    if (this.ngrepLengths.size >= MAX_FLOWS) this.ngrepLengths.clear();
    this.ngrepLengths.set(length, (this.ngrepLengths.get(length) ?? 0) + 1);
    if (this.ngrepFlows.size >= MAX_FLOWS) this.ngrepFlows.clear();
    const f = this.ngrepFlows.get(flow);
    if (f === undefined) this.ngrepFlows.set(flow, { last: length, longest: length });
    else {
      f.last = length;
      f.longest = Math.max(f.longest, length);
    }
  }

  /** Whether an ngrep flow's last segment looks cut to the capture's snaplen (ngrepSegment). */
  private isCapped(flow: string): boolean {
    const f = this.ngrepFlows.get(flow);
    return f !== undefined && f.last === f.longest && (this.ngrepLengths.get(f.last) ?? 0) >= MIN_CAPPED_SEGMENTS;
  }

  /** The header's meta with the time of its line's logger prefix, when the header printed none itself. */
  private timed(meta: PayloadMeta, ls: number): PayloadMeta {
    if (this.lineTimes === undefined || meta.timeMs !== undefined || meta.stamp !== undefined) return meta;
    const stamp = this.lineTimes.at(this.viewBase + ls);
    if (stamp === undefined) return meta;
    return payloadMeta(meta.transport, meta.src, meta.dst, meta.timeMs, stamp, meta.srcId, meta.dstId);
  }

  private apply(m: HeaderMatch, ls: number): void {
    this.tally.formats.add(m.format);
    this.inDatagramRest = false;
    switch (m.kind) {
      case 'inline': {
        this.entryClosed = this.closedFormats.has(m.format);
        const t = this.timed(m.meta, ls);
        this.meta = refillMeta(this.kept, t.transport, t.src, t.dst, t.timeMs, t.stamp, t.srcId, t.dstId);
        return;
      }
      case 'datagram':
        if (m.quoted === true) {
          this.quotedFramer ??= new SipFramer(quotedMessageEvents(this.tally, this.counter.clock));
          this.quotedFramer.datagram(
            m.payloadBuf,
            m.payloadStart,
            m.payloadEnd,
            this.timed(m.meta, ls),
            styleOf(m.dotCR),
          );
          return;
        }
        // a datagram the snaplen cut is read as far as it was captured, as a capture's (pcap/packet-decoder.ts)
        if (m.cut === true) this.tally.anomaly('truncated-capture');
        this.framer.datagram(
          m.payloadBuf,
          m.payloadStart,
          m.payloadEnd,
          this.timed(m.meta, ls),
          styleOf(m.dotCR),
          undefined,
          this.packetFormats.has(m.format),
        );
        return;
      case 'stream': {
        const meta = this.timed(m.meta, ls);
        const flow = m.flow ?? '';
        if (m.gap === true) {
          // a lost segment: the message it cut is not counted, as a capture's (pcap/tcp-reassembly.ts)
          this.tally.anomaly('stream-gap');
          this.framer.resetFlow(flow);
        }
        if (m.cut === true) {
          this.cutSegment(flow, m.payloadBuf, m.payloadStart, m.payloadEnd, meta);
          return;
        }
        if (m.format === 'ngrep') this.ngrepSegment(flow, m.payloadBuf, m.payloadStart, m.payloadEnd, m.dotCR);
        this.framer.stream(flow, m.payloadBuf, m.payloadStart, m.payloadEnd, meta, styleOf(m.dotCR));
        return;
      }
      case 'packet': {
        // a hex dump's packet: decoded down to UDP and TCP as a capture's, with the text log's framer
        this.packets ??= new PacketDecoder(this.framer, this.tally, this.counter);
        let iface = this.interfaces.get(m.linkType);
        if (iface === undefined) {
          iface = { linkType: m.linkType, unsupportedReported: false };
          this.interfaces.set(m.linkType, iface);
        }
        const stamp = m.timeMs === undefined ? (m.stamp ?? this.timed(UNKNOWN_META, ls).stamp) : undefined;
        const length = m.originalLength ?? m.payloadEnd - m.payloadStart;
        this.packets.packet(iface, m.payloadBuf, m.payloadStart, m.payloadEnd, length, m.timeMs, stamp);
        return;
      }
      case 'record':
        this.counter.accounted(m.record);
        return;
      case 'skip':
        if (m.anomaly !== undefined) this.tally.anomaly(m.anomaly);
        return;
    }
  }

  private markerAt(i: number, buf: Buffer, ls: number, le: number): boolean {
    const base = this.viewBase;
    let p = this.markerPos[i] ?? NOT_KNOWN;
    if (p < base + ls) {
      const marker = this.markers[i] as Buffer;
      const from = Math.max(ls, (this.markerFrom[i] ?? 0) - base);
      const found = buf.indexOf(marker, from);
      if (found < 0) {
        p = Number.POSITIVE_INFINITY;
        // a marker may start in the last bytes and end past the view
        this.markerFrom[i] = base + Math.max(from, buf.length - marker.length + 1);
      } else p = base + found;
      this.markerPos[i] = p;
    }
    return p < base + le;
  }

  /** The smallest marker position known, after every markerAt of a line. */
  private settleMarkers(): void {
    let nearest = Number.POSITIVE_INFINITY;
    for (const p of this.markerPos) if (p < nearest) nearest = p;
    this.nearestMarker = nearest;
  }

  private matchHeader(buf: Buffer, ls: number, lf: number, end: number): HeaderMatch | null | typeof NEED_MORE {
    if (this.nearestMarker < this.viewBase + lf) {
      for (let i = 0; i < this.markerReaders.length; i++) {
        if (!this.markerAt(i, buf, ls, lf)) continue;
        const m = (this.markerReaders[i] as TextFormatReader).match(buf, ls, lf, end, this.ctx);
        if (m !== null) return m;
      }
      this.settleMarkers();
    }
    const first = buf[ls] ?? 0;
    if (this.mayStart[(first << 8) | (buf[ls + 1] ?? 0)] === 0) return null;
    const candidates = this.byFirstByte[first];
    if (candidates === undefined || candidates.length === 0) return null;
    for (const r of candidates) {
      const m = r.match(buf, ls, lf, end, this.ctx);
      if (m !== null) return m;
    }
    return null;
  }

  /** Whether [ls, le) is a header line of any format (a body never runs across one). */
  private isHeaderLine(buf: Buffer, ls: number, le: number): boolean {
    if (this.nearestMarker < this.viewBase + le) {
      for (let i = 0; i < this.markerReaders.length; i++) {
        if (this.markerAt(i, buf, ls, le) && (this.markerReaders[i] as TextFormatReader).isHeader(buf, ls, le))
          return true;
      }
      this.settleMarkers();
    }
    const first = buf[ls] ?? 0;
    if (this.mayStart[(first << 8) | (buf[ls + 1] ?? 0)] === 0) return false;
    const candidates = this.byFirstByte[first];
    if (candidates === undefined) return false;
    for (const r of candidates) if (r.isHeader(buf, ls, le)) return true;
    return false;
  }
}
