import { RewrittenText } from './rewritten-text.js';

const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/**
 * A text stream rewritten line by line before it is read (logger prefixes cut, JSON objects opened), with the times
 * its lines printed kept by offset in the rewritten text. Each line is rewritten from its own bytes alone, so the
 * output is the same however the input was cut into chunks; a line longer than `maxLineBytes` is passed on in parts
 * (`midLine` says the next part continues one), so memory stays bounded.
 */
export abstract class LineRewriter extends RewrittenText {
  private carry: Buffer = EMPTY;
  /** The line being passed on continues one whose start was already passed on (too long to hold). */
  protected midLine = false;

  constructor(private readonly maxLineBytes: number) {
    super();
  }

  /** Rewrites the line [ls, end) of `buf` (its LF included, when it has one) into `parts`, counting outOffset. */
  protected abstract line(buf: Buffer, ls: number, end: number, parts: Buffer[]): void;

  /** Bytes at the end of [from, end) a too-long line's cut must hold back for its next part (an escape it would split). */
  protected heldAtCut(_buf: Buffer, _from: number, _end: number): number {
    return 0;
  }

  /** What the rewritten text gets once the input has ended. */
  protected ended(_parts: Buffer[]): void {}

  protected feed(chunk: Buffer, final: boolean): Buffer {
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
