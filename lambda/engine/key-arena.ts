/**
 * The entries of an identity table (identity-key.ts): each one record of its fields and its key's bytes, side by
 * side, in pages of PAGE_BYTES. A lookup that finds an entry then reads its key and its fields from one or two
 * cache lines; with the fields in arrays of their own by slot it was one more line per array, and every array was
 * as long as the table (2.6 slots per entry at the bound) where records are as many as the entries.
 *
 * Pages, not one array that doubles: a doubling array held up to twice its bytes, copied everything at each
 * doubling and left the old array to the GC. Pages hold the records and the unused ends of their pages; nothing
 * moves. A record never spans two pages (one longer than a page gets a page of its own), so a record is one place:
 * its page times PAGE_BYTES plus its offset, an int32. Records are 8-byte aligned (their lengths are multiples of 8),
 * so a record's Float64 and Int32 fields are read through views of its page.
 */

const PAGE_BITS = 18;
/** 256 KiB: small next to a table at its bound, and a small log's tables stay small. */
const PAGE_BYTES = 1 << PAGE_BITS;
const OFFSET_MASK = PAGE_BYTES - 1;
/** Pages a location in an int32 can name (2 GiB of records); past it a location would wrap to another page. */
export const MAX_PAGES = 2 ** (31 - PAGE_BITS);

/** n rounded up to a multiple of 4 (a key's part that another follows). */
export const align4 = (n: number): number => (n + 3) & ~3;

/** n rounded up to a multiple of 8 (a record's length). */
export const align8 = (n: number): number => (n + 7) & ~7;

export class KeyArena {
  private pages: Uint8Array[] = [];
  private ints: Int32Array[] = [];
  private floats: Float64Array[] = [];
  /** The page being filled (its index; -1 before the first), and how much of it is used. */
  private tail = -1;
  private tailUsed = 0;

  /** Room for a record of `length` bytes (a multiple of 8), its bytes as a page reused after clear() left them. */
  allocate(length: number): number {
    if (length > PAGE_BYTES) {
      // a page of its own at the end; the tail page keeps filling (a later tail skips this page)
      this.addPage(new Uint8Array(length));
      return (this.pages.length - 1) * PAGE_BYTES;
    }
    if (this.tail < 0 || this.tailUsed + length > PAGE_BYTES) this.nextTail();
    const at = this.tailUsed;
    this.tailUsed = at + length;
    return this.tail * PAGE_BYTES + at;
  }

  /** Copies bytes[0, length) into a record of their own; returns where it starts (for keys alone, and tests). */
  store(bytes: Uint8Array, length: number): number {
    const at = this.allocate(align8(length));
    this.write(at, bytes, length);
    return at;
  }

  /**
   * Copies bytes[0, length) to `at`; with `words` (the same memory as Int32s), four bytes at a time where `at` is
   * 4-byte aligned (a record's key always is).
   */
  write(at: number, bytes: Uint8Array, length: number, words?: Int32Array): void {
    const p = at >>> PAGE_BITS;
    const page = this.pages[p] as Uint8Array;
    const start = at & OFFSET_MASK;
    let k = 0;
    if (words !== undefined && (start & 3) === 0) {
      const ints = this.ints[p] as Int32Array;
      const w = start >>> 2;
      const whole = length >>> 2;
      for (; k < whole; k++) ints[w + k] = words[k] ?? 0;
      k = whole << 2;
    }
    // a loop, not page.set(bytes.subarray(...)): a subarray is an object per stored key
    for (; k < length; k++) page[start + k] = bytes[k] ?? 0;
  }

  /** Copies the record at `at` (length bytes) of another arena into this one, word by word; returns its place. */
  copyFrom(from: KeyArena, at: number, length: number): number {
    // records take whole multiples of 8 bytes: the words up to there are the record's own
    const size = align8(length);
    const to = this.allocate(size);
    const source = from.ints[at >>> PAGE_BITS] as Int32Array;
    const ints = this.ints[to >>> PAGE_BITS] as Int32Array;
    const s = (at & OFFSET_MASK) >>> 2;
    const d = (to & OFFSET_MASK) >>> 2;
    for (let k = 0; k < size >>> 2; k++) ints[d + k] = source[s + k] ?? 0;
    return to;
  }

