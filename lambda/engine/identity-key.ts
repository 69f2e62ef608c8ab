/**
 * The identities the engine looks up once per message (a retransmission's direction, a KPI transaction) as bytes
 * and a 32-bit hash instead of strings. A Map keyed by a string made per message cost a string (and its hash) per
 * message and held every remembered key as a heap string through each young-generation GC; issue 17 profiled them
 * at a fifth of a text scan.
 *
 * An IdentityKey is assembled per message in one reused byte array from length-prefixed parts (so two different
 * sequences of parts never give the same bytes). An IdentityGeneration is an open-addressing hash table (linear
 * probing) over typed arrays: it keeps each key's bytes in an arena and compares them exactly on a hash match, so
 * two identities that share a hash stay two entries (a collision never merges two calls). Its owner's fields for an
 * entry lie beside the key, in the same record (see EntryFields).
 */

import { sourceView } from './byte-words.js';
import { align4, align8, KeyArena } from './key-arena.js';

/** xxHash32's primes (as int32s for Math.imul). */
const XX1 = 0x9e3779b1 | 0;
const XX2 = 0x85ebca77 | 0;
const XX3 = 0xc2b2ae3d | 0;
const XX4 = 0x27d4eb2f | 0;
const XX5 = 0x165667b1 | 0;
const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
/** In a string part, a char past 0xfe is written as this byte and its two UTF-16 bytes (so 0xff itself is escaped). */
const WIDE = 0xff;

/** xxHash32's last step: every input bit moves about half the output bits. */
export const avalanche = (hash: number): number => {
  let h = hash ^ (hash >>> 15);
  h = Math.imul(h, XX2);
  h ^= h >>> 13;
  h = Math.imul(h, XX3);
  return (h ^ (h >>> 16)) | 0;
};

/** Mixes a 32-bit word into a running hash (xxHash32's step for a word past its four lanes). */
const mixWordXX = (h: number, word: number): number => Math.imul(rotl(h + Math.imul(word, XX3), 17), XX4);

/** Mixes one byte into a running hash (xxHash32's step for the bytes past the last whole word). */
const mixByte = (h: number, byte: number): number => Math.imul(rotl(h + Math.imul(byte, XX5), 11), XX1);

/**
 * Mixes a 32-bit word into a running hash: one multiply and a shift-xor that folds the product's high bits down
 * (the next word's bits meet them in the next multiply). xxHash32's word step (two multiplies and a rotate) took
 * ~62 ns in a loop for a 49-byte Call-ID and branch read in place, this one ~24 ns (in a whole scan ~1 % of its
 * time, less than the host's noise), with as few full-hash collisions on a million sequential Call-IDs (108
 * against 122, a random 32-bit hash ~116).
 * Every step is a bijection of the running hash for a given word, so two sequences of words of one length that
 * differ only in their last word never collide (other differences may, as in any 32-bit hash: the tables compare
 * keys exactly, and `avalanche` spreads the result's bits over the slots).
 */
export const mixWord = (h: number, word: number): number => {
  const m = Math.imul(h ^ word, XX1);
  return m ^ (m >>> 15);
};

/**
 * Mixes source[start, end) into a running hash four bytes a step through `view` (a DataView of source): a key
 * hashed where it lies, as a message's Call-ID and branch are (kpi-transactions.ts). The last 1 to 3 bytes go in
 * as one more word: the four bytes that end the range when it has four (overlapping the last whole word), else
 * the bytes themselves. The caller mixes each range's length in after it: without it, a range of 4k + 1 to 4k + 3
 * bytes and one of 4k + 4 made of its first 4k and last 4 bytes would give the same words.
 */
export const mixBytes = (hash: number, view: DataView, source: Uint8Array, start: number, end: number): number => {
  let h = hash;
  let i = start;
  for (; i + 4 <= end; i += 4) h = mixWord(h, view.getInt32(i, true));
  if (i === end) return h;
  if (end - start >= 4) return mixWord(h, view.getInt32(end - 4, true));
  let w = 0;
  for (let shift = 0; i < end; i++, shift += 8) w |= (source[i] ?? 0) << shift;
  return mixWord(h, w);
};

