/**
 * The key of a retransmission direction (retransmissions.ts): a message's Call-ID, then its sender and receiver when
 * the log names either, else the sent-by of its top Via (transport, host and port, without its parameters) and
 * whether it is a request or a response. Wireshark keeps one state per (Call-ID, source, destination): a log without
 * addresses gets one per side of each hop. A's requests carry A's sent-by, and so do the responses B sends back to
 * A, so a request or response of another transaction in between resets the state as on the wire (keyed by the whole
 * Via, branch included, each transaction had its own state: a BYE re-sent after the 2xx ACK, or a 200 re-sent after
 * the 408 to a BYE, were re-sends that tshark does not mark). The legs of a proxied transaction still differ: each
 * hop's top Via is its sender's.
 *
 * Read where it lies in the message's bytes, as the KPI transactions' key is (kpi-transactions.ts): hashed and
 * compared there, and copied only into the record of a new direction. Assembled into an IdentityKey first, the
 * Call-ID and the Via (~100 bytes) were copied for every UDP message before the lookup; the detector cost ~8 % of a
 * warm scan's instructions. Names without numbers (a numbering past its bound) and keys given whole as a string
 * (`observeKey`) are still assembled part by part, in an IdentityKey this key forwards to.
 *
 * An in-place key is stored as IN_PLACE_HEADER_BYTES of numbers (a first word no assembled key has, its kind and
 * two name numbers), then the Call-ID and the Via as InPlaceRanges writes them (their lengths, the Call-ID's bytes
 * padded to a multiple of 4, the Via's): two keys are equal only when every number and every byte is, and an
 * in-place key never equals an assembled one (an assembled key starts with a part's length, never 2^32 − 1).
 */
import type { NameIds } from './endpoint-ids.js';
import { HASH_SEED, IdentityKey, InPlaceRanges, type KeySource, mixWord } from './identity-key.js';
import type { KeyArena } from './key-arena.js';
import type { MessageBytes } from './types.js';

/** What the first part of a key says the rest is (a key of one kind never equals a key of another). */
const STRING_KEY = 0;
const BY_ADDRESSES = 1;
const BY_VIA = 2;
const BY_ADDRESS_IDS = 3;

/** The side of a BY_VIA key: a request goes from its top Via's sent-by, a response goes to it. */
const FROM_SENT_BY = 1;
const TO_SENT_BY = 2;

const SEMICOLON = 0x3b;
const COMMA = 0x2c;
const SP = 0x20;
const HT = 0x09;

/**
 * Where the sent-by of the Via value buf[a, b) ends: before its first parameter (`;branch=`, and the `received=` and
 * `rport=` a server adds to the responses' copy) or the next Via value, white space before it left out.
 */
const sentByEnd = (buf: Buffer, a: number, b: number): number => {
  let e = a;
  while (e < b && buf[e] !== SEMICOLON && buf[e] !== COMMA) e++;
  while (e > a && (buf[e - 1] === SP || buf[e - 1] === HT)) e--;
  return e;
};

/** The first word of an in-place key (as an int32): no assembled key starts with it. */
const IN_PLACE_MARK = -1;
const IN_PLACE_HEADER_BYTES = 16;

export class DirectionKey implements KeySource {
  length = 0;
  /** The key assembled part by part (names without numbers, a key given as a string). */
  private readonly assembled = new IdentityKey();
  private inPlace = false;
  /** The Call-ID and the Via (empty for a direction by name numbers). */
  private readonly ranges = new InPlaceRanges();
  private kind = 0;
  private src = 0;
  private dst = 0;

  /**
   * Reads the direction of `m` and returns its hash: by the sender and receiver when the log names either (their
   * numbers in `ids`; `srcId` and `dstId` when the reader already looked them up), else by the top Via.
   */
  set(
    m: MessageBytes,
    src: string | undefined,
    dst: string | undefined,
    ids: NameIds,
    srcId?: number,
    dstId?: number,
    kind: 'request' | 'response' = 'request',
  ): number {
    if (src === undefined && dst === undefined) {
      const v = m.viaStart;
      const side = kind === 'request' ? FROM_SENT_BY : TO_SENT_BY;
      return this.read(m, BY_VIA, side, 0, v, v < 0 ? 0 : sentByEnd(m.buf, v, m.viaEnd) - v);
    }
    const s = src !== undefined && srcId !== undefined ? srcId : ids.of(src ?? '');
    const d = s < 0 ? -1 : dst !== undefined && dstId !== undefined ? dstId : ids.of(dst ?? '');
    // the numbers go into the record as int32s: one that would not (never from a NameIds) is kept as the names
    if (d >= 0 && (s | 0) === s && (d | 0) === d) return this.read(m, BY_ADDRESS_IDS, s, d, 0, 0);
    this.inPlace = false;
    const key = this.assembled
      .reset()
      .addBytes(m.buf, m.callIdStart, m.callIdEnd)
      .addNumber(BY_ADDRESSES)
      .addString(src ?? '')
      .addString(dst ?? '');
    this.length = key.length;
    return key.hash();
  }

  /** A key given whole (`${callId} ${direction}`); returns its hash. */
  setString(key: string): number {
    this.inPlace = false;
    const k = this.assembled.reset().addNumber(STRING_KEY).addString(key);
    this.length = k.length;
    return k.hash();
  }

  private read(m: MessageBytes, kind: number, src: number, dst: number, viaStart: number, viaLength: number): number {
    const c = m.callIdStart;
    this.ranges.set(m.buf, c, c < 0 ? 0 : m.callIdEnd - c, viaStart, viaLength);
    this.inPlace = true;
    this.kind = kind;
    this.src = src;
    this.dst = dst;
    this.length = IN_PLACE_HEADER_BYTES + this.ranges.recordBytes;
    return this.ranges.hash(mixWord(mixWord(mixWord(HASH_SEED + this.length, kind), src), dst));
  }

  equalsAt(arena: KeyArena, at: number): boolean {
    if (!this.inPlace) return this.assembled.equalsAt(arena, at);
    return (
      arena.int(at) === IN_PLACE_MARK &&
      arena.int(at + 4) === this.kind &&
      arena.int(at + 8) === this.src &&
      arena.int(at + 12) === this.dst &&
      this.ranges.equalsAt(arena, at + IN_PLACE_HEADER_BYTES)
    );
  }

  writeAt(arena: KeyArena, at: number): void {
    if (!this.inPlace) {
      this.assembled.writeAt(arena, at);
      return;
    }
    arena.setInt(at, IN_PLACE_MARK);
    arena.setInt(at + 4, this.kind);
    arena.setInt(at + 8, this.src);
    arena.setInt(at + 12, this.dst);
    this.ranges.writeAt(arena, at + IN_PLACE_HEADER_BYTES);
  }
}
