import type { MatchContext } from './text-format.js';

/**
 * TCP retransmissions in logs that print no sequence numbers (ngrep, `tcpdump -q`). A capture taken where a segment
 * was sent holds it again when it is resent, and tshark marks the copy `tcp.analysis.retransmission` and does not
 * dissect it again; a text log prints both. Without sequence numbers a copy is known by its bytes: a segment equal
 * byte for byte to one of the last RECENT segments of its direction is a retransmission. SIP never sends the same
 * bytes twice over TCP (its own retransmissions are UDP's, and messages differ in CSeq, branch or tags); the copies
 * a stack makes of CRLF keep-alives are dropped too, which changes nothing (a keep-alive frames no message).
 * A resend that TCP cut into other segments than the original is not recognised (README, Known limits).
 */

/** Segments remembered per direction: a resend follows its original within one window of segments. */
const RECENT = 32;
/** Directions remembered at once; the least recently seen is forgotten past this. */
const MAX_DIRECTIONS = 20_000;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Each direction's last RECENT segments, as a 32-bit hash of the bytes and their length (in one number). */
class RecentSegments {
  private readonly directions = new Map<string, number[]>();

  /** Whether buf[start, end) repeats a recent segment of `flow`; it is remembered either way. */
  repeats(flow: string, buf: Buffer, start: number, end: number): boolean {
    let h = FNV_OFFSET;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] ?? 0), FNV_PRIME);
    // below 2^53: exact as a double
    const fingerprint = (h >>> 0) * 2 ** 21 + ((end - start) % 2 ** 21);
    let recent = this.directions.get(flow);
    if (recent === undefined) {
      recent = [];
      if (this.directions.size >= MAX_DIRECTIONS) {
        const oldest = this.directions.keys().next().value;
        if (oldest !== undefined) this.directions.delete(oldest);
      }
    } else this.directions.delete(flow);
    this.directions.set(flow, recent);
    if (recent.includes(fingerprint)) return true;
    if (recent.length >= RECENT) recent.shift();
    recent.push(fingerprint);
    return false;
  }
}

/** One RecentSegments per scan: the scanner's MatchContext is created once per scan. */
const byScan = new WeakMap<MatchContext, RecentSegments>();

export const recentSegmentsFor = (ctx: MatchContext): RecentSegments => {
  let r = byScan.get(ctx);
  if (r === undefined) {
    r = new RecentSegments();
    byScan.set(ctx, r);
  }
  return r;
};
