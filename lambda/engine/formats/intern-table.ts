/**
 * Strings made from bytes, remembered by those bytes: a log prints the same few addresses on
 * every header line, so a reader asks here first and builds the string only for bytes it has not
 * seen. Every message then carries the same string object for the same address, and no string
 * per line is left to the garbage collector. Given a numbering (endpoint-ids.ts), a table numbers
 * each string once when it stores it (`lastId`), so that the counting side keys retransmission
 * directions and peers by that number instead of looking the string up per message.
 *
 * Direct-mapped (one entry per slot, a new key replaces the old one), so memory is bounded, and
 * exact: a hit compares every byte of the key.
 *
 * A slot's hash, lengths and number lie in one row of an Int32Array and its key bytes (up to KEY_BYTES) in the
 * slot's own region of one byte array: a lookup reads one row and its bytes. An object per entry holding its key as a
 * string took two more dependent loads, each a cache miss among thousands of addresses (~170 ns a lookup, two per
 * message of an ngrep or sipdump log), and the row's four fields in four arrays were four lines to miss (~90 ns).
 * Keys are hashed and compared four bytes at a time.
 */

import { sourceView } from '../byte-words.js';
import type { NameIds } from '../endpoint-ids.js';
import { avalanche, HASH_SEED, mixBytes, mixWord } from '../identity-key.js';

/** Key bytes a slot keeps in its region; a longer key (rare: addresses are shorter) is kept as a string. */
const KEY_BYTES = 64;

/**
 * Slots of a table: well above the distinct addresses of a busy log (the bench trace's sipdump part names
 * 5,000 ip:port pairs), so that few keys share a slot. KEY_BYTES + 16 bytes per slot (and a string's reference),
 * ~1.4 MB a table (zeroed memory: pages of slots never filled are never touched).
 */
const DEFAULT_SLOTS = 16_384;

/** A slot's row: the key's hash, 1 + the key's length (0: empty), the length of its first range, its text's number. */
const ROW = 4;
const HASH = 0;
const LENGTH = 1;
const SPLIT = 2;
const TEXT_ID = 3;

/**
 * The hash of the key buf[a, b) + buf[c, d): each range mixed in (identity-key.ts's word step, four bytes at a
 * time), its length after it (so that "1.2.3.4" + "5" and "1.2.3." + "45" differ), then xxHash32's avalanche.
 * Exported for the tests that need two keys that share a hash.
 */
export const internHash = (buf: Buffer, a: number, b: number, c: number, d: number): number => {
  const view = sourceView(buf);
  const first = mixWord(mixBytes(HASH_SEED, view, buf, a, b), b - a);
  return avalanche(mixWord(mixBytes(first, view, buf, c, d), d - c));
};

/** A key longer than KEY_BYTES as text (a string per lookup: such keys are rare). */
const longKey = (buf: Buffer, a: number, b: number, c: number, d: number): string =>
  buf.toString('latin1', a, b) + buf.toString('latin1', c, d);

export class InternTable {
  private readonly mask: number;
  /*
   * The slots' arrays are made by the first store(): the four readers' tables are module constants, and making
   * them cost a CLI start-up ~5 ms (two 16,384-element arrays filled each) for formats most files never hold.
   * Until then they are empty, so every find() misses without a test of its own.
   */
  /** ROW int32s per slot (HASH, LENGTH, SPLIT, TEXT_ID). */
  private rows = new Int32Array(0);
  /** KEY_BYTES per slot: the key's bytes, when it has no more; `keyWords` is the same memory as int32s. */
  private keyBytes = new Uint8Array(0);
  private keyWords = new Int32Array(0);
  /** Per slot: a key longer than KEY_BYTES, as latin1 text (one char per byte). */
  private longKeys: (string | undefined)[] = [];
  private texts: (string | undefined)[] = [];
  private lastSlot = 0;
  private lastHash = 0;
  /** The number of the string the last find() found or store() stored (-1 without a numbering). */
  lastId = -1;

