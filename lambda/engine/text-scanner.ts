import type { HeaderMatch, MatchContext, TextFormatReader } from './formats/text-format.js';
import { NEED_MORE } from './formats/text-format.js';
import type { MessageCounter } from './message-counter.js';
import type { SipFramer } from './sip-framer.js';
import { identityFor, type LineFence, lineContentEnd, parseMessage, startLineKind } from './sip-message.js';
import type { Tally } from './tally.js';
import type { PayloadMeta } from './types.js';

/**
 * Walks a text log line by line and hands each part to the right place: format header lines to
 * their reader, SIP messages (framed by Content-Length, so a status line inside a body is never
 * seen as a line) to the counter, everything else to the unrecognised-bytes counter. Any format
 * may follow any other, so concatenated logs of different tools work.
 */

const LF = 0x0a;

/** A line longer than this is not a log line; it is skipped and counted. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** A message still incomplete after this many bytes is framed as cut instead of waited for. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/**
 * How far past a header line a format reader may look to find its block (above the readers' own
 * block limits, 512 KiB at most). A reader is shown at most this much, and told the input ends
 * there when it goes on: its verdict then depends on the bytes alone, never on how much of them
 * one chunk happened to hold. It is also how far the scanner must read ahead of a header line.
 */
export const MAX_BLOCK_BYTES = 1024 * 1024;

const UNKNOWN_META: PayloadMeta = { transport: 'unknown' };

/**
 * Push parser over text: `feed(chunk)` as bytes arrive, `end()` once. It owns the bytes carried
 * from one chunk to the next. Every limit (line length, message size, look-ahead of a reader) is
 * measured from a position in the stream, so the counts are the same however the input is cut.
 */
export class TextScanner {
  /** Bytes fed but not consumed yet, in arrival order. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of `pending` that a previous pass already saw without being able to decide. */
  private undecidedBytes = 0;
  private readonly byFirstByte: TextFormatReader[][] = Array.from({ length: 256 }, () => []);
  private readonly markerReaders: TextFormatReader[];
  private readonly markers: Buffer[];
  private markerPos: number[];
  private meta: PayloadMeta = UNKNOWN_META;
  private skippingLongLine = false;
  private final = false;
  private readonly ctx: MatchContext;
  private readonly fence: LineFence;

  constructor(
    readers: readonly TextFormatReader[],
    private readonly framer: SipFramer,
    private readonly counter: MessageCounter,
    private readonly tally: Tally,
  ) {
    for (const r of readers) {
      if (r.marker !== undefined) continue;
      for (const ch of r.firstBytes) this.byFirstByte[ch.charCodeAt(0)]?.push(r);
    }
    this.markerReaders = readers.filter((r) => r.marker !== undefined);
    this.markers = this.markerReaders.map((r) => Buffer.from(r.marker ?? '', 'latin1'));
    this.markerPos = this.markers.map(() => -1);
    this.fence = (buf, ls, le) => this.isHeaderLine(buf, ls, le);
    const self = this;
    this.ctx = {
      get final() {
        return self.final;
      },
      isHeaderLine: this.fence,
    };
  }

