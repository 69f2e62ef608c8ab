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
 * Memory is bounded: the least recently used dialog direction is forgotten past `maxEntries`.
 */

type TransactionState = 'nothing' | 'request' | 'provisional' | 'final';

interface DirectionState {
  cseq: number;
  method: string;
  state: TransactionState;
  code: number;
}

/** Default bound on tracked (Call-ID, direction) pairs; ~100 bytes each. */
export const MAX_TRACKED_DIRECTIONS = 200_000;

export interface RetransmissionInput {
  readonly kind: 'request' | 'response';
  readonly callId: string;
  readonly cseqNumber: number;
  readonly cseqMethod: string;
  readonly statusCode: number;
  /** Direction key: sender and receiver as the log names them. */
  readonly direction: string;
}

/** Tracks messages and answers "was this one sent before?". */
export class RetransmissionDetector {
  private readonly states = new Map<string, DirectionState>();

  constructor(private readonly maxEntries: number = MAX_TRACKED_DIRECTIONS) {}

  /** Records the message and returns true when it is a retransmission. */
  observe(m: RetransmissionInput): boolean {
    const key = `${m.callId}\u0000${m.direction}`;
    let s = this.states.get(key);
    let cseqToCompare = 0;
    if (s) {
      cseqToCompare = s.cseq;
      if (m.cseqNumber !== s.cseq) {
        s.cseq = m.cseqNumber;
        s.method = m.cseqMethod;
        s.state = 'nothing';
      }
      // refresh recency: Map keeps insertion order, so re-insert
      this.states.delete(key);
      this.states.set(key, s);
    } else {
      s = { cseq: m.cseqNumber, method: m.cseqMethod, state: 'nothing', code: 0 };
      this.states.set(key, s);
      if (this.states.size > this.maxEntries) {
        const oldest = this.states.keys().next().value;
        if (oldest !== undefined) this.states.delete(oldest);
      }
    }

    let resend = false;
    if (m.kind === 'request') {
      resend =
        m.cseqNumber === cseqToCompare &&
        s.state === 'request' &&
        m.cseqMethod === s.method &&
        m.cseqMethod !== 'ACK' &&
        m.cseqMethod !== 'CANCEL';
      s.state = 'request';
    } else {
      resend =
        m.cseqNumber === cseqToCompare &&
        s.state === 'final' &&
        m.cseqMethod === s.method &&
        m.statusCode >= 200 &&
        m.statusCode === s.code;
      if (m.statusCode >= 200) {
        s.code = m.statusCode;
        s.state = 'final';
      } else {
        s.state = 'provisional';
      }
    }
    return resend;
  }

  /** Number of directions currently remembered (for tests of the bound). */
  get size(): number {
    return this.states.size;
  }
}
