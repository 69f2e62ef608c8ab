import type { LineTimes } from './log-prefix.js';
import type { LogStamp } from './log-stamp.js';
import { TimeMarks } from './time-marks.js';

const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/**
 * A text stream rewritten line by line before it is read (logger prefixes cut, JSON objects opened), with the times
 * its lines printed kept by offset in the rewritten text. Each line is rewritten from its own bytes alone, so the
 * output is the same however the input was cut into chunks; a line longer than `maxLineBytes` is passed on in parts
 * (`midLine` says the next part continues one), so memory stays bounded.
 */
export abstract class LineRewriter implements LineTimes {
  private carry: Buffer = EMPTY;
  /** The line being passed on continues one whose start was already passed on (too long to hold). */
  protected midLine = false;
  /** Bytes of rewritten text passed on so far. */
  protected outOffset = 0;
  protected readonly times = new TimeMarks();

  constructor(private readonly maxLineBytes: number) {}

  /** Passes the stream on, rewritten. */
  async *rewrite(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      const out = this.feed(chunk, false);
      if (out.length > 0) yield out;
    }
    const out = this.feed(EMPTY, true);
    if (out.length > 0) yield out;
  }

  at(offset: number): LogStamp | undefined {
    return this.times.at(offset);
  }

  release(offset: number): void {
    this.times.release(offset);
  }

  /** Rewrites the line [ls, end) of `buf` (its LF included, when it has one) into `parts`, counting outOffset. */
  protected abstract line(buf: Buffer, ls: number, end: number, parts: Buffer[]): void;

  /** Bytes at the end of [from, end) a too-long line's cut must hold back for its next part (an escape it would split). */
  protected heldAtCut(_buf: Buffer, _from: number, _end: number): number {
    return 0;
  }

  /** What the rewritten text gets once the input has ended. */
  protected ended(_parts: Buffer[]): void {}

  /** Passes a rewritten text on, counted. */
  protected emit(text: Buffer, parts: Buffer[]): void {
    parts.push(text);
    this.outOffset += text.length;
  }

  private feed(chunk: Buffer, final: boolean): Buffer {
    const buf = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const parts: Buffer[] = [];
    let ls = 0;
    for (;;) {
      const lf = buf.indexOf(LF, ls);
      if (lf < 0) break;
      this.line(buf, ls, lf + 1, parts);
      ls = lf + 1;
    }
    const rest = buf.subarray(ls);
    if (final || rest.length > this.maxLineBytes) {
      // a line too long to hold is passed on in part
      const held = final ? 0 : this.heldAtCut(buf, ls, buf.length);
      if (rest.length > held) this.line(buf, ls, buf.length - held, parts);
      this.carry = held === 0 ? EMPTY : Buffer.from(buf.subarray(buf.length - held));
      this.midLine = !final && rest.length > 0;
    } else {
      this.carry = rest.length === 0 ? EMPTY : Buffer.from(rest);
    }
    if (final) this.ended(parts);
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }
}
