/**
 * The bytes of an identity table's keys (identity-key.ts), in pages of PAGE_BYTES. A single array that doubled as
 * it filled held up to twice the bytes of its keys, and each doubling copied every key into a fresh array and left
 * the old one to the GC: at the bound of 100,000 transactions that was 16 MB held for 9 MB of keys, an 8 MB copy,
 * and 8 MB of garbage counted in the peak RSS. Pages hold the keys and the unused ends of their pages (at most half a page per page, for keys just over half a page long); nothing moves.
 *
 * A key never spans two pages (a key longer than a page gets a page of its own), so a key is one place: its page
 * times PAGE_BYTES plus its offset, an int32 like the rest of a table row.
 */

const PAGE_BITS = 18;
/** 256 KiB: small next to a table at its bound, and a small log's tables stay small. */
const PAGE_BYTES = 1 << PAGE_BITS;
const OFFSET_MASK = PAGE_BYTES - 1;
/** Pages a location in an int32 row can name (2 GiB of keys); past it a location would wrap to another page. */
export const MAX_PAGES = 2 ** (31 - PAGE_BITS);

export class KeyArena {
  private pages: Uint8Array[] = [];
  /** The page being filled (its index; -1 before the first), and how much of it is used. */
  private tail = -1;
  private tailUsed = 0;

  /** Copies bytes[0, length) into the arena; returns where they start. */
  store(bytes: Uint8Array, length: number): number {
    return this.put(bytes, 0, length);
  }

  /** Copies the key at `at` (length bytes) of another arena into this one; returns where it starts here. */
  copyFrom(from: KeyArena, at: number, length: number): number {
    return this.put(from.pages[at >>> PAGE_BITS] as Uint8Array, at & OFFSET_MASK, length);
  }

  /** Whether the key stored at `at` is bytes[0, length) (the caller knows its stored length is `length`). */
  equals(at: number, bytes: Uint8Array, length: number): boolean {
    const page = this.pages[at >>> PAGE_BITS] as Uint8Array;
    const start = at & OFFSET_MASK;
    for (let k = 0; k < length; k++) if (page[start + k] !== bytes[k]) return false;
    return true;
  }

  /** Forgets every key, keeping the full-size pages for the keys to come. */
  clear(): void {
    this.pages = this.pages.filter((p) => p.length === PAGE_BYTES);
    this.tail = -1;
    this.tailUsed = 0;
  }

  /** Bytes allocated for keys (for tests of the bound). */
  get bytesHeld(): number {
    let n = 0;
    for (const p of this.pages) n += p.length;
    return n;
  }

  /** Copies source[start, start + length) into the arena; returns where it lands. */
  private put(source: Uint8Array, start: number, length: number): number {
    let page: Uint8Array;
    let index: number;
    let at = 0;
    if (length > PAGE_BYTES) {
      // a page of its own at the end; the tail page keeps filling (a later tail skips this page)
      page = new Uint8Array(length);
      this.addPage(page);
      index = this.pages.length - 1;
    } else {
      if (this.tail < 0 || this.tailUsed + length > PAGE_BYTES) this.nextTail();
      index = this.tail;
      page = this.pages[index] as Uint8Array;
      at = this.tailUsed;
      this.tailUsed = at + length;
    }
    // a loop, not page.set(source.subarray(...)): a subarray is an object per stored key
    for (let k = 0; k < length; k++) page[at + k] = source[start + k] ?? 0;
    return index * PAGE_BYTES + at;
  }

  /** Adds a page, failing loudly rather than letting a location wrap to another page (which would merge two keys). */
  private addPage(page: Uint8Array): void {
    if (this.pages.length >= MAX_PAGES) throw new RangeError(`identity keys past ${MAX_PAGES} pages (2 GiB)`);
    this.pages.push(page);
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
