import type { LineTimes } from './log-prefix.js';
import type { LogStamp } from './log-stamp.js';
import { TimeMarks } from './time-marks.js';

const EMPTY = Buffer.alloc(0);

/**
 * A text stream rewritten before it is read (logger prefixes cut, JSON records or journal entries opened), with the
 * times its records printed kept by offset in the rewritten text, for the scanner to ask. A rewriter decides from
 * the bytes alone, so the output is the same however the input was cut into chunks.
 */
export abstract class RewrittenText implements LineTimes {
  /** Records too long to read (the scan reports them as `message-too-large`). */
  oversized = 0;
  /** Bytes of rewritten text passed on so far. */
  protected outOffset = 0;
  protected readonly times = new TimeMarks();

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

  /** Rewrites a chunk (and what it held back, when `final`); returns the text it completed. */
  protected abstract feed(chunk: Buffer, final: boolean): Buffer;

  /** Passes a text on, counted. */
  protected emit(text: Buffer, parts: Buffer[]): void {
    parts.push(text);
    this.outOffset += text.length;
  }

  /** Passes a record's text on, at the record's time. */
  protected emitTimed(text: Buffer, stamp: LogStamp | undefined, parts: Buffer[]): void {
    this.times.pushIfChanged(this.outOffset, stamp);
    this.emit(text, parts);
  }
}
