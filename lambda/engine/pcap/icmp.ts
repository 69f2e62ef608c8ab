import type { LogClock } from '../log-clock.js';
import { RetransmissionDetector } from '../retransmissions.js';
import type { FramerEvents } from '../sip-framer.js';
import type { Tally } from '../tally.js';

/**
 * ICMP error messages quote the packet that caused them: RFC 792 (Destination Unreachable,
 * Source Quench, Redirect, Time Exceeded, Parameter Problem) and RFC 4443 §3 (ICMPv6 types 1-4).
 * Both put the quoted IP header 8 bytes after the start of the ICMP message.
 */

export const ICMP_HEADER_BYTES = 8;
const ICMPV4_ERRORS: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);
const ICMPV6_ERRORS: ReadonlySet<number> = new Set([1, 2, 3, 4]);

/** Whether an ICMP (version 4) or ICMPv6 (version 6) message of this type is an error, which quotes a packet. */
export const quotesPacket = (version: 4 | 6, type: number): boolean =>
  version === 4 ? ICMPV4_ERRORS.has(type) : ICMPV6_ERRORS.has(type);

/** Offset of the quoted IP packet in an ICMP (version 4) or ICMPv6 (version 6) message, or -1 if it quotes none. */
export const quotedPacketStart = (version: 4 | 6, buf: Buffer, start: number, end: number): number => {
  if (end - start <= ICMP_HEADER_BYTES) return -1;
  return quotesPacket(version, buf[start] ?? 0) ? start + ICMP_HEADER_BYTES : -1;
};

/**
 * Where SIP quoted inside ICMP errors is counted. tshark dissects the quoted datagram, so `-Y sip`
 * matches the ICMP packet and its sip.Status-Code / sip.Method count; but packet-sip.c's
 * sip_is_packet_resend() returns 0 "for packets that appear to be resent only because they are
 * e.g. returned in ICMP unreachable messages" (pinfo->flags.in_error_pkt) and leaves its
 * Call-ID/CSeq state untouched. So quoted messages count, are never retransmissions, and do not
 * make the next real one look like a retransmission. The quote is routinely cut (RFC 1812
 * §4.3.2.3 caps an ICMPv4 error at 576 bytes), so cut bodies are not anomalies here, and bytes
 * that are not SIP are part of the ICMP message, not unrecognised input. In a text log the file's clock places the
 * times it printed (`clock`).
 */
export const quotedMessageEvents = (tally: Tally, clock?: LogClock): FramerEvents => {
  const counter = tally.counter(new NoRetransmissions(), clock);
  return {
    message: (msg, meta) => counter.message(msg, meta),
    anomaly: () => undefined,
    unrecognized: () => undefined,
  };
};

/** Retransmission detection that sees nothing and remembers nothing (in_error_pkt). */
class NoRetransmissions extends RetransmissionDetector {
  override observe(): boolean {
    return false;
  }

  override observeKey(): boolean {
    return false;
  }

  override observeMessage(): boolean {
    return false;
  }
}
