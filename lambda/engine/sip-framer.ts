import {
  identityFor,
  isStartLine,
  type LineFence,
  type LineStyle,
  lineContentEnd,
  type MutableParseOptions,
  parseMessage,
  parseOptions,
  startLineKind,
} from './sip-message.js';
import type { AnomalyKind, PayloadMeta, SipMessage } from './types.js';

/**
 * Turns payloads into SIP messages. Two shapes of payload exist:
 * - a datagram (UDP packet, one log block): self-contained, every message inside it is framed by
 *   Content-Length and a cut one is reported at the end of the datagram;
 * - a stream segment (TCP): appended to its flow's buffer; messages are emitted once complete,
 *   so a message split over segments counts once and a segment holding two counts twice.
 */

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

/** A stream that buffers more than this without a complete message is resynchronised. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Open TCP flows remembered at once; the least recently fed one is flushed past this. */
export const MAX_FLOWS = 20_000;

/** Where framed messages and problems go. */
export interface FramerEvents {
  message(msg: SipMessage, meta: PayloadMeta): void;
  anomaly(kind: AnomalyKind): void;
  /** Bytes that were not part of any SIP message. */
  unrecognized(bytes: number): void;
}

interface Flow {
  /** Storage of the bytes held, [0, len): a message fed in many segments is appended in place, not re-concatenated per segment. */
  buf: Buffer;
  len: number;
  style: LineStyle;
  meta: PayloadMeta;
}

/** tshark 4.0's port for SIP over TCP (packet-sip.c DEFAULT_SIP_PORT_RANGE); other ports reach SIP by heuristics. */
const SIP_TCP_PORT_SUFFIX = ':5060';
/** packet-sip.c dissect_sip_tcp() waits for one more segment for a first line cut short of this many bytes. */
const MAX_WAITED_LINE_BYTES = 1500;

/**
 * Whether a TCP segment ends in [pos, end) with a message's first line cut before its end which tshark gives up on.
 * On port 5060 (dissect_sip_tcp) tshark waits for the next segment when the line is shorter than 1,500 bytes. On any
 * other port (dissect_sip_tcp_heur) it reads the line as it stands at the segment's end (sip_parse_line), and only a
 * status line with its code and the space after it ("SIP/2.0 180 ") or a request line up to its version
 * ("INVITE sip:b@x SIP/2.0") asks TCP for the rest. Anything shorter ("SIP/2.0 180", "INVITE sip:b@127.0.0") is not
 * SIP to it: the segment's SIP ends there, and the next segment, which starts inside the line, is read from its
 * first byte (an INVITE cut after "I" leaves "NVITE sip:b@x SIP/2.0": a request of method NVITE, as tshark counts it).
 */
const cutStartLine = (data: Buffer, pos: number, end: number, dotCR: boolean, meta: PayloadMeta): boolean => {
  if (data.indexOf(LF, pos) >= 0) return false;
  if (
    end - pos < MAX_WAITED_LINE_BYTES &&
    (meta.src?.endsWith(SIP_TCP_PORT_SUFFIX) || meta.dst?.endsWith(SIP_TCP_PORT_SUFFIX))
  )
    return false;
  const kind = startLineKind(data, pos, lineContentEnd(data, pos, end, dotCR));
  return kind !== 'response' && kind !== 'request';
};

/**
 * Whether [0, len) holds a blank line after its first line: LF LF, LF CR LF, or LF '.' LF where '.' is a CR. The
 * search stays within the held bytes: a flow's storage is larger than what it holds.
 */
const headerSectionEnds = (buf: Buffer, len: number, dotCR: boolean): boolean => {
  const held = buf.subarray(0, len);
  let lf = held.indexOf(LF);
  while (lf >= 0 && lf + 1 < len) {
    const c = held[lf + 1];
    if (c === LF) return true;
    if ((c === CR || (dotCR && c === DOT)) && lf + 2 < len && held[lf + 2] === LF) return true;
    lf = held.indexOf(LF, lf + 1);
  }
  return false;
};

/** Storage a flow keeps past this many times what it holds is given back (a flow that held one large message). */
const SHRINK_FACTOR = 4;

const EMPTY = Buffer.alloc(0);

/** g_ascii_isprint: tshark dissects a datagram as SIP only when its first byte is printable (pcap/sip-datagram.ts). */
const isPrintable = (b: number): boolean => b >= 0x20 && b <= 0x7e;

