import type { MatchContext } from '../text-format.js';
import { type TcpSummary, TH_ACK, TH_SYN } from './summary-line.js';

// TCP: tcpdump's relative sequence numbers, per direction

/** TCP directions and conversations remembered at once; the oldest is forgotten past this. */
const MAX_TCP_DIRECTIONS = 20_000;
/** A sequence jump this large is a renumbering (tcpdump -S, or a restart), not a gap. */
const RENUMBERED = 2 ** 30;
/**
 * Acknowledgment and sequence numbers that move this far from the direction's last ones at once were printed by
 * another tcpdump run (see take()): relative numbers move by what was sent between two packets of a direction, far
 * less than a MiB on a SIP connection (every segment carries an ack), while a new run prints the conversation's first
 * packet with absolute numbers, which miss the relative ones by this much but for one time in ~2,000.
 */
const NEW_RUN_JUMP = 2 ** 20;

/** Signed distance a - b between two 32-bit sequence numbers (RFC 9293 §3.4 modular arithmetic). */
const seqDiff = (a: number, b: number): number => {
  const d = (a - b) % 2 ** 32;
  return d >= 2 ** 31 ? d - 2 ** 32 : d < -(2 ** 31) ? d + 2 ** 32 : d;
};

/** What a segment adds to its direction's stream. */
export interface Continued {
  readonly bytes: Buffer;
  /** Stream bytes before it were never printed (a lost segment): what the stream holds of a message is cut there. */
  readonly gap: boolean;
}

/** Empty bytes are returned too: a segment the snaplen cut to nothing still cuts the message in progress. */
const continued = (bytes: Buffer, gap: boolean): Continued => ({ bytes, gap });

const CR = 0x0d;

interface Direction {
  /** Next sequence number expected, in the numbers the dump prints for this direction. */
  expected: number | undefined;
  /** The absolute number of the packet that set this direction's origin (see segment()). */
  origin: number | undefined;
  /** The last byte this direction's stream took is a CR (see endsInCr). */
  endsInCr: boolean;
  /** The acknowledgment number of this direction's last packet that printed one. */
  lastAck: number | undefined;
  /** That packet was its conversation's first in a tcpdump run: its numbers were absolute. */
  lastAckAbsolute: boolean;
}

/**
 * Reassembly state of one scan. Like tshark's default (tcp.reassemble_out_of_order off),
 * segments are not reordered: a segment past a gap is taken as it comes, and bytes below the
 * expected number are dropped as already seen (retransmissions).
 */
class TcpStreams {
  /** tcp_print's tcp_seq_hash: conversations whose numbers are already printed relative. */
  private readonly conversations = new Map<string, true>();
  private readonly directions = new Map<string, Direction>();

  /**
   * Takes one segment: its payload bytes as printed and restored, and `length`, the payload length the summary line
   * gives (more than `data` holds when the snaplen cut the packet). Returns the part that continues the stream, and
   * whether bytes of the stream are missing before it (a segment the capture lost), or null.
   */
  segment(src: string, dst: string, t: TcpSummary, data: Buffer, length = data.length): Continued | null {
    const dir = this.direction(`${src}>${dst}`);
    const taken = this.take(dir, src, dst, t, data, length);
    if (taken !== null) this.noteEnd(dir, taken.bytes);
    return taken;
  }

  /** A segment printed without sequence numbers (`-q`) was taken as it came: only its last byte is kept in mind. */
  taken(src: string, dst: string, data: Buffer): void {
    this.noteEnd(this.direction(`${src}>${dst}`), data);
  }

  private noteEnd(dir: Direction, bytes: Buffer): void {
    if (bytes.length > 0) dir.endsInCr = bytes[bytes.length - 1] === CR;
  }

  /**
   * Whether the segment `t` of src>dst (its sequence number, when printed) starts right after a CR its stream took: a
   * LF it opens with then ends a CRLF that TCP split (ascii_print drops a CR that ends a packet) and lost no CR of its
   * own. A retransmission that starts before that point, or a segment past a gap, follows other bytes.
   */
  endsInCr(src: string, dst: string, t?: TcpSummary): boolean {
    const dir = this.directions.get(`${src}>${dst}`);
    if (dir === undefined || !dir.endsInCr) return false;
    if (t === undefined) return true;
    if (t.seq === undefined || dir.expected === undefined) return false;
    return this.relativeSeq(dir, t.seq) === dir.expected;
  }