  /**
   * Whether the bytes at `at` are bytes[0, length) (the caller knows the stored length is `length`); with `words`,
   * compared four bytes at a time where `at` is 4-byte aligned.
   */
  equals(at: number, bytes: Uint8Array, length: number, words?: Int32Array): boolean {
    const p = at >>> PAGE_BITS;
    const page = this.pages[p] as Uint8Array;
    const start = at & OFFSET_MASK;
    let k = 0;
    if (words !== undefined && (start & 3) === 0) {
      const ints = this.ints[p] as Int32Array;
      const w = start >>> 2;
      const whole = length >>> 2;
      for (; k < whole; k++) if (ints[w + k] !== words[k]) return false;
      k = whole << 2;
    }
    for (; k < length; k++) if (page[start + k] !== bytes[k]) return false;
    return true;
  }

  /**
   * Copies source[start, start + length) to `at` (4-byte aligned), four bytes at a time through `view` (a DataView
   * of source): for a key read in place from a message's bytes, with no copy of its own.
   */
  writeSource(at: number, view: DataView, source: Uint8Array, start: number, length: number): void {
    const p = at >>> PAGE_BITS;
    const ints = this.ints[p] as Int32Array;
    const w = (at & OFFSET_MASK) >>> 2;
    const whole = length >>> 2;
    for (let k = 0; k < whole; k++) ints[w + k] = view.getInt32(start + 4 * k, true);
    const page = this.pages[p] as Uint8Array;
    const o = at & OFFSET_MASK;
    for (let k = whole << 2; k < length; k++) page[o + k] = source[start + k] ?? 0;
  }

  /** Whether the bytes at `at` (4-byte aligned) are source[start, start + length), read as writeSource wrote them. */
  equalsSource(at: number, view: DataView, source: Uint8Array, start: number, length: number): boolean {
    const p = at >>> PAGE_BITS;
    const ints = this.ints[p] as Int32Array;
    const w = (at & OFFSET_MASK) >>> 2;
    const whole = length >>> 2;
    for (let k = 0; k < whole; k++) if (ints[w + k] !== view.getInt32(start + 4 * k, true)) return false;
    const page = this.pages[p] as Uint8Array;
    const o = at & OFFSET_MASK;
    for (let k = whole << 2; k < length; k++) if (page[o + k] !== source[start + k]) return false;
    return true;
  }

  /** The Int32 at `at` (4-byte aligned). */
  int(at: number): number {
    return (this.ints[at >>> PAGE_BITS] as Int32Array)[(at & OFFSET_MASK) >>> 2] ?? 0;
  }

  setInt(at: number, value: number): void {
    (this.ints[at >>> PAGE_BITS] as Int32Array)[(at & OFFSET_MASK) >>> 2] = value;
  }

  /** The Float64 at `at` (8-byte aligned). */
  float(at: number): number {
    return (this.floats[at >>> PAGE_BITS] as Float64Array)[(at & OFFSET_MASK) >>> 3] ?? 0;
  }

  setFloat(at: number, value: number): void {
    (this.floats[at >>> PAGE_BITS] as Float64Array)[(at & OFFSET_MASK) >>> 3] = value;
  }

  /** Forgets every record, keeping the full-size pages for the records to come. */
  clear(): void {
    const keep = this.pages.map((p) => p.length === PAGE_BYTES);
    this.pages = this.pages.filter((_, i) => keep[i]);
    this.ints = this.ints.filter((_, i) => keep[i]);
    this.floats = this.floats.filter((_, i) => keep[i]);
    this.tail = -1;
    this.tailUsed = 0;
  }

  /** Bytes allocated for records (for tests of the bound). */
  get bytesHeld(): number {
    let n = 0;
    for (const p of this.pages) n += p.length;
    return n;
  }

  /** Adds a page, failing loudly rather than letting a location wrap to another page (which would merge two keys). */
  private addPage(page: Uint8Array): void {
    if (this.pages.length >= MAX_PAGES) throw new RangeError(`identity keys past ${MAX_PAGES} pages (2 GiB)`);
    this.pages.push(page);
    this.ints.push(new Int32Array(page.buffer, 0, page.length >>> 2));
    this.floats.push(new Float64Array(page.buffer, 0, page.length >>> 3));
  }

  /** Moves the tail to the next full-size page, reusing one kept by clear() or adding one. */
  private nextTail(): void {
    let t = this.tail + 1;
    while (t < this.pages.length && this.pages[t]?.length !== PAGE_BYTES) t++;
    if (t >= this.pages.length) {
      this.addPage(new Uint8Array(PAGE_BYTES));
      t = this.pages.length - 1;
    }
    this.tail = t;
    this.tailUsed = 0;
  }
}