/** Whether a captured datagram [start, end) starts with a start line at its first byte, as tshark requires. */
const startsWithMessage = (buf: Buffer, start: number, end: number, dotCR: boolean): boolean => {
  if (start >= end || !isPrintable(buf[start] ?? 0)) return false;
  let lf = start;
  while (lf < end && buf[lf] !== LF) {
    if (buf[lf] === 0) return false;
    lf++;
  }
  return isStartLine(buf, start, lf, dotCR);
};

/** Skips blank lines (and ngrep's lone '.' lines); returns the offset of the first other line. */
export const skipBlankLines = (buf: Buffer, pos: number, end: number, dotCR: boolean): number => {
  let p = pos;
  while (p < end) {
    let e = buf.indexOf(LF, p);
    if (e < 0 || e >= end) e = end;
    const ce = lineContentEnd(buf, p, e, dotCR);
    for (let i = p; i < ce; i++) {
      const c = buf[i];
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return p;
    }
    p = e + 1;
  }
  return end;
};

/** Offset of the next line (at or after `pos`, which must be a line start) that is a SIP start line, or `end`. */
export const findStartLine = (buf: Buffer, pos: number, end: number, dotCR: boolean): number => {
  let p = pos;
  while (p < end) {
    let e = buf.indexOf(LF, p);
    if (e < 0 || e >= end) e = end;
    if (isStartLine(buf, p, e, dotCR)) return p;
    p = e + 1;
  }
  return end;
};

const SIP_VERSION_SP = Buffer.from('SIP/2.0 ', 'latin1');

/** Whether [start, end) is the first bytes of "SIP/2.0 " and no more (at least "SIP"), a status line cut short. */
const isStatusLinePrefix = (buf: Buffer, start: number, end: number): boolean => {
  const n = end - start;
  if (n < 3 || n >= SIP_VERSION_SP.length) return false;
  for (let i = 0; i < n; i++) if (buf[start + i] !== SIP_VERSION_SP[i]) return false;
  return true;
};

/** Frames SIP messages out of datagrams and stream segments. */
export class SipFramer {
  private readonly flows = new Map<string, Flow>();
  /** Flows holding bytes of a message not complete yet. */
  private partialFlows = 0;

  constructor(private readonly events: FramerEvents) {}

  /** Whether some TCP flow holds part of a message (a scan cannot restart here with fresh state). */
  get holdsPartialStream(): boolean {
    return this.partialFlows > 0;
  }

  /** Options of the datagram parses: one object for all (parseMessage keeps none of it). */
  private readonly datagramOpts: MutableParseOptions = parseOptions({ dotCR: false, complete: true, identity: 'full' });
  /** Options of the stream parses, likewise. */
  private readonly streamOpts: MutableParseOptions = parseOptions({ dotCR: false, complete: false, identity: 'full' });

  /** The flow holds [0, len) of `buf` (EMPTY and 0 when it holds nothing). */
  private hold(f: Flow, buf: Buffer, len: number): void {
    this.partialFlows += (len > 0 ? 1 : 0) - (f.len > 0 ? 1 : 0);
    f.buf = buf;
    f.len = len;
  }

  /**
   * Frames the messages of a self-contained payload [start, end) a text log printed. A UDP datagram's first message
   * only, as tshark and a capture's datagrams count it (pcap/sip-datagram.ts): bytes past its Content-Length (a body
   * longer than it says, a quoted status line in it) are no message to tshark. Other blocks (a log entry of a
   * stream, a transport not named) count every message. `packet`: the datagram is a captured packet's bytes (tcpdump,
   * ngrep), read as tshark reads a capture's (pcap/sip-datagram.ts): a message counts only when it starts at the first
   * byte (no blank line before it, a start line tshark accepts), and nothing after the first is read.
   */
  datagram(
    buf: Buffer,
    start: number,
    end: number,
    meta: PayloadMeta,
    style: LineStyle,
    fence?: LineFence,
    packet = false,
  ): void {
    const firstOnly = meta.transport === 'udp';
    if (firstOnly && packet && !startsWithMessage(buf, start, end, style.dotCR)) {
      // blank lines (a keep-alive, RFC 5626 §3.5.1) are no unrecognised text, as around the messages of other blocks
      const text = skipBlankLines(buf, start, end, style.dotCR);
      if (text < end) this.events.unrecognized(end - text);
      // a status line the input's end cut ("SIP/2.", head -c of a trace): say so, as for a message cut later
      if (text < end && isStatusLinePrefix(buf, text, end)) this.events.anomaly('truncated-status-line');
      return;
    }
    let pos = start;
    const opts = this.datagramOpts;
    opts.dotCR = style.dotCR;
    opts.fence = fence;
    opts.identity = identityFor(meta);
    while (pos < end) {
      pos = skipBlankLines(buf, pos, end, style.dotCR);
      if (pos >= end) break;
      const r = parseMessage(buf, pos, end, opts);
      if (r.kind === 'message') {
        if (r.anomaly) this.events.anomaly(r.anomaly);
        this.events.message(r.msg, meta);
        pos = r.end;
        if (firstOnly) {
          // blank lines after it are no unrecognised text, as between the messages of other blocks
          const rest = skipBlankLines(buf, pos, end, style.dotCR);
          if (rest < end) this.events.unrecognized(end - rest);
          return;
        }
      } else if (r.kind === 'bad-start-line') {
        this.events.anomaly(r.anomaly);
        this.events.unrecognized((firstOnly && packet ? end : r.end) - pos);
        if (firstOnly && packet) return;
        pos = r.end;
      } else if (firstOnly && packet) {
        this.events.unrecognized(end - pos);
        return;
      } else {
        // not SIP here: skip to the next start line inside the datagram
        const nl = buf.indexOf(LF, pos);
        const next = nl < 0 || nl >= end ? end : findStartLine(buf, nl + 1, end, style.dotCR);
        this.events.unrecognized(next - pos);
        pos = next;
      }
    }
  }

