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
    const key = `${m.callId} ${m.direction}`;
    return this.judge(key, m);
  }

  private judge(key: string, m: RetransmissionInput): boolean {
    let s = this.young.get(key);
    if (s === undefined) {
      s = this.old.get(key);
      if (s !== undefined) this.old.delete(key);
      if (this.young.size >= this.generationSize) {
        this.old = this.young;
        this.young = new Map();
      }
      if (s === undefined) {
        const fresh: DirectionState = { cseq: m.cseqNumber, method: m.cseqMethod, state: NOTHING, code: 0 };
        this.young.set(key, fresh);
        this.update(fresh, m);
        return false;
      }
      this.young.set(key, s);
    }
    if (m.cseqNumber !== s.cseq) {
      s.cseq = m.cseqNumber;
      s.method = m.cseqMethod;
      s.state = NOTHING;
      this.update(s, m);
      return false;
    }
    let resend: boolean;
    if (m.kind === 'request') {
      resend = s.state === REQUEST && m.cseqMethod === s.method && m.cseqMethod !== 'ACK' && m.cseqMethod !== 'CANCEL';
    } else {
      resend = s.state === FINAL && m.cseqMethod === s.method && m.statusCode >= 200 && m.statusCode === s.code;
    }
    this.update(s, m);
    return resend;
  }

  private update(s: DirectionState, m: RetransmissionInput): void {
    if (m.kind === 'request') {
      s.state = REQUEST;
    } else if (m.statusCode >= 200) {
      s.code = m.statusCode;
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
