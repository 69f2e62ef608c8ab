/**
 * Retransmission detection, the way Wireshark marks `sip.resend` (epan/dissectors/packet-sip.c,
 * sip_is_packet_resend): state is kept per (Call-ID, source, destination) over UDP only, and
 * compares each message with the LAST one seen in that direction:
 * - a request is a resend when the CSeq number and method match a request already seen
 *   (ACK and CANCEL never are);
 * - a response is a resend when it is final (>= 200) and repeats the last final response's
 *   CSeq number, method and status code.
 * When the CSeq number changes the state starts again; when it stays the same the stored
 * method is kept (Wireshark's quirk, kept so that our counts equal tshark's).
 * Memory is bounded: entries live in two generations; when the young one is full the old one is
 * dropped, so at most `maxEntries` directions are remembered, the most recently used first.
 * A direction is keyed by bytes and a hash (identity-key.ts), compared exactly: a hash shared by two
 * directions never merges them.
 */

import { DirectionKey } from './direction-key.js';
import { endpointIds, NameIds } from './endpoint-ids.js';
import { IdentityGeneration } from './identity-key.js';
import { MAX_METHOD_IDS, methodIds } from './method-ids.js';
import type { MessageBytes } from './types.js';

// A direction's state: what the last message seen that way was (a new direction starts from its first message).
const REQUEST = 1;
const PROVISIONAL = 2;
const FINAL = 3;

/** Default bound on tracked (Call-ID, direction) pairs; ~150 bytes each. */
export const MAX_TRACKED_DIRECTIONS = 200_000;

/** What the detector needs to know of a message. */
export interface RetransmissionInput {
  readonly kind: 'request' | 'response';
  readonly callId: string;
  readonly cseqNumber: number;
  readonly cseqMethod: string;
  readonly statusCode: number;
  /** Direction key: sender and receiver as the log names them. */
  readonly direction: string;
  /** When it was seen, if known (to correct per-minute counts after a parallel scan). */
  readonly timeMs?: number;
}

/**
 * One generation of directions: their keys and the last message's state (see IdentityGeneration): the CSeq number
 * and state + 4 * the last final status code (Float64s: any number a caller passes stays exact), and the CSeq
 * method's id.
 */
class DirectionGeneration extends IdentityGeneration {
  constructor(limit: number) {
    super(limit, { floats: 2, ints: 1 });
  }

  cseq(slot: number): number {
    return this.float(slot, 0);
  }

  stateCode(slot: number): number {
    return this.float(slot, 1);
  }

  method(slot: number): number {
    return this.int(slot, 0);
  }

  set(slot: number, cseq: number, stateCode: number, method: number): void {
    this.setFloat(slot, 0, cseq);
    this.setFloat(slot, 1, stateCode);
    this.setInt(slot, 0, method);
  }

  setState(slot: number, stateCode: number): void {
    this.setFloat(slot, 1, stateCode);
  }
}

/**
 * A direction's state + 4 * code after a message (as DirectionGeneration keeps them): a request or a provisional
 * response keeps the last final status code, a final response records its own.
 */
const next = (code: number, kind: 'request' | 'response', statusCode: number): number => {
  if (kind === 'request') return REQUEST + 4 * code;
  if (statusCode >= 200) return FINAL + 4 * statusCode;
  return PROVISIONAL + 4 * code;
};

/** Tracks messages and answers "was this one sent before?". */
export class RetransmissionDetector {
  private young: DirectionGeneration;
  private old: DirectionGeneration;
  /** The key of the message being judged, read in place (reused: no string or object per message). */
  private readonly key = new DirectionKey();
  /** Method tokens past the process's numbering (methodNumber). */
  private readonly methods = new NameIds();

  /**
   * @param endpoints the numbering of sender and receiver names: the ids observeMessage is given must come from it
   * (the process's, which the readers number names by, unless a test brings its own)
   */
  constructor(
    maxEntries: number = MAX_TRACKED_DIRECTIONS,
    private readonly endpoints: NameIds = endpointIds,
  ) {
    const generationSize = Math.max(1, Math.floor(maxEntries / 2));
    this.young = new DirectionGeneration(generationSize);
    this.old = new DirectionGeneration(generationSize);
  }

