import type { LogStamp } from '../log-stamp.js';
import { type MutablePayloadMeta, payloadMeta } from '../payload-meta.js';
import type { AccountedResponse, AnomalyKind, Format, PayloadMeta } from '../types.js';

/**
 * What a format reader makes of one log line that belongs to its format.
 * - 'inline': a block header; the SIP message(s) follow as plain lines and are framed by
 *   Content-Length. `meta` applies to them until the next header.
 * - 'datagram' / 'stream': the reader found the whole payload extent itself ([payloadStart,
 *   payloadEnd) of `payloadBuf`, which may be a rebuilt copy, e.g. with indentation removed).
 * - 'packet': the reader rebuilt a whole captured packet from a hex dump; it is decoded as a capture's would be.
 * - 'record': the line itself is a record of one final response (an accounting line).
 * - 'skip': a separator or trailer line of the format; nothing to count.
 */
export type HeaderMatch =
  | { readonly kind: 'inline'; readonly format: Format; readonly meta: PayloadMeta; readonly next: number }
  | {
      readonly kind: 'datagram' | 'stream';
      readonly format: Format;
      readonly meta: PayloadMeta;
      /** Where scanning resumes after the block. */
      readonly next: number;
      readonly payloadBuf: Buffer;
      readonly payloadStart: number;
      readonly payloadEnd: number;
      /** ngrep shows CR as '.'. */
      readonly dotCR: boolean;
      /** Stream flow key (sender -> receiver), for 'stream' only. */
      readonly flow?: string;
      /** 'stream': bytes of the flow before this payload were lost (tcpdump's sequence numbers skip them). */
      readonly gap?: boolean;
      /** The capture cut this packet (snaplen): the payload is all it holds of it ('truncated-capture'). */
      readonly cut?: boolean;
      /**
       * 'datagram': the UDP datagram an ICMP error quoted (the packet that caused it), counted as tshark counts it
       * (pcap/icmp.ts): its first message, never a retransmission, a quote cut short no anomaly.
       */
      readonly quoted?: boolean;
    }
  | {
      readonly kind: 'packet';
      readonly format: Format;
      readonly next: number;
      /** LINKTYPE_* of the bytes (lambda/engine/pcap/link-layer.ts): a hex dump holds a whole packet. */
      readonly linkType: number;
      readonly payloadBuf: Buffer;
      readonly payloadStart: number;
      readonly payloadEnd: number;
      /** When the dump printed it: an instant, or a time the file's clock places. */
      readonly timeMs?: number;
      readonly stamp?: LogStamp;
      /** The packet's length on the wire, when the dump shows it was longer than printed (a snaplen cut). */
      readonly originalLength?: number;
    }
  | { readonly kind: 'record'; readonly format: Format; readonly next: number; readonly record: AccountedResponse }
  | {
      readonly kind: 'skip';
      readonly format: Format;
      readonly next: number;
      /** The line (or block) held something the reader could not read: said, not counted. */
      readonly anomaly?: AnomalyKind;
    };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type InlineMatch = Extract<HeaderMatch, { kind: 'inline' }>;
export type PayloadMatch = Extract<HeaderMatch, { kind: 'datagram' | 'stream' }>;
export type SkipMatch = Extract<HeaderMatch, { kind: 'skip' }>;

/**
 * A reader's answers, refilled by each match instead of made: a log line of a busy format was an object for the
 * answer and one for its meta, a third of a text scan's garbage. The scanner reads an answer in the same synchronous
 * step that asked for it, so one object per reader serves every scan of the process; what it keeps longer (an inline
 * header's meta, until the message after it, which may follow an await) it copies. Every reader's answers, of every
 * kind, are of one shape (see `answer`). An answer, and the meta of an inline or datagram answer, are valid until
 * that reader's next match; a stream segment's meta is kept by the framer with the bytes it holds, so a stream
 * answer needs a meta of its own.
 */
export class MatchSlots {
  private readonly inlineMatch: Mutable<InlineMatch>;
  private readonly payloadMatch: Mutable<PayloadMatch>;
  private readonly skipMatch: Mutable<SkipMatch>;
  /** The meta an inline or datagram answer may carry (see refillMeta). */
  readonly meta: MutablePayloadMeta = payloadMeta('unknown');

  constructor(format: Format) {
    this.inlineMatch = answer('inline', format, this.meta);
    this.payloadMatch = answer('datagram', format, this.meta);
    this.skipMatch = answer('skip', format, this.meta);
  }

  inline(meta: PayloadMeta, next: number): InlineMatch {
    const m = this.inlineMatch;
    m.meta = meta;
    m.next = next;
    return m;
  }