/** The seed of a hash mixed part by part (xxHash32's for a short input). */
export const HASH_SEED = XX5;

const NO_BYTES = new Uint8Array(0);

/** The two ranges' lengths, stored before their bytes. */
const RANGE_LENGTHS_BYTES = 8;

/**
 * The two byte ranges of one buffer that a key read in place holds after its number words (the KPI transactions'
 * Call-ID and branch, kpi-transactions.ts; a direction's Call-ID and Via, direction-key.ts): hashed, compared and
 * written where they lie. In a record: the two lengths, then the first range padded to a multiple of 4, so the
 * second starts aligned as KeyArena's word-wise reads need, then the second.
 */
export class InPlaceRanges {
  buf: Uint8Array = NO_BYTES;
  view: DataView = sourceView(NO_BYTES);
  firstStart = 0;
  firstLength = 0;
  secondStart = 0;
  secondLength = 0;

  /** Points at buf[firstStart, +firstLength) and buf[secondStart, +secondLength). */
  set(buf: Uint8Array, firstStart: number, firstLength: number, secondStart: number, secondLength: number): void {
    this.buf = buf;
    this.view = sourceView(buf);
    this.firstStart = firstStart;
    this.firstLength = firstLength;
    this.secondStart = secondStart;
    this.secondLength = secondLength;
  }

  /** Bytes the two take in a record, their lengths included. */
  get recordBytes(): number {
    return RANGE_LENGTHS_BYTES + align4(this.firstLength) + this.secondLength;
  }

  /** The hash `h` (the key's words mixed in) with each range and then its length mixed in, avalanched. */
  hash(h: number): number {
    const { buf, view, firstStart, firstLength, secondStart, secondLength } = this;
    const mixed = mixWord(mixBytes(h, view, buf, firstStart, firstStart + firstLength), firstLength);
    return avalanche(mixWord(mixBytes(mixed, view, buf, secondStart, secondStart + secondLength), secondLength));
  }

  /** Whether the lengths and bytes stored at `at` (4-byte aligned) are the two ranges', as writeAt wrote them. */
  equalsAt(arena: KeyArena, at: number): boolean {
    const bytesAt = at + RANGE_LENGTHS_BYTES;
    return (
      arena.int(at) === this.firstLength &&
      arena.int(at + 4) === this.secondLength &&
      arena.equalsSource(bytesAt, this.view, this.buf, this.firstStart, this.firstLength) &&
      arena.equalsSource(bytesAt + align4(this.firstLength), this.view, this.buf, this.secondStart, this.secondLength)
    );
  }

  /** Writes the two ranges' lengths and bytes at `at` (4-byte aligned). */
  writeAt(arena: KeyArena, at: number): void {
    const bytesAt = at + RANGE_LENGTHS_BYTES;
    arena.setInt(at, this.firstLength);
    arena.setInt(at + 4, this.secondLength);
    arena.writeSource(bytesAt, this.view, this.buf, this.firstStart, this.firstLength);
    arena.writeSource(bytesAt + align4(this.firstLength), this.view, this.buf, this.secondStart, this.secondLength);
  }
}

/**
 * A key as an identity table stores and compares it: `length` bytes, written into a record and compared with one.
 * An IdentityKey is assembled part by part into bytes of its own; a key read in place from a message's bytes (the
 * KPI transactions', kpi-transactions.ts; a retransmission direction's, direction-key.ts) is neither copied nor
 * assembled to be looked up. The two lay their bytes out and hash them differently, so one identity must always be
 * given one kind of key, and keys of two kinds in one table must never be equal (DirectionKey marks its own).
 */