  /** Records the message and returns true when it is a retransmission. */
  observe(m: RetransmissionInput): boolean {
    return this.observeKey(`${m.callId} ${m.direction}`, m.kind, m.cseqNumber, m.cseqMethod, m.statusCode);
  }

  /** observe() for a caller that builds the key itself (`${callId} ${direction}`). */
  observeKey(
    key: string,
    kind: 'request' | 'response',
    cseqNumber: number,
    cseqMethod: string,
    statusCode: number,
  ): boolean {
    const hash = this.key.setString(key);
    return this.judge(hash, kind, cseqNumber, cseqMethod, statusCode);
  }

  /**
   * observe() for a parsed message, read from its bytes (the engine's hot path: no string per message). The
   * direction is the sender and receiver the log names, else the top Via (see DirectionKey); `srcId` and `dstId` are
   * their ids in the detector's `endpoints`, when the reader numbered them (PayloadMeta).
   */
  observeMessage(
    m: MessageBytes,
    src: string | undefined,
    dst: string | undefined,
    kind: 'request' | 'response',
    cseqNumber: number,
    cseqMethod: string,
    statusCode: number,
    srcId?: number,
    dstId?: number,
    cseqMethodId?: number,
  ): boolean {
    const hash = this.key.set(m, src, dst, this.endpoints, srcId, dstId, kind);
    return this.judge(hash, kind, cseqNumber, cseqMethod, statusCode, cseqMethodId);
  }

  /** Judges the message whose direction is in this.key (with its hash) against the last one seen that way. */
  private judge(
    hash: number,
    kind: 'request' | 'response',
    cseqNumber: number,
    cseqMethod: string,
    statusCode: number,
    cseqMethodId?: number,
  ): boolean {
    const key = this.key;
    const methodId = this.methodNumber(cseqMethod, cseqMethodId);
    let g = this.young;
    let s = g.find(key, hash);
    if (s < 0) {
      // not young: an old one moves to the young generation (out of the old one first, so a rotation keeps it)
      const from = this.old;
      const o = from.find(key, hash);
      let cseq = 0;
      let stateCode = 0;
      let method = -1;
      if (o >= 0) {
        cseq = from.cseq(o);
        stateCode = from.stateCode(o);
        method = from.method(o);
        from.remove(o);
      }
      if (this.young.full) {
        // the young generation is full: the old one is dropped and the young one takes its place
        from.clear();
        this.old = this.young;
        this.young = from;
      }
      g = this.young;
      s = g.insert(key, hash);
      if (o < 0) {
        g.set(s, cseqNumber, next(0, kind, statusCode), methodId);
        return false;
      }
      g.set(s, cseq, stateCode, method);
    }
    const stateCode = g.stateCode(s);
    const state = stateCode % 4;
    const code = (stateCode - state) / 4;
    if (cseqNumber !== g.cseq(s)) {
      // a new transaction in this direction: the state starts again (Wireshark keeps the last code)
      g.set(s, cseqNumber, next(code, kind, statusCode), methodId);
      return false;
    }
    const sameMethod = methodId === g.method(s);
    let resend: boolean;
    if (kind === 'request') {
      resend = state === REQUEST && sameMethod && cseqMethod !== 'ACK' && cseqMethod !== 'CANCEL';
    } else {
      resend = state === FINAL && sameMethod && statusCode >= 200 && statusCode === code;
    }
    g.setState(s, next(code, kind, statusCode));
    return resend;
  }

  /**
   * The method's number as directions keep it: the parser's (the process's numbering) when given, else looked up
   * there; past that numbering's bound, one of this detector's own above it (a token has one number or the other,
   * for good, so two methods never share one).
   */
  private methodNumber(cseqMethod: string, given: number | undefined): number {
    if (given !== undefined && given >= 0) return given;
    const id = methodIds.of(cseqMethod);
    return id >= 0 ? id : MAX_METHOD_IDS + this.methods.of(cseqMethod);
  }

  /** Number of directions currently remembered (for tests of the bound). */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