  /** Scans the next chunk of input (or keeps it until enough has come to decide). */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Re-reading the undecided bytes costs their length: wait until as many new bytes have come,
    // so a message that spans many small chunks costs linear time, not quadratic.
    if (this.pendingBytes - this.undecidedBytes < this.undecidedBytes) return;
    this.drain(false, true);
  }

  /** No more input: decides everything that is left. `flushFlows` false leaves TCP flows open (earlier segment of a parallel scan). */
  end(flushFlows = true): void {
    this.drain(true, flushFlows);
  }

  private drain(final: boolean, flushFlows: boolean): void {
    const buf =
      this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    const used = this.process(buf, final, flushFlows);
    if (used >= buf.length) {
      this.pending = [];
      this.pendingBytes = 0;
      this.undecidedBytes = 0;
      return;
    }
    const rest = buf.subarray(used);
    this.pending = [rest];
    this.pendingBytes = rest.length;
    this.undecidedBytes = rest.length;
  }

  /**
   * Scans buf[0, buf.length). Returns the number of bytes consumed; drain() keeps the rest and
   * passes it again, followed by more input. With `final`, everything is consumed and (unless
   * `flushFlows` is false, for the earlier segment of a parallel scan) open TCP flows are ended.
   */
  private process(buf: Buffer, final: boolean, flushFlows = true): number {
    this.final = final;
    this.markerPos = this.markers.map(() => -1);
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
      let lf = buf.indexOf(LF, ls);
      if (lf < 0) {
        if (!final) {
          if (end - ls > MAX_LINE_BYTES) {
            this.tally.anomaly('line-too-long');
            this.tally.unrecognizedBytes += end - ls;
            this.skippingLongLine = true;
            return end;
          }
          return ls;
        }
        lf = end;
      }
      if (lf - ls > MAX_LINE_BYTES) {
        // the same verdict as when the line arrives in pieces (above): too long, whatever it holds
        this.tally.anomaly('line-too-long');
        this.tally.unrecognizedBytes += Math.min(lf + 1, end) - ls;
        pos = lf + 1;
        continue;
      }

      // A reader decides only when it sees exactly MAX_BLOCK_BYTES (and is told the input ends
      // there) or all the rest of the input: its verdict is then a function of the bytes alone,
      // whether they came in one chunk or many (readers cut over-long blocks at their own limits).
      const blockCapped = end - ls >= MAX_BLOCK_BYTES;
      const blockEnd = blockCapped ? ls + MAX_BLOCK_BYTES : end;
      this.final = final || blockCapped;
      let m = this.matchHeader(buf, ls, lf, blockEnd, this.final);
      this.final = final;
      if (m === NEED_MORE) {
        if (!final && !blockCapped) return ls;
        m = null;
      }
      if (m !== null) {
        this.apply(m);
        pos = m.next;
        continue;
      }

      const ce = lineContentEnd(buf, ls, lf, false);
      if (startLineKind(buf, ls, ce) !== null) {
        const identity = identityFor(this.meta);
        // a message may span at most MAX_PENDING_BYTES from its start line, wherever chunks end
        const capped = end - ls >= MAX_PENDING_BYTES;
        const limit = capped ? ls + MAX_PENDING_BYTES : end;
        const opts = { dotCR: false, fence: this.fence, identity, maxEnd: ls + MAX_PENDING_BYTES };
        const r = parseMessage(buf, ls, limit, { ...opts, complete: final && !capped });
        if (r.kind === 'incomplete') {
          if (!capped) return ls;
          this.tally.anomaly('message-too-large');
          const forced = parseMessage(buf, ls, limit, { ...opts, complete: true });
          pos = this.applyParsed(forced, ls, lf, limit);
          continue;
        }
        pos = this.applyParsed(r, ls, lf, limit);
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
    if (final && flushFlows) this.framer.end();
    return end;
  }

  private applyParsed(r: ReturnType<typeof parseMessage>, ls: number, lf: number, end: number): number {
    if (r.kind === 'message') {
      if (this.meta === UNKNOWN_META) this.tally.formats.add('sip');
      if (r.anomaly) this.tally.anomaly(r.anomaly);
      this.counter.message(r.msg, this.meta);
      // a log header describes the one message after it; bare SIP that follows is not its message
      this.meta = UNKNOWN_META;
      return Math.max(r.end, ls + 1);
    }
    if (r.kind === 'bad-start-line') {
      this.tally.anomaly(r.anomaly);
      this.tally.unrecognizedBytes += r.end - ls;
      return r.end;
    }
    this.tally.unrecognizedBytes += Math.min(lf + 1, end) - ls;
    return lf + 1;
  }

  private apply(m: HeaderMatch): void {
    this.tally.formats.add(m.format);
    switch (m.kind) {
      case 'inline':
        this.meta = m.meta;
        return;
      case 'datagram':
        this.framer.datagram(m.payloadBuf, m.payloadStart, m.payloadEnd, m.meta, { dotCR: m.dotCR });
        return;
      case 'stream':
        this.framer.stream(m.flow ?? '', m.payloadBuf, m.payloadStart, m.payloadEnd, m.meta, { dotCR: m.dotCR });
        return;
      case 'record':
        this.counter.accounted(m.record);
        return;
      case 'skip':
        return;
    }
  }

  private markerAt(i: number, buf: Buffer, ls: number, le: number): boolean {
    let p = this.markerPos[i] ?? -1;
    if (p < ls) {
      const found = buf.indexOf(this.markers[i] as Buffer, ls);
      p = found < 0 ? Number.POSITIVE_INFINITY : found;
      this.markerPos[i] = p;
    }
    return p < le;
  }

  private matchHeader(
    buf: Buffer,
    ls: number,
    lf: number,
    end: number,
    decisive: boolean,
  ): HeaderMatch | null | typeof NEED_MORE {
    for (let i = 0; i < this.markerReaders.length; i++) {
      if (!this.markerAt(i, buf, ls, lf)) continue;
      if (!decisive) return NEED_MORE;
      const m = (this.markerReaders[i] as TextFormatReader).match(buf, ls, lf, end, this.ctx);
      if (m !== null) return m;
    }
    const candidates = this.byFirstByte[buf[ls] ?? 0];
    if (candidates === undefined || candidates.length === 0) return null;
    if (!decisive) return NEED_MORE;
    for (const r of candidates) {
      const m = r.match(buf, ls, lf, end, this.ctx);
      if (m !== null) return m;
    }
    return null;
  }

  /** Whether [ls, le) is a header line of any format (a body never runs across one). */
  private isHeaderLine(buf: Buffer, ls: number, le: number): boolean {
    for (let i = 0; i < this.markerReaders.length; i++) {
      if (this.markerAt(i, buf, ls, le) && (this.markerReaders[i] as TextFormatReader).isHeader(buf, ls, le))
        return true;
    }
    const candidates = this.byFirstByte[buf[ls] ?? 0];
    if (candidates === undefined) return false;
    for (const r of candidates) if (r.isHeader(buf, ls, le)) return true;
    return false;
  }
}