export interface KeySource {
  /** Bytes the key takes in a record. */
  readonly length: number;
  /** Whether the `length` bytes stored at `at` (4-byte aligned) are this key. */
  equalsAt(arena: KeyArena, at: number): boolean;
  /** Writes the key's `length` bytes at `at` (4-byte aligned). */
  writeAt(arena: KeyArena, at: number): void;
}

/**
 * One identity being assembled: the bytes of its parts, each prefixed with its length. Bytes are moved, hashed and
 * compared four at a time (an Int32Array and a DataView of the same memory): byte by byte, copying a 40-byte Call-ID
 * took ~100 ns and comparing a key ~130 ns, a fifth of what the KPIs cost a scan.
 */
export class IdentityKey implements KeySource {
  bytes = new Uint8Array(256);
  /** The same memory as 32-bit words (little-endian on every platform Node runs on but s390x: the hash only). */
  words = new Int32Array(this.bytes.buffer);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  /** Starts a new key. */
  reset(): this {
    this.length = 0;
    return this;
  }

  /** Appends buf[start, end) (an empty part when start < 0). */
  addBytes(buf: Uint8Array, start: number, end: number): this {
    const n = start < 0 ? 0 : end - start;
    this.room(n + 4);
    this.putLength(n);
    if (n > 0) {
      const view = this.view;
      const source = sourceView(buf);
      let at = this.length;
      let i = start;
      for (; i + 4 <= end; i += 4, at += 4) view.setInt32(at, source.getInt32(i, true), true);
      const bytes = this.bytes;
      for (; i < end; i++) bytes[at++] = buf[i] ?? 0;
      this.length = at;
    }
    return this;
  }

  /** Appends a string, char by char (latin1 chars as one byte each). */
  addString(s: string): this {
    this.room(s.length * 3 + 4);
    this.putLength(s.length);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < WIDE) bytes[at++] = c;
      else {
        bytes[at++] = WIDE;
        bytes[at++] = c >>> 8;
        bytes[at++] = c & 0xff;
      }
    }
    this.length = at;
    return this;
  }

  /** Appends a non-negative integer below 2^53 (a CSeq number, a method code, a tag). */
  addNumber(n: number): this {
    this.room(8);
    this.putLength(n >>> 0);
    this.putLength(Math.floor(n / 0x1_0000_0000));
    return this;
  }

  /**
   * The 32-bit hash of the key: xxHash32's steps (four independent lanes of 16 bytes, then words, then bytes, then
   * its avalanche), four bytes a step. murmur3, one chain of three multiplies per word, took ~90 ns for a 78-byte
   * transaction key, more than building the key; the four lanes take ~18 ns. Lookups compare keys exactly, so the
   * hash only spreads them over slots.
   */
  hash(): number {
    const bytes = this.bytes;
    const words = this.words;
    const n = this.length;
    const whole = n >>> 2;
    let i = 0;
    let h: number;
    if (n >= 16) {
      let a = (XX1 + XX2) | 0;
      let b = XX2;
      let c = 0;
      let d = -XX1 | 0;
      for (; i + 4 <= whole; i += 4) {
        a = Math.imul(rotl(a + Math.imul(words[i] ?? 0, XX2), 13), XX1);
        b = Math.imul(rotl(b + Math.imul(words[i + 1] ?? 0, XX2), 13), XX1);
        c = Math.imul(rotl(c + Math.imul(words[i + 2] ?? 0, XX2), 13), XX1);
        d = Math.imul(rotl(d + Math.imul(words[i + 3] ?? 0, XX2), 13), XX1);
      }
      h = (rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18)) | 0;
    } else h = XX5;
    h = (h + n) | 0;
    for (; i < whole; i++) h = mixWordXX(h, words[i] ?? 0);
    for (let j = whole * 4; j < n; j++) h = mixByte(h, bytes[j] ?? 0);
    return avalanche(h);
  }

  equalsAt(arena: KeyArena, at: number): boolean {
    return arena.equals(at, this.bytes, this.length, this.words);
  }

  writeAt(arena: KeyArena, at: number): void {
    arena.write(at, this.bytes, this.length, this.words);
  }

  /** A length or number part: four bytes, most significant first. */
  private putLength(n: number): void {
    this.view.setUint32(this.length, n >>> 0);
    this.length += 4;
  }

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (this.length + n > size) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    this.words = new Int32Array(bytes.buffer);
    this.view = new DataView(bytes.buffer);
  }
}