  /**
   * @param slots a power of two
   * @param ids numbers each stored string once (endpoint-ids.ts), for the meta to carry beside the string
   */
  constructor(
    slots = DEFAULT_SLOTS,
    private readonly ids?: NameIds,
  ) {
    this.mask = slots - 1;
  }

  /** Makes the slots' arrays (the first store). */
  private allocate(): void {
    const slots = this.mask + 1;
    this.rows = new Int32Array(slots * ROW);
    this.keyBytes = new Uint8Array(slots * KEY_BYTES);
    this.keyWords = new Int32Array(this.keyBytes.buffer);
    this.longKeys = new Array<string | undefined>(slots).fill(undefined);
    this.texts = new Array<string | undefined>(slots).fill(undefined);
  }

  /**
   * The string stored for the bytes [a, b) followed by [c, d) (the second range may be empty), or
   * undefined; then store() files a string under this key.
   */
  find(buf: Buffer, a: number, b: number, c = 0, d = 0): string | undefined {
    const h = internHash(buf, a, b, c, d);
    // internHash ends with its avalanche: its low bits are as mixed as any
    const slot = h & this.mask;
    this.lastSlot = slot;
    this.lastHash = h;
    const split = b - a;
    const n = split + (d - c);
    const rows = this.rows;
    const r = slot * ROW;
    if (rows[r + LENGTH] !== n + 1 || rows[r + SPLIT] !== split || rows[r + HASH] !== h) return undefined;
    if (n <= KEY_BYTES) {
      if (!this.sameBytes(slot * KEY_BYTES, buf, a, b) || !this.sameBytes(slot * KEY_BYTES + split, buf, c, d))
        return undefined;
    } else if (this.longKeys[slot] !== longKey(buf, a, b, c, d)) return undefined;
    this.lastId = rows[r + TEXT_ID] ?? -1;
    return this.texts[slot];
  }

  /** Whether the key bytes at `at` are buf[a, b): four at a time where `at` is 4-byte aligned. */
  private sameBytes(at: number, buf: Buffer, a: number, b: number): boolean {
    const bytes = this.keyBytes;
    let k = at;
    let i = a;
    if ((at & 3) === 0) {
      const view = sourceView(buf);
      const words = this.keyWords;
      for (; i + 4 <= b; i += 4, k += 4) if (words[k >>> 2] !== view.getInt32(i, true)) return false;
    }
    for (; i < b; i++, k++) if (bytes[k] !== buf[i]) return false;
    return true;
  }

  /** The string of the bytes [a, b) (latin1), made on the first ask and filed: the same string for the same bytes. */
  text(buf: Buffer, a: number, b: number): string {
    return this.find(buf, a, b) ?? this.store(buf, a, b, 0, 0, buf.toString('latin1', a, b));
  }

  /** Files `text` under the key of the last find() (which must have missed), and returns it. */
  store(buf: Buffer, a: number, b: number, c: number, d: number, text: string): string {
    if (this.rows.length === 0) this.allocate();
    const slot = this.lastSlot;
    const split = b - a;
    const n = split + (d - c);
    const r = slot * ROW;
    const rows = this.rows;
    rows[r + HASH] = this.lastHash;
    rows[r + LENGTH] = n + 1;
    rows[r + SPLIT] = split;
    if (n <= KEY_BYTES) {
      const bytes = this.keyBytes;
      let k = slot * KEY_BYTES;
      for (let i = a; i < b; i++, k++) bytes[k] = buf[i] ?? 0;
      for (let i = c; i < d; i++, k++) bytes[k] = buf[i] ?? 0;
      this.longKeys[slot] = undefined;
    } else this.longKeys[slot] = longKey(buf, a, b, c, d);
    const id = this.ids === undefined ? -1 : this.ids.of(text);
    this.texts[slot] = text;
    rows[r + TEXT_ID] = id;
    this.lastId = id;
    return text;
  }
}
