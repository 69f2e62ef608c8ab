import { grown } from './grown.js';

/**
 * An index remembered per small non-negative number (a name's or a method's number, a tally's peer index): an
 * Int32Array read per lookup where a Map would hash a key. It holds 1 + the index (0: none yet) and grows to the
 * largest number given, so its owner bounds it by bounding the numbers.
 */
export class IndexMemo {
  private known = new Int32Array(16);

  /** The index remembered for `n`, -1 when none yet. */
  get(n: number): number {
    return n < this.known.length ? (this.known[n] ?? 0) - 1 : -1;
  }

  set(n: number, index: number): void {
    this.known = grown(this.known, n + 1, 0);
    this.known[n] = index + 1;
  }
}