  /** Appends a stream segment [start, end) to `flow` and frames what is complete. */
  stream(flow: string, buf: Buffer, start: number, end: number, meta: PayloadMeta, style: LineStyle): void {
    let f = this.flows.get(flow);
    if (f) {
      this.flows.delete(flow); // re-insert: most recently used last
    } else {
      f = { buf: EMPTY, len: 0, style, meta };
      if (this.flows.size >= MAX_FLOWS) {
        const oldest = this.flows.keys().next().value;
        if (oldest !== undefined) this.endFlow(oldest);
      }
    }
    f.meta = meta;
    f.style = style;
    this.flows.set(flow, f);
    const owned = f.len > 0;
    const data = owned ? this.append(f, buf, start, end) : buf.subarray(start, end);
    const used = this.frameStream(data, f, false);
    const rest = data.length - used;
    if (rest > MAX_MESSAGE_BYTES) {
      this.events.anomaly('message-too-large');
      this.events.unrecognized(rest);
      this.hold(f, EMPTY, 0);
      return;
    }
    if (rest === 0) {
      this.hold(f, EMPTY, 0);
    } else if (owned && rest * SHRINK_FACTOR >= f.buf.length) {
      // the flow's own storage: move the unframed tail to its front
      if (used > 0) f.buf.copyWithin(0, used, data.length);
      this.hold(f, f.buf, rest);
    } else {
      // copy: the caller's buffer is reused for the next chunk (and a storage far larger than the tail is let go)
      this.hold(f, Buffer.from(data.subarray(used)), rest);
    }
  }

  /**
   * Appends [start, end) of `buf` to what the flow holds, growing its storage by doubling: each byte
   * is copied O(1) times however many segments a message comes in (concatenating per segment copied
   * the held part again for each one, quadratic in the segments).
   */
  private append(f: Flow, buf: Buffer, start: number, end: number): Buffer {
    const len = f.len + (end - start);
    if (f.buf.length < len) {
      const grown = Buffer.allocUnsafe(Math.max(len, 2 * f.buf.length));
      f.buf.copy(grown, 0, 0, f.len);
      f.buf = grown;
    }
    buf.copy(f.buf, f.len, start, end);
    return f.buf.subarray(0, len);
  }

  /**
   * The flow ended (FIN, RST, end of input): a message still unfinished is not counted ('stream-cut'), as tshark
   * never dissects a PDU whose reassembly did not complete.
   */
  endFlow(flow: string): void {
    const f = this.flows.get(flow);
    if (!f) return;
    this.flows.delete(flow);
    const buffered = f.buf.subarray(0, f.len);
    this.hold(f, EMPTY, 0);
    if (buffered.length > 0) this.frameStream(buffered, f, true, true);
  }

  /** A gap in the stream (a segment that will never come): the unfinished message is not counted ('stream-cut'). */
  resetFlow(flow: string): void {
    this.frameHeld(flow, true);
  }

  /**
   * The capture cut the segment that began the message the flow holds (snaplen): tshark dissects such a segment
   * on its own, so the cut message counts, as far as it was captured.
   */
  cutFlow(flow: string): void {
    this.frameHeld(flow, false);
  }

  /** Frames what the flow holds as all it will ever get, the flow staying open; `dropCut` as in frameStream. */
  private frameHeld(flow: string, dropCut: boolean): void {
    const f = this.flows.get(flow);
    if (f === undefined || f.len === 0) return;
    this.frameStream(f.buf.subarray(0, f.len), f, true, dropCut);
    this.hold(f, EMPTY, 0);
  }