/** A slot's row: the key's hash, then where its record is + 1 (EMPTY: none; MOVED: taken out). */
const ROW = 2;
const HASH = 0;
const PLACE = 1;
const EMPTY = 0;
/** A slot whose entry was taken out (moved to the young generation): probing goes on past it. */
const MOVED = -1;

const INITIAL_CAPACITY = 1024;

/** The fixed fields of a table's entries: `floats` Float64 values, then `ints` Int32 values. */
export interface EntryFields {
  readonly floats: number;
  readonly ints: number;
}

/**
 * One generation of a two-generation table: at most `limit` live entries, the table at most half full (it grows as
 * it fills, up to the size `limit` needs). Entries are taken out only to move them to the young generation or when
 * they end (`remove`); a generation is emptied whole (`clear`) when it is dropped.
 *
 * A slot is two int32s, the key's hash and where the entry's record lies in the arena (key-arena.ts): its fields
 * (Float64s, then Int32s), its key's length and its key's bytes, side by side. A lookup reads the slot, then the
 * record: two cache lines in a table of megabytes. Growing re-places the slots alone (the hash is in the slot), and
 * a table at its bound holds 8 bytes per slot plus a record per entry.
 */
export abstract class IdentityGeneration {
  /** Live entries (moved ones excluded). */
  size = 0;
  /** Slots that are not EMPTY (live or moved): what the load factor counts. */
  private used = 0;
  private mask: number;
  private rows: Int32Array;
  private arena = new KeyArena();
  /** Byte offsets in a record: of its first Int32 field, of its key's length, of its key. */
  private readonly intsAt: number;
  private readonly lengthAt: number;
  private readonly keyAt: number;

  /**
   * @param limit the most live entries it will hold
   * @param fields the fields each entry has (read and written through the float/int accessors)
   */
  constructor(
    private readonly limit: number,
    fields: EntryFields,
  ) {
    const capacity = Math.min(INITIAL_CAPACITY, capacityFor(limit));
    this.mask = capacity - 1;
    this.rows = new Int32Array(capacity * ROW);
    this.intsAt = 8 * fields.floats;
    this.lengthAt = this.intsAt + 4 * fields.ints;
    this.keyAt = this.lengthAt + 4;
  }

  /** Slots in the table now. */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Whether a new entry has room without going past the limit. */
  get full(): boolean {
    return this.size >= this.limit;
  }

