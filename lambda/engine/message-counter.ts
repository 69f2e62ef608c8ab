import { LogClock } from './log-clock.js';
import { RetransmissionDetector } from './retransmissions.js';
import type { FramerEvents } from './sip-framer.js';
import type { Tally } from './tally.js';
import type { AccountedResponse, AnomalyKind, PayloadMeta, SipMessage } from './types.js';

/** RFC 3261 §25.1 SIP-date (RFC 1123): "Sat, 13 Nov 2010 23:29:00 GMT". */
const RFC1123 =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** CSeq method recorded for a response whose CSeq header is missing or unreadable. */
export const UNKNOWN_METHOD = 'UNKNOWN';

/** Feeds framed messages into a Tally, marking retransmissions on the way. */
export class MessageCounter implements FramerEvents {
  private readonly detector: RetransmissionDetector;
  private lastDate = '';
  private lastDateMs: number | undefined;

  /** @param clock places the times the log printed (one per file); by default local times are UTC and partial dates stay untimed */
  constructor(
    private readonly tally: Tally,
    detector?: RetransmissionDetector,
    private readonly clock: LogClock = new LogClock(),
  ) {
    this.detector = detector ?? new RetransmissionDetector();
  }

  message(msg: SipMessage, printed: PayloadMeta): void {
    const meta = printed.timeMs === undefined ? this.withTime(msg, printed) : printed;
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

  /**
   * The meta with the message's instant: the log's printed time placed by the clock, else the
   * Date header (RFC 3261 §20.17: RFC 1123 form, always GMT), else none.
   */
  private withTime(msg: SipMessage, meta: PayloadMeta): PayloadMeta {
    let timeMs: number | undefined;
    if (meta.stamp !== undefined) timeMs = this.clock.resolve(meta.stamp);
    else if (msg.date !== undefined) timeMs = this.dateHeaderMs(msg.date);
    if (timeMs === undefined) return meta;
    // a literal of the one shape every meta has, not a spread (one per message: spreads cost more)
    return { timeMs, stamp: meta.stamp, src: meta.src, dst: meta.dst, transport: meta.transport };
  }

  /** A Date header's instant; the last one is remembered (a transaction's messages often repeat it). */
  private dateHeaderMs(value: string): number | undefined {
    if (value !== this.lastDate) {
      this.lastDate = value;
      // only the RFC 1123 form "Sat, 13 Nov 2010 23:29:00 GMT": Date.parse would take other shapes as local time
      const ms = RFC1123.test(value) ? Date.parse(value) : Number.NaN;
      this.lastDateMs = Number.isFinite(ms) ? ms : undefined;
    }
    return this.lastDateMs;
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
    // the detector's key `${callId} ${direction}`, built in one go (no input object per message)
    const key =
      meta.src !== undefined || meta.dst !== undefined
        ? `${msg.callId} ${meta.src ?? ''}>${meta.dst ?? ''}`
        : `${msg.callId} via:${msg.topVia ?? ''}`;
    return this.detector.observeKey(key, msg.kind, msg.cseqNumber, msg.cseqMethod, msg.statusCode ?? 0);
  }
}