  /** A printed sequence number as the direction counts (with -S every number stays absolute: read against the origin). */
  private relativeSeq(dir: Direction, seq: number): number {
    if (dir.origin === undefined || dir.expected === undefined) return seq;
    const fromOrigin = (seq - dir.origin + 2 ** 32) % 2 ** 32;
    return Math.abs(seqDiff(fromOrigin, dir.expected)) < Math.abs(seqDiff(seq, dir.expected)) ? fromOrigin : seq;
  }

  private take(
    dir: Direction,
    src: string,
    dst: string,
    t: TcpSummary,
    data: Buffer,
    length: number,
  ): Continued | null {
    // print-tcp.c tcp_print: numbers are relative only on packets with ACK whose conversation was
    // seen before. A packet without ACK (a SYN) prints them absolute; the first ACK of a
    // conversation, or a SYN-ACK, prints them absolute and becomes the origin: 0 for its own
    // direction, its ack - 1 for the other one.
    if (!(t.flags & TH_ACK)) {
      dir.expected = undefined;
      dir.origin = undefined;
      return continued(data, false);
    }
    const conv = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
    const lastAck = dir.lastAck;
    const afterAbsolute = dir.lastAckAbsolute;
    if (t.ack !== undefined) dir.lastAck = t.ack;
    dir.lastAckAbsolute = false;
    // texts of several tcpdump runs joined (rotation files printed one by one, `>>`): each run prints a conversation's
    // first packet with absolute numbers and numbers the rest from it, so a connection that spans the join starts
    // over there; its acknowledgment number jumps from a relative one to an absolute one
    const newRun =
      t.ack !== undefined &&
      lastAck !== undefined &&
      !afterAbsolute &&
      Math.abs(seqDiff(t.ack, lastAck)) >= NEW_RUN_JUMP &&
      (t.seq === undefined || dir.expected === undefined || Math.abs(seqDiff(t.seq, dir.expected)) >= NEW_RUN_JUMP);
    if (!this.conversations.has(conv) || t.flags & TH_SYN || newRun) {
      dir.lastAckAbsolute = true;
      this.remember(this.conversations, conv, true);
      const reverse = this.directions.get(`${dst}>${src}`);
      if (reverse) {
        reverse.expected = undefined;
        reverse.origin = undefined;
      }
      dir.origin = t.seq;
      dir.expected = t.seq === undefined ? undefined : length + (t.flags & TH_SYN ? 1 : 0);
      return continued(data, false);
    }
    if (length === 0 || t.seq === undefined) return null;
    const seq = this.relativeSeq(dir, t.seq);
    const d = dir.expected === undefined ? 0 : seqDiff(seq, dir.expected);
    if (dir.expected === undefined || d >= 0 || -d >= RENUMBERED) {
      // in order, past a gap (the missing bytes never come back into the stream: not reordered), or renumbered
      const gap = dir.expected !== undefined && d > 0 && d < RENUMBERED;
      dir.expected = seq + length;
      return continued(data, gap);
    }
    if (-d >= length) return null; // a retransmission of bytes already taken
    dir.expected = seq + length;
    return continued(data.subarray(Math.min(-d, data.length)), false);
  }

  private direction(key: string): Direction {
    const dir = this.directions.get(key) ?? {
      expected: undefined,
      origin: undefined,
      endsInCr: false,
      lastAck: undefined,
      lastAckAbsolute: false,
    };
    this.remember(this.directions, key, dir);
    return dir;
  }

  /** Sets a key as the most recently used one, forgetting the oldest past the bound. */
  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_TCP_DIRECTIONS) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}

/** One TcpStreams per scan: the scanner's MatchContext is created once per scan. */
const streamsOfScan = new WeakMap<MatchContext, TcpStreams>();

export const streamsFor = (ctx: MatchContext): TcpStreams => {
  let s = streamsOfScan.get(ctx);
  if (!s) {
    s = new TcpStreams();
    streamsOfScan.set(ctx, s);
  }
  return s;
};
