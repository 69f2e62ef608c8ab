/**
 * The transaction table of the KPI tracker: what an open INVITE, BYE or REGISTER transaction still needs, kept
 * without an object or a key string per transaction. The text scan sees hundreds of thousands of transactions;
 * as a Map from a `Call-ID + CSeq + branch` string to an object each, their garbage made the KPIs cost a quarter
 * of the scan (issue 15 allows 10 %).
 *
 * One generation is an IdentityGeneration (identity-key.ts): an open-addressing hash table over typed arrays keyed
 * by the bytes of Call-ID, CSeq, method and branch (read from the parser's buffer, no string made), compared
 * exactly on a hash match so that two identities that share a hash are still two transactions, and the
 * transaction's fields in the same arena record as its key. Keeping the messages' own strings instead held tens of
 * thousands of them alive through every young-generation GC, which cost more than the lookups.
 */
import { HASH_SEED, IdentityGeneration, InPlaceRanges, type KeySource, mixWord } from './identity-key.js';
import type { KeyArena } from './key-arena.js';
import type { MessageBytes } from './types.js';

/** Method codes of the tracked transactions (0: not tracked). */
export const INVITE = 1;
export const BYE = 2;
export const REGISTER = 3;
export type MethodCode = typeof INVITE | typeof BYE | typeof REGISTER;

/** Flag bits of a transaction. */
/** SRD taken: the first non-100 response has been seen. */
export const ANSWERED = 1;
/** The outcome (first final response) is settled: later messages of the transaction change no count. */
export const SETTLED = 2;

/** A stored transaction key: CSeq number (two words) and method, then the Call-ID and branch (InPlaceRanges). */
const KEY_HEADER_BYTES = 12;

/**
 * The identity of the transaction a message belongs to (RFC 3261 §17.2.3: Call-ID, CSeq number, method, top Via
 * branch), read where it lies in the message's bytes: hashed and compared there, and copied only into the record of
 * a new transaction. Assembled into an IdentityKey first, the ~80 bytes were copied for every INVITE, BYE and
 * REGISTER message (~50 ns, then ~22 to hash them: ~4 % of a warm scan's instructions).
 *
 * Stored as KEY_HEADER_BYTES of numbers, the Call-ID's bytes padded to a multiple of 4, then the branch's: two keys
 * are equal only when every number and every byte is.
 */
export class TransactionKey implements KeySource {
  length = 0;
  /** The Call-ID and the branch. */
  private readonly ranges = new InPlaceRanges();
  private cseqLow = 0;
  private cseqHigh = 0;
  private method = 0;

  /** Reads the identity of the transaction of `m` (its CSeq number and method code given); returns its hash. */
  set(m: MessageBytes, cseq: number, method: number): number {
    const c = m.callIdStart;
    const b = m.branchStart;
    // an absent branch (RFC 2543 peers) is an empty one, as an IdentityKey's part for it was
    this.ranges.set(m.buf, c, c < 0 ? 0 : m.callIdEnd - c, b, b < 0 ? 0 : m.branchEnd - b);
    // the CSeq number's low and high 32 bits (the parser's numbers reach 2^53)
    this.cseqLow = cseq | 0;
    this.cseqHigh = Math.floor(cseq / 0x1_0000_0000) | 0;
    this.method = method;
    this.length = KEY_HEADER_BYTES + this.ranges.recordBytes;
    return this.ranges.hash(mixWord(mixWord(mixWord(HASH_SEED + this.length, this.cseqLow), this.cseqHigh), method));
  }

  equalsAt(arena: KeyArena, at: number): boolean {
    return (
      arena.int(at) === this.cseqLow &&
      arena.int(at + 4) === this.cseqHigh &&
      arena.int(at + 8) === this.method &&
      this.ranges.equalsAt(arena, at + KEY_HEADER_BYTES)
    );
  }

  writeAt(arena: KeyArena, at: number): void {
    arena.setInt(at, this.cseqLow);
    arena.setInt(at + 4, this.cseqHigh);
    arena.setInt(at + 8, this.method);
    this.ranges.writeAt(arena, at + KEY_HEADER_BYTES);
  }
}

/** A transaction's fields: Float64 the minute it counts in and its first request's time, Int32 flags | method << 8 and its peer. */
const MINUTE = 0;
const REQUEST_TIME = 1;
const FLAGS_METHOD = 0;
const PEER = 1;

/** One generation of transactions: their identities and fields (see IdentityGeneration). */
export class TransactionGeneration extends IdentityGeneration {
  /**
   * INVITE transactions in it with no outcome yet, kept as they change: what a scan's end reports as open and a
   * dropped generation as evicted, without a walk over every slot of the table.
   */
  openInvites = 0;

  /** @param limit the most live transactions it will hold */
  constructor(limit: number) {
    super(limit, { floats: 2, ints: 2 });
  }

  /** Adds a transaction known to be absent (the caller checks `full` first); returns its slot, fields reset. */
  add(key: KeySource, hash: number, method: number): number {
    const i = this.insert(key, hash);
    if (method === INVITE) this.openInvites++;
    this.setInt(i, FLAGS_METHOD, method << 8);
    this.setInt(i, PEER, -1);
    this.setFloat(i, MINUTE, -1);
    this.setFloat(i, REQUEST_TIME, Number.NaN);
    return i;
  }

  /** The method code (INVITE, BYE, REGISTER). */
  method(slot: number): number {
    return this.int(slot, FLAGS_METHOD) >>> 8;
  }

  /** The flag bits (ANSWERED, SETTLED). */
  flags(slot: number): number {
    return this.int(slot, FLAGS_METHOD) & 0xff;
  }

  setFlags(slot: number, flags: number): void {
    const was = this.int(slot, FLAGS_METHOD);
    // an INVITE is open until SETTLED is set (a moved one gets its flags back, settled or not)
    if (was >>> 8 === INVITE) this.openInvites += ((was & SETTLED) - (flags & SETTLED)) / SETTLED;
    this.setInt(slot, FLAGS_METHOD, (was & ~0xff) | flags);
  }

  /** Whether the transaction in `slot` is an INVITE with no outcome yet. */
  private isOpenInvite(slot: number): boolean {
    const v = this.int(slot, FLAGS_METHOD);
    return v >>> 8 === INVITE && (v & SETTLED) === 0;
  }

  override remove(slot: number): void {
    if (this.isOpenInvite(slot)) this.openInvites--;
    super.remove(slot);
  }

  override clear(): void {
    this.openInvites = 0;
    super.clear();
  }

  /** Index of the peer that answered it (the sender of its first response), -1 before any response. */
  peer(slot: number): number {
    return this.int(slot, PEER);
  }

  setPeer(slot: number, peer: number): void {
    this.setInt(slot, PEER, peer);
  }

  /** Minute (ms) the transaction counts in, -1 when untimed. */
  minuteMs(slot: number): number {
    return this.float(slot, MINUTE);
  }

  setMinuteMs(slot: number, ms: number): void {
    this.setFloat(slot, MINUTE, ms);
  }

  /** Time of its first request, NaN when not seen or untimed. */
  requestMs(slot: number): number {
    return this.float(slot, REQUEST_TIME);
  }

  setRequestMs(slot: number, ms: number): void {
    this.setFloat(slot, REQUEST_TIME, ms);
  }
}