  /**
   * Whether the flow holds a message whose header section has not ended and [start, end) opens with a whole start
   * line: over a connection no message starts inside another's header section, so the one held was cut (a capture's
   * snaplen, ngrep's -S) by a log that does not say so. Its header section cannot hold a start line; a body can (a
   * message/sipfrag NOTIFY), so a message held past its header section is never taken for cut.
   */
  startsAfterCut(flow: string, buf: Buffer, start: number, end: number, dotCR: boolean): boolean {
    const f = this.flows.get(flow);
    if (f === undefined || f.len === 0 || headerSectionEnds(f.buf, f.len, dotCR)) return false;
    const lf = buf.indexOf(LF, start);
    if (lf < 0 || lf >= end || !isStartLine(buf, start, lf, dotCR)) return false;
    // a TCP retransmission of the held message's first segment (ngrep prints every packet) repeats its bytes (after
    // the dots a dotted mode held from the segment before: a CR whose LF this one would have brought)
    let a = start;
    while (a < lf && (buf[a] === DOT || buf[a] === CR)) a++;
    const n = Math.min(f.len, end - a);
    return buf.compare(f.buf, 0, n, a, a + n) !== 0;
  }

  /**
   * Frames every message held with its header section open, in the flows `which` names, as cut (counted as far as
   * held); returns how many flows.
   */
  cutOpenHeaders(which: (flow: string) => boolean): number {
    let n = 0;
    for (const [flow, f] of this.flows) {
      if (f.len === 0 || !which(flow) || headerSectionEnds(f.buf, f.len, f.style.dotCR)) continue;
      this.frameHeld(flow, false);
      n++;
    }
    return n;
  }

  /** Bytes the flow holds: the start of a message not yet complete (0 for a flow not seen). */
  held(flow: string): number {
    return this.flows.get(flow)?.len ?? 0;
  }

  /** Flushes every open flow (end of input). */
  end(): void {
    for (const flow of [...this.flows.keys()]) this.endFlow(flow);
  }

  /**
   * Frames complete messages from the start of `data`; returns the bytes consumed. `complete`: no more bytes will
   * come; then `dropCut` says what becomes of a message they cut: not counted ('stream-cut') or counted as cut.
   */
  private frameStream(data: Buffer, f: Flow, complete: boolean, dropCut = false): number {
    const { dotCR } = f.style;
    const end = data.length;
    let pos = 0;
    while (pos < end) {
      const p = skipBlankLines(data, pos, end, dotCR);
      if (p >= end) {
        // CRLF keep-alives (RFC 5626 §3.5.1) or a partial blank line: nothing to count
        return complete || data.indexOf(LF, pos) >= 0 ? end : pos;
      }
      // a blank line where a message should start ends SIP for the rest of the segment, as it does in tshark
      // (a keep-alive and a message in one segment: the message is not dissected)
      if (p > pos) return this.skip(end, pos);
      const opts = this.streamOpts;
      opts.dotCR = dotCR;
      // a message to drop when cut is parsed as if more could come: 'incomplete' is exactly "cut"
      opts.complete = complete && !dropCut;
      opts.identity = identityFor(f.meta);
      const r = parseMessage(data, pos, end, opts);
      if (r.kind === 'incomplete') {
        if (!complete) return cutStartLine(data, pos, end, dotCR, f.meta) ? this.skip(end, pos) : pos;
        // (parseMessage waits for a whole first line before it looks at it: a cut line that is no start line is garbage)
        const nl = data.indexOf(LF, pos);
        if (nl < 0 && !isStartLine(data, pos, end, dotCR)) return this.skip(end, pos);
        this.events.anomaly('stream-cut');
        this.events.unrecognized(end - pos);
        return end;
      }
      if (r.kind === 'message') {
        if (r.anomaly) this.events.anomaly(r.anomaly);
        this.events.message(r.msg, f.meta);
        pos = r.end;
        continue;
      }
      if (r.kind === 'bad-start-line') {
        this.events.anomaly(r.anomaly);
        this.events.unrecognized(r.end - pos);
        pos = r.end;
        continue;
      }
      // garbage where a message should start (a capture that began mid-message, the bytes after a hole): tshark
      // dissects no more of this segment, and starts again at the next one (the next call: `data` ends with the
      // segment). Resynchronising inside the segment counted messages tshark does not.
      return this.skip(end, pos);
    }
    return end;
  }

  private skip(end: number, pos: number): number {
    this.events.anomaly('stream-garbage');
    this.events.unrecognized(end - pos);
    return end;
  }
}