  /** The slot of the entry with this key (and its hash), or -1. */
  find(key: KeySource, hash: number): number {
    const mask = this.mask;
    const rows = this.rows;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const place = rows[i * ROW + PLACE] ?? EMPTY;
      if (place === EMPTY) return -1;
      if (place > 0 && rows[i * ROW + HASH] === hash && this.sameKey(place - 1, key)) return i;
    }
  }

  /** Adds an entry known to be absent (the caller checks `full` first); returns its slot, its fields zero. */
  insert(key: KeySource, hash: number): number {
    if ((this.used + 1) * 2 > this.mask + 1) {
      // mostly markers of removed entries (a table whose entries are taken out as they end): rebuilt at its size,
      // so it and its arena stay bounded by its live entries; else it grows fourfold, up to the size its limit
      // needs (fourfold steps re-place a third of the slots doubling did)
      if (this.size * 4 < this.mask + 1) this.rebuild(this.mask + 1);
      else this.rebuild(Math.min(Math.max((this.mask + 1) * 2, capacityFor(this.limit)), (this.mask + 1) * 4));
    }
    const mask = this.mask;
    const rows = this.rows;
    let i = hash & mask;
    while (rows[i * ROW + PLACE] !== EMPTY) i = (i + 1) & mask;
    const n = key.length;
    const arena = this.arena;
    const at = arena.allocate(align8(this.keyAt + n));
    // a page reused after clear() holds old bytes: every field starts at zero
    for (let f = 0; f < this.intsAt; f += 8) arena.setFloat(at + f, 0);
    for (let f = this.intsAt; f < this.lengthAt; f += 4) arena.setInt(at + f, 0);
    arena.setInt(at + this.lengthAt, n);
    key.writeAt(arena, at + this.keyAt);
    rows[i * ROW + HASH] = hash;
    rows[i * ROW + PLACE] = at + 1;
    this.size++;
    this.used++;
    return i;
  }

  /** Takes an entry out (it moved to the young generation, or ended); its slot stays a marker so probing goes on. */
  remove(slot: number): void {
    this.rows[slot * ROW + PLACE] = MOVED;
    this.size--;
  }

  /** Calls fn with each live slot. */
  forEach(fn: (slot: number) => void): void {
    for (let i = 0; i <= this.mask; i++) if ((this.rows[i * ROW + PLACE] ?? EMPTY) > 0) fn(i);
  }

  /** Forgets every entry, keeping the arrays for the next generation. */
  clear(): void {
    this.rows.fill(EMPTY);
    this.arena.clear();
    this.size = 0;
    this.used = 0;
  }

  /** Float64 field k of the entry in `slot`. */
  protected float(slot: number, k: number): number {
    return this.arena.float(this.recordAt(slot) + 8 * k);
  }

  protected setFloat(slot: number, k: number, value: number): void {
    this.arena.setFloat(this.recordAt(slot) + 8 * k, value);
  }

  /** Int32 field k of the entry in `slot`. */
  protected int(slot: number, k: number): number {
    return this.arena.int(this.recordAt(slot) + this.intsAt + 4 * k);
  }

  protected setInt(slot: number, k: number, value: number): void {
    this.arena.setInt(this.recordAt(slot) + this.intsAt + 4 * k, value);
  }

  private recordAt(slot: number): number {
    return (this.rows[slot * ROW + PLACE] ?? 0) - 1;
  }

  /** Whether the key of the record at `at` is this one. */
  private sameKey(at: number, key: KeySource): boolean {
    return this.arena.int(at + this.lengthAt) === key.length && key.equalsAt(this.arena, at + this.keyAt);
  }

  /**
   * Re-places every live entry in a table of `capacity` slots (moved markers are dropped on the way). When there
   * were markers the live records move to a new arena too, so the records of removed entries do not pile up.
   */
  private rebuild(capacity: number): void {
    const old = this.rows;
    const oldCapacity = this.mask + 1;
    const compact = this.used !== this.size;
    const oldArena = this.arena;
    if (compact) this.arena = new KeyArena();
    this.mask = capacity - 1;
    const rows = new Int32Array(capacity * ROW);
    for (let j = 0; j < oldCapacity; j++) {
      const place = old[j * ROW + PLACE] ?? EMPTY;
      if (place <= 0) continue;
      const h = old[j * ROW + HASH] ?? 0;
      let i = h & this.mask;
      while (rows[i * ROW + PLACE] !== EMPTY) i = (i + 1) & this.mask;
      rows[i * ROW + HASH] = h;
      if (compact) {
        const length = align8(this.keyAt + oldArena.int(place - 1 + this.lengthAt));
        rows[i * ROW + PLACE] = this.arena.copyFrom(oldArena, place - 1, length) + 1;
      } else rows[i * ROW + PLACE] = place;
    }
    this.rows = rows;
    this.used = this.size;
  }
}

/** The table size that holds `limit` entries at most half full (a power of two). */
const capacityFor = (limit: number): number => {
  let c = INITIAL_CAPACITY;
  while (c < limit * 2) c *= 2;
  return c;
};
