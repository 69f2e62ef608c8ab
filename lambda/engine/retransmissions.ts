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
 */

type TransactionState = 0 | 1 | 2 | 3; // nothing, request seen, provisional seen, final seen
const NOTHING: TransactionState = 0;
const REQUEST: TransactionState = 1;
const PROVISIONAL: TransactionState = 2;
const FINAL: TransactionState = 3;

interface DirectionState {
  cseq: number;
  method: string;
  state: TransactionState;
  code: number;
}

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

/** Tracks messages and answers "was this one sent before?". */
export class RetransmissionDetector {
  private young = new Map<string, DirectionState>();
  private old = new Map<string, DirectionState>();
  private readonly generationSize: number;

  constructor(maxEntries: number = MAX_TRACKED_DIRECTIONS) {
    this.generationSize = Math.max(1, Math.floor(maxEntries / 2));
  }

  /** Records the message and returns true when it is a retransmission. */
  observe(m: RetransmissionInput): boolean {
    return this.observeKey(`${m.callId} ${m.direction}`, m.kind, m.cseqNumber, m.cseqMethod, m.statusCode);
  }

  /**
   * observe() for a caller that builds the key itself (`${callId} ${direction}`): the engine's hot
   * path, with no input object per message.
   */
  observeKey(
    key: string,
    kind: 'request' | 'response',
    cseqNumber: number,
    cseqMethod: string,
    statusCode: number,
  ): boolean {
    let s = this.young.get(key);
    if (s === undefined) {
      s = this.old.get(key);
      if (s !== undefined) this.old.delete(key);
      if (this.young.size >= this.generationSize) {
        this.old = this.young;
        this.young = new Map();
      }
      if (s === undefined) {
        const fresh: DirectionState = { cseq: cseqNumber, method: cseqMethod, state: NOTHING, code: 0 };
        this.young.set(key, fresh);
        this.update(fresh, kind, statusCode);
        return false;
      }
      this.young.set(key, s);
    }
    if (cseqNumber !== s.cseq) {
      s.cseq = cseqNumber;
      s.method = cseqMethod;
      s.state = NOTHING;
      this.update(s, kind, statusCode);
      return false;
    }
    let resend: boolean;
    if (kind === 'request') {
      resend = s.state === REQUEST && cseqMethod === s.method && cseqMethod !== 'ACK' && cseqMethod !== 'CANCEL';
    } else {
      resend = s.state === FINAL && cseqMethod === s.method && statusCode >= 200 && statusCode === s.code;
    }
    this.update(s, kind, statusCode);
    return resend;
  }

  private update(s: DirectionState, kind: 'request' | 'response', statusCode: number): void {
    if (kind === 'request') {
      s.state = REQUEST;
    } else if (statusCode >= 200) {
      s.code = statusCode;
      s.state = FINAL;
    } else {
      s.state = PROVISIONAL;
    }
  }

  /** Number of directions currently remembered (for tests of the bound). */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
