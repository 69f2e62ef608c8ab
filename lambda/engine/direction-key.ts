/**
 * The key of a retransmission direction (retransmissions.ts): a message's Call-ID, then its sender and receiver when
 * the log names either, else its whole top Via value (it tells the legs of a proxied transaction apart, and a forking
 * proxy's branches: same sent-by, each its own branch and destination) and whether it is a request or a response (a
 * request goes from the Via's sender, its responses go back to it: two directions, as Wireshark's state per (Call-ID,
 * source, destination) has them; one state for both hid a BYE re-sent after the 200 sent back between).
 *
 * Without addresses a transaction's state is its own: a message of another transaction between a message and its
 * re-send does not start it again as on the wire (a BYE re-sent after the 2xx ACK is marked, tshark does not). Keyed
 * by the Via's sent-by alone it would, but a forking proxy's branches would then share one state (the second
 * branch's INVITE and 200 marked re-sent: 52 false re-sends in a real Kamailio fork log); telling them apart needs
 * the Request-URI and the To tag, which the key does not read.
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

/** The side of a BY_VIA key: a request goes from its top Via's sender, a response goes back to it. */
const FROM_VIA = 1;
const TO_VIA = 2;

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
      const side = kind === 'request' ? FROM_VIA : TO_VIA;
      return this.read(m, BY_VIA, side, 0, v, v < 0 ? 0 : m.viaEnd - v);
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
