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
 * A slot's hash, lengths and key bytes lie in flat typed arrays (a key of up to KEY_BYTES in the
 * slot's own region of one byte array): a lookup reads the slot's row and its bytes, where an
 * object per entry holding its key as a string took two more dependent loads, each a cache miss
 * among thousands of addresses (~170 ns a lookup, two per message of an ngrep or sipdump log).
 */

import type { NameIds } from '../endpoint-ids.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Key bytes a slot keeps in its region; a longer key (rare: addresses are shorter) is kept as a string. */
const KEY_BYTES = 64;

/**
 * Slots of a table: well above the distinct addresses of a busy log (the bench trace's sipdump part names
 * 5,000 ip:port pairs), so that few keys share a slot. KEY_BYTES + 24 bytes per slot, ~1.4 MB a table
 * (zeroed memory: pages of slots never filled are never touched).
 */
const DEFAULT_SLOTS = 16_384;

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
  /** Per slot: the key's hash. */
  private hashes = new Int32Array(0);
  /** Per slot: 1 + the key's length (0: an empty slot). */
  private lengths = new Int32Array(0);
  /** Per slot: the length of the key's first range. */
  private splits = new Int32Array(0);
  /** KEY_BYTES per slot: the key's bytes, when it has no more. */
  private keyBytes = new Uint8Array(0);
  /** Per slot: a key longer than KEY_BYTES, as latin1 text (one char per byte). */
  private longKeys: (string | undefined)[] = [];
  private texts: (string | undefined)[] = [];
  /** Per slot: the text's number in the table's numbering (-1: none). */
  private textIds = new Int32Array(0);
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
    this.hashes = new Int32Array(slots);
    this.lengths = new Int32Array(slots);
    this.splits = new Int32Array(slots);
    this.keyBytes = new Uint8Array(slots * KEY_BYTES);
    this.longKeys = new Array<string | undefined>(slots).fill(undefined);
    this.texts = new Array<string | undefined>(slots).fill(undefined);
    this.textIds = new Int32Array(slots);
  }

  /**
   * The string stored for the bytes [a, b) followed by [c, d) (the second range may be empty), or
   * undefined; then store() files a string under this key.
   */
  find(buf: Buffer, a: number, b: number, c = 0, d = 0): string | undefined {
    let h = FNV_OFFSET;
    for (let i = a; i < b; i++) h = Math.imul(h ^ (buf[i] ?? 0), FNV_PRIME);
    // a separator, so that "1.2.3.4" + "5" and "1.2.3." + "45" differ
    h = Math.imul(h ^ 0x100, FNV_PRIME);
    for (let i = c; i < d; i++) h = Math.imul(h ^ (buf[i] ?? 0), FNV_PRIME);
    const slot = (h ^ (h >>> 16)) & this.mask;
    this.lastSlot = slot;
    this.lastHash = h;
    const split = b - a;
    const n = split + (d - c);
    if (this.lengths[slot] !== n + 1 || this.splits[slot] !== split || this.hashes[slot] !== h) return undefined;
    if (n <= KEY_BYTES) {
      const bytes = this.keyBytes;
      let k = slot * KEY_BYTES;
      for (let i = a; i < b; i++, k++) if (bytes[k] !== buf[i]) return undefined;
      for (let i = c; i < d; i++, k++) if (bytes[k] !== buf[i]) return undefined;
    } else if (this.longKeys[slot] !== longKey(buf, a, b, c, d)) return undefined;
    this.lastId = this.textIds[slot] ?? -1;
    return this.texts[slot];
  }

  /** Files `text` under the key of the last find() (which must have missed), and returns it. */
  store(buf: Buffer, a: number, b: number, c: number, d: number, text: string): string {
    if (this.hashes.length === 0) this.allocate();
    const slot = this.lastSlot;
    const split = b - a;
    const n = split + (d - c);
    this.hashes[slot] = this.lastHash;
    this.lengths[slot] = n + 1;
    this.splits[slot] = split;
    if (n <= KEY_BYTES) {
      const bytes = this.keyBytes;
      let k = slot * KEY_BYTES;
      for (let i = a; i < b; i++, k++) bytes[k] = buf[i] ?? 0;
      for (let i = c; i < d; i++, k++) bytes[k] = buf[i] ?? 0;
      this.longKeys[slot] = undefined;
    } else this.longKeys[slot] = longKey(buf, a, b, c, d);
    const id = this.ids === undefined ? -1 : this.ids.of(text);
    this.texts[slot] = text;
    this.textIds[slot] = id;
    this.lastId = id;
    return text;
  }
}