  payload(
    kind: PayloadMatch['kind'],
    meta: PayloadMeta,
    next: number,
    payloadBuf: Buffer,
    payloadStart: number,
    payloadEnd: number,
    dotCR: boolean,
    flow?: string,
    quoted?: boolean,
  ): PayloadMatch {
    const m = this.payloadMatch;
    m.quoted = quoted;
    m.kind = kind;
    m.meta = meta;
    m.next = next;
    m.payloadBuf = payloadBuf;
    m.payloadStart = payloadStart;
    m.payloadEnd = payloadEnd;
    m.dotCR = dotCR;
    m.flow = flow;
    return m;
  }

  skip(next: number, anomaly?: AnomalyKind): SkipMatch {
    const m = this.skipMatch;
    m.next = next;
    m.anomaly = anomaly;
    return m;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * An answer object with the fields of every kind, in one order: the three kinds a reader refills are then of one
 * shape, so the scanner's reads of an answer stay monomorphic (with a shape per kind, the first answer of a kind
 * not seen yet threw away the scan loop's optimised code).
 */
const answer = <K extends HeaderMatch['kind']>(kind: K, format: Format, meta: PayloadMeta) => ({
  kind,
  format,
  next: 0,
  meta,
  payloadBuf: EMPTY,
  payloadStart: 0,
  payloadEnd: 0,
  dotCR: false,
  flow: undefined as string | undefined,
  gap: undefined as boolean | undefined,
  cut: undefined as boolean | undefined,
  quoted: undefined as boolean | undefined,
  anomaly: undefined as AnomalyKind | undefined,
});

/** The reader needs bytes past `end` to decide; the scanner calls again with more. */
export const NEED_MORE = 'need-more' as const;
export type MatchResult = HeaderMatch | null | typeof NEED_MORE;

/** Context handed to readers. */
export interface MatchContext {
  /** No more input will come: decide with what there is. */
  readonly final: boolean;
  /** Whether a line is a header line of any known format (ends blocks that run to the next header). */
  readonly isHeaderLine: (buf: Buffer, lineStart: number, lineEnd: number) => boolean;
}

/**
 * One text log format. `firstBytes` lists every byte a header line of the format can start with;
 * the scanner calls `match` only for lines starting with one of them (or for every line when
 * `anyFirstByte` is set, for formats found by a marker anywhere on the line).
 */
export interface TextFormatReader {
  readonly format: Format;
  readonly firstBytes: string;
  /**
   * Optional, finer than `firstBytes`: every start a header line of the format can have, as two
   * bytes ("U ", "==") or as one byte followed by anything ("["). The scanner asks no reader about a
   * line whose first two bytes no reader lists, which rejects nearly every header and body line of
   * a SIP message with one table load. Without it, each first byte may be followed by anything.
   */
  readonly lineStarts?: readonly string[];
  /**
   * A substring every header line of this format contains; lets the scanner skip lines cheaply
   * with one native search per buffer instead of a test per line.
   */
  readonly marker?: string;
  /**
   * Tries the line [lineStart, lineEnd) (lineEnd = offset of its LF, or `end`) as a header of this
   * format. Returns null when it is not one. The answer (and an inline or datagram answer's meta) may be an object
   * the reader refills (MatchSlots): read it before asking the reader again.
   */
  match(buf: Buffer, lineStart: number, lineEnd: number, end: number, ctx: MatchContext): MatchResult;
  /**
   * Whether the line is a header line of this format, from the line alone (no look-ahead, no
   * search for the block's end). Used to fence bodies and to find where extents end.
   */
  isHeader(buf: Buffer, lineStart: number, lineEnd: number): boolean;
  /**
   * Each of its inline entries ends with a line of its own (sipdump's `||||`, chan_sip's `<------------->`), so the
   * rest of a UDP datagram's entry after its message is known: bytes past the message's Content-Length, not SIP to
   * tshark. Formats without such a line leave what follows a message to be read as what it is (a log of another
   * format may follow without a line between).
   */
  readonly closedEntries?: boolean;
  /**
   * Its datagrams are packets as they were captured, byte for byte (tcpdump, ngrep): each is read as tshark reads a
   * capture's (pcap/sip-datagram.ts), its one message only when one starts at its first byte.
   */
  readonly printsPackets?: boolean;
}

/** "ip:port" from an address printed as "1.2.3.4:5060", "[::1]:5060" or "::1:5060". */
export const normaliseAddress = (s: string): string => {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close > 0) return `${s.slice(1, close)}:${s.slice(close + 2)}`;
  }
  return s;
};

/** Milliseconds since the epoch of "YYYY-MM-DD hh:mm:ss[.frac]" read as UTC, or undefined. */
export const parseDateTimeUtc = (date: string, time: string): number | undefined => {
  const d = /^(\d{4})[-/](\d{2})[-/](\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?$/.exec(time);
  if (!d || !t) return undefined;
  const frac = t[4] ? Number(`0.${t[4]}`) : 0;
  const ms = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]), Number(t[3]));
  return Number.isFinite(ms) ? ms + Math.round(frac * 1000) : undefined;
};
