/**
 * A search for a fixed byte string that a reader repeats from line after line of the same buffer, with a bound
 * on how far the match may lie. buf.indexOf cannot stop at a bound: when the string is missing it searches to
 * the end of the buffer, once per line, which is quadratic in the lines (a jain-sip-xml `<message` line with no
 * CDATA after it cost a 4 MiB search per line). This one searches [from, to) only, and remembers what its last
 * search saw of the buffer, so a later search from further on (the next line) reads only bytes it never read.
 * It relies on the buffer not changing while it is the same object: the text scanner hands each scan a fresh view
 * of its carry buffer and writes nothing into it during the scan.
 */
export class ForwardSearch {
  private buf: Buffer | undefined;
  /** The last search: the first match at or after `from` that lies whole in [from, to) is `found` (-1: none). */
  private from = 0;
  private to = 0;
  private found = -1;

  constructor(private readonly needle: Buffer) {}

  /** The first offset at or after `from` where the needle starts and lies whole before `to`, or -1. */
  find(buf: Buffer, from: number, to: number): number {
    const n = this.needle.length;
    const end = Math.min(to, buf.length);
    if (buf === this.buf && from >= this.from) {
      // no match starts in [this.from, this.found) (or in [this.from, this.to - n] when none was found)
      if (this.found >= from) return this.found + n <= end ? this.found : -1;
      if (this.found < 0) {
        if (end <= this.to) return -1;
        // only the bytes past the last search's end (and the needle's length before it) are new
        const resume = Math.max(from, this.to - n + 1);
        return this.search(buf, from, resume, end);
      }
    }
    return this.search(buf, from, from, end);
  }

  /** Searches [at, end) and remembers it as a search of [from, end). */
  private search(buf: Buffer, from: number, at: number, end: number): number {
    const i = at < end ? buf.subarray(at, end).indexOf(this.needle) : -1;
    this.buf = buf;
    this.from = from;
    this.to = end;
    this.found = i < 0 ? -1 : at + i;
    return this.found;
  }
}
