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
 */

import type { NameIds } from '../endpoint-ids.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

interface Entry {
  /** The key's bytes as latin1 text (one char per byte): the first range, then the second. */
  readonly key: string;
  /** Length of the first range within `key`. */
  readonly split: number;
  readonly text: string;
  /** The text's number in the table's numbering (-1: none). */
  readonly id: number;
}

/**
 * Slots of a table: well above the distinct addresses of a busy log (the bench trace's sipdump part names
 * 5,000 ip:port pairs), so that few keys share a slot. About 100 bytes per filled slot.
 */
const DEFAULT_SLOTS = 16_384;

export class InternTable {
  private readonly entries: (Entry | undefined)[];
  private readonly mask: number;
  private lastSlot = 0;
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
    this.entries = new Array<Entry | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
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
    const e = this.entries[slot];
    if (e === undefined || e.split !== b - a || e.key.length !== b - a + (d - c)) return undefined;
    const key = e.key;
    for (let i = a, k = 0; i < b; i++, k++) if (key.charCodeAt(k) !== buf[i]) return undefined;
    for (let i = c, k = b - a; i < d; i++, k++) if (key.charCodeAt(k) !== buf[i]) return undefined;
    this.lastId = e.id;
    return e.text;
  }

  /**
   * Files `text` under the key of the last find() (which must have missed), and returns it. The key is
   * kept as a string (`text` itself when it is the key's text): copying a few bytes into a Buffer costs more.
   */
  store(buf: Buffer, a: number, b: number, c: number, d: number, text: string): string {
    const first = buf.toString('latin1', a, b);
    const key = c === d ? first : first + buf.toString('latin1', c, d);
    const id = this.ids === undefined ? -1 : this.ids.of(text);
    this.entries[this.lastSlot] = { key: key === text ? text : key, split: b - a, text, id };
    this.lastId = id;
    return text;
  }
}
