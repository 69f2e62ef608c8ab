import { NO_PEER } from './kpis.js';
import { LogClock } from './log-clock.js';
import { type MutablePayloadMeta, payloadMeta, refillMeta } from './payload-meta.js';
import { RetransmissionDetector } from './retransmissions.js';
import type { FramerEvents } from './sip-framer.js';
import { identityBytes } from './sip-message.js';
import type { Tally } from './tally.js';
import type { AccountedResponse, AnomalyKind, MessageBytes, PayloadMeta, SipMessage } from './types.js';

/** RFC 3261 §25.1 SIP-date (RFC 1123): "Sat, 13 Nov 2010 23:29:00 GMT". */
const RFC1123 =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** CSeq method recorded for a response whose CSeq header is missing or unreadable. */
export const UNKNOWN_METHOD = 'UNKNOWN';

/** Feeds framed messages into a Tally, marking retransmissions on the way. */
export class MessageCounter implements FramerEvents {
  private readonly detector: RetransmissionDetector;
  /** The last Date header value seen (its bytes, lastDateLength of them) and its instant. */
  private lastDate = Buffer.alloc(64);
  private lastDateLength = -1;
  private lastDateMs: number | undefined;
  /**
   * The meta of the message being counted once its time is known (refilled per message, as the parser refills its
   * record: the counting side reads a meta only during the call, and a new object per timed message was a third of
   * the garbage a text scan made outside the format readers).
   */
  private readonly timed: MutablePayloadMeta = payloadMeta('unknown');

  /** @param clock places the times the log printed (one per file); by default local times are UTC and partial dates stay untimed */
  constructor(
    private readonly tally: Tally,
    detector?: RetransmissionDetector,
    /** The file's clock, which every counter of a text log's messages shares (a hex dump's, an ICMP quote's). */
    readonly clock: LogClock = new LogClock(),
  ) {
    this.detector = detector ?? new RetransmissionDetector();
  }

  message(msg: SipMessage, printed: PayloadMeta): void {
    // Call-ID, top Via and Date as offsets into the parser's buffer (strings only for a message built with them)
    const bytes = identityBytes(msg);
    const meta = printed.timeMs === undefined ? this.withTime(bytes, printed) : printed;
    const retransmission = this.isRetransmission(msg, bytes, meta);
    const tally = this.tally;
    if (msg.kind === 'request') {
      tally.kpis.observe(msg, meta, NO_PEER);
      if (msg.cseqNumber === undefined || msg.cseqMethod === undefined) tally.anomaly('missing-cseq');
      tally.addRequest(
        msg.method ?? UNKNOWN_METHOD,
        retransmission,
        msg.method === undefined ? undefined : msg.methodId,
      );
      return;
    }
    if (msg.statusCode === undefined) {
      tally.kpis.observe(msg, meta, NO_PEER);
      tally.anomaly('truncated-status-line');
      return;
    }
    if (msg.cseqMethod === undefined) tally.anomaly('missing-cseq');
    const counted = tally.addResponse(
      msg.statusCode,
      msg.cseqMethod ?? UNKNOWN_METHOD,
      retransmission,
      meta.timeMs,
      meta.src,
      meta.srcId,
      msg.cseqMethod === undefined ? undefined : msg.cseqMethodId,
    );
    // the peer the tally filed the response under; one it could not class has none (the tracker skips it by the same test)
    tally.kpis.observe(msg, meta, counted ? tally.lastPeer : NO_PEER);
  }

  /**
   * The meta with the message's instant: the log's printed time placed by the clock, else the
   * Date header (RFC 3261 §20.17: RFC 1123 form, always GMT), else none.
   */
  private withTime(bytes: MessageBytes, meta: PayloadMeta): PayloadMeta {
    let timeMs: number | undefined;
    if (meta.stamp !== undefined) timeMs = this.clock.resolve(meta.stamp);
    else if (bytes.dateStart >= 0) timeMs = this.dateHeaderMs(bytes.buf, bytes.dateStart, bytes.dateEnd);
    if (timeMs === undefined) return meta;
    return refillMeta(this.timed, meta.transport, meta.src, meta.dst, timeMs, meta.stamp, meta.srcId, meta.dstId);
  }

  /**
   * The instant of the Date header value buf[start, end); the last one is remembered (a transaction's messages
   * often repeat it), so a string is made only when the value changes.
   */
  private dateHeaderMs(buf: Buffer, start: number, end: number): number | undefined {
    const n = end - start;
    let same = n === this.lastDateLength;
    for (let i = 0; same && i < n; i++) same = buf[start + i] === this.lastDate[i];
    if (!same) {
      if (this.lastDate.length < n) this.lastDate = Buffer.alloc(n);
      buf.copy(this.lastDate, 0, start, end);
      this.lastDateLength = n;
      const value = buf.toString('latin1', start, end);
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
  private isRetransmission(msg: SipMessage, bytes: MessageBytes, meta: PayloadMeta): boolean {
    const transport = meta.transport !== 'unknown' ? meta.transport : (msg.viaTransport ?? 'unknown');
    if (transport !== 'udp') return false;
    // no Call-ID is an empty one: tshark keys a resend on the Call-ID it read, "" when the message has none
    if (msg.cseqNumber === undefined || msg.cseqMethod === undefined) return false;
    // Without addresses the top Via tells the legs of a proxied transaction apart (direction-key.ts).
    return this.detector.observeMessage(
      bytes,
      meta.src,
      meta.dst,
      msg.kind,
      msg.cseqNumber,
      msg.cseqMethod,
      msg.statusCode ?? 0,
      meta.srcId,
      meta.dstId,
      msg.cseqMethodId,
    );
  }
}
