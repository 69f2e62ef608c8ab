import { RetransmissionDetector } from './retransmissions.js';
import type { FramerEvents } from './sip-framer.js';
import type { Tally } from './tally.js';
import type { AccountedResponse, AnomalyKind, PayloadMeta, SipMessage } from './types.js';

/** CSeq method recorded for a response whose CSeq header is missing or unreadable. */
export const UNKNOWN_METHOD = 'UNKNOWN';

/** Feeds framed messages into a Tally, marking retransmissions on the way. */
export class MessageCounter implements FramerEvents {
  private readonly detector: RetransmissionDetector;

  constructor(
    private readonly tally: Tally,
    detector?: RetransmissionDetector,
  ) {
    this.detector = detector ?? new RetransmissionDetector();
  }

  message(msg: SipMessage, meta: PayloadMeta): void {
    const retransmission = this.isRetransmission(msg, meta);
    this.tally.kpis.observe(msg, meta);
    if (msg.kind === 'request') {
      if (msg.cseqNumber === undefined || msg.cseqMethod === undefined) this.tally.anomaly('missing-cseq');
      this.tally.addRequest(msg.method ?? UNKNOWN_METHOD, retransmission);
      return;
    }
    if (msg.statusCode === undefined) {
      this.tally.anomaly('truncated-status-line');
      return;
    }
    if (msg.cseqMethod === undefined) this.tally.anomaly('missing-cseq');
    this.tally.addResponse(msg.statusCode, msg.cseqMethod ?? UNKNOWN_METHOD, retransmission, meta.timeMs, meta.src);
  }

  /** An accounting record: one final response, never a retransmission. */
  accounted(r: AccountedResponse): void {
    if (this.tally.addResponse(r.statusCode, r.cseqMethod, false, r.timeMs)) this.tally.accountedResponses++;
  }

  anomaly(kind: AnomalyKind): void {
    this.tally.anomaly(kind);
  }

  unrecognized(bytes: number): void {
    this.tally.unrecognizedBytes += bytes;
  }

  /**
   * Wireshark only looks for resends over UDP (SIP over TCP is never retransmitted by SIP itself).
   * When the log names no transport, the top Via's transport tells it.
   */
  private isRetransmission(msg: SipMessage, meta: PayloadMeta): boolean {
    const transport = meta.transport !== 'unknown' ? meta.transport : (msg.viaTransport ?? 'unknown');
    if (transport !== 'udp') return false;
    if (msg.callId === undefined || msg.cseqNumber === undefined || msg.cseqMethod === undefined) return false;
    // Without addresses the top Via tells the legs of a proxied transaction apart.
    const direction =
      meta.src !== undefined || meta.dst !== undefined
        ? `${meta.src ?? ''}>${meta.dst ?? ''}`
        : `via:${msg.topVia ?? ''}`;
    return this.detector.observe({
      kind: msg.kind,
      callId: msg.callId,
      cseqNumber: msg.cseqNumber,
      cseqMethod: msg.cseqMethod,
      statusCode: msg.statusCode ?? 0,
      direction,
      timeMs: meta.timeMs,
    });
  }
}
