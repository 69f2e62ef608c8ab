import { findLogStamp, timeOfDayStamp } from '../log-stamp.js';
import { payloadMeta } from '../payload-meta.js';
import { transportNamed } from '../transport.js';
import { lineEndAt, lineText, startsWith } from './line-utils.js';
import { type MatchContext, type MatchResult, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * FreeSWITCH `sofia global siptrace on` / `sofia profile X siptrace on`: sofia-sip's transport
 * log (libsofia-sip-ua/tport/tport_logging.c), which mod_sofia passes on unprefixed
 * (sofia.c logger(): SWITCH_CHANNEL_LOG_CLEAN). tport_stamp prints
 *   "%s %zu bytes %s %s/[%s]:%u%s%s at %02u:%02u:%02u.%06lu:\n"
 * (recv|send|sent, the message size, from|to, udp|tcp|tls|ws|wss|sctp, the peer, an IPv6 flow
 * label, ";comp=sigcomp", the local time of day: no date, the file's clock gives it one), then tport_log_msg prints the message
 * line by line, every line end (CRLF, LF or CR) printed as one LF. Two layouts exist:
 * - sofia-sip 1.12 and FreeSWITCH before 1.10 (before commit 57cb3b3, 2019): a separator of 72
 *   dashes indented by 3 spaces, each line indented by 3 spaces (an empty line is 3 spaces), and
 *   the same separator after the message;
 * - FreeSWITCH 1.10 (57cb3b3 and later): the separator unindented, the lines unindented, no
 *   closing separator, and (since 8ff7e35) one more LF after the message.
 * The reader puts the line ends back so that the rebuilt message is exactly the stamp's size
 * (CRLF everywhere, else CRLF in the header section and LF in the body, else LF everywhere; the
 * last line with or without one), and hands it over as a datagram: each block is one message.
 * A date appears only when something put a dated prefix before the stamp.
 */

const STAMP =
  /(recv|send|sent) (\d+) bytes (from|to) ([a-z0-9-]+)\/\[([^\]]*)\]:(\d+)(?:\/\d+)?(?:;comp=sigcomp)? at (\d{2}:\d{2}:\d{2}\.\d{6}):\s*$/;
const SEPARATOR = '-'.repeat(72);
const INDENT = '   ';

/** A logged message is never larger than this (tport_log_msg caps the buffer at 16000 bytes). */
const MAX_BLOCK_BYTES = 256 * 1024;
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;

/** Content range of one printed line (indentation and a CR the log file may have added removed). */
interface Line {
  readonly start: number;
  readonly end: number;
}

const contentOf = (buf: Buffer, ls: number, le: number, indented: boolean): Line => {
  let s = ls;
  if (indented && buf[s] === SP && buf[s + 1] === SP && buf[s + 2] === SP) s += 3;
  const e = le > s && buf[le - 1] === CR ? le - 1 : le;
  return { start: s, end: Math.max(e, s) };
};

/**
 * Line-end bytes after each of `lines` that make the message `size` bytes, or null when none of
 * the usual shapes fits: RFC 3261 §7 wants CRLF; bodies, and some senders, use bare LF.
 */
const lineEnds = (lines: readonly Line[], size: number): number[] | null => {
  const m = lines.length;
  if (m === 0) return null;
  let content = 0;
  let headerLines = m;
  for (let i = 0; i < m; i++) {
    const l = lines[i] as Line;
    content += l.end - l.start;
    if (headerLines === m && l.end === l.start) headerLines = i + 1;
  }
  const body = m - headerLines;
  const shapes: readonly [header: number, body: number, last: number][] = [
    [2, 2, 2],
    [2, 2, 0],
    [2, 1, 1],
    [2, 1, 0],
    [1, 1, 1],
    [1, 1, 0],
  ];
  for (const [h, b, last] of shapes) {
    if (b !== h && body === 0) continue;
    const ends = lines.map((_, i) => (i === m - 1 ? last : i < headerLines ? h : b));
    if (ends.reduce((sum, x) => sum + x, content) === size) return ends;
  }
  return null;
};

/**
 * The message bytes: each line with its line end, except that the header section always gets
 * CRLF. Content-Length counts only the body, and a header section in bare LF would make the
 * framer read the body as a CRLF-to-LF converted one (sip-message.ts parseMessage).
 */
const rebuild = (buf: Buffer, lines: readonly Line[], ends: readonly number[]): Buffer => {
  let headerLines = lines.length;
  for (let i = 0; i < lines.length && headerLines === lines.length; i++) {
    const l = lines[i] as Line;
    if (l.end === l.start) headerLines = i + 1;
  }
  const endOf = (i: number): number => (i < headerLines && (ends[i] ?? 2) > 0 ? 2 : (ends[i] ?? 2));
  let size = 0;
  for (let i = 0; i < lines.length; i++) size += (lines[i] as Line).end - (lines[i] as Line).start + endOf(i);
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as Line;
    o += buf.copy(out, o, l.start, l.end);
    const e = endOf(i);
    if (e === 2) out[o++] = CR;
    if (e >= 1) out[o++] = LF;
  }
  return out;
};

interface Block {
  readonly lines: Line[];
  readonly ends: number[];
  readonly next: number;
}

/** Old layout: every line up to the indented closing separator. */
const oldBlock = (
  buf: Buffer,
  from: number,
  end: number,
  size: number,
  ctx: MatchContext,
): Block | typeof NEED_MORE => {
  const lines: Line[] = [];
  let p = from;
  for (;;) {
    const le = lineEndAt(buf, p, end);
    if (le < 0 && !ctx.final && end - from <= MAX_BLOCK_BYTES) return NEED_MORE;
    const e = le < 0 ? end : le;
    const text = lineText(buf, p, e);
    if (text === INDENT + SEPARATOR || p >= end || p - from > MAX_BLOCK_BYTES || ctx.isHeaderLine(buf, p, e)) {
      const ends = lineEnds(lines, size) ?? lines.map(() => 2);
      let next = text === INDENT + SEPARATOR ? Math.min(e + 1, end) : p;
      // tport_log_msg: "   *** message truncated at %zu ***" after a cut message
      const te = lineEndAt(buf, next, end);
      if (next < end && /^ {3}\*\*\* message truncated at \d+ \*\*\*/.test(lineText(buf, next, te < 0 ? end : te))) {
        next = te < 0 ? end : te + 1;
      }
      return { lines, ends, next };
    }
    lines.push(contentOf(buf, p, e, true));
    p = e + 1;
  }
};

/**
 * New layout: no closing separator, so the message is the first run of lines whose rebuilt size
 * is the stamp's size; of several, the first one followed by the empty line tport_log_msg adds
 * (or by the next log header, or the end).
 */
const newBlock = (
  buf: Buffer,
  from: number,
  end: number,
  size: number,
  ctx: MatchContext,
): Block | typeof NEED_MORE => {
  const lines: Line[] = [];
  let content = 0;
  let first: Block | null = null;
  let justBefore: Block | null = null;
  let p = from;
  for (;;) {
    if (p >= end) {
      if (!ctx.final) return NEED_MORE;
      break;
    }
    const le = lineEndAt(buf, p, end);
    if (le < 0 && !ctx.final && end - from <= MAX_BLOCK_BYTES) return NEED_MORE;
    const e = le < 0 ? end : le;
    if (ctx.isHeaderLine(buf, p, e)) break;
    const line = contentOf(buf, p, e, false);
    if (justBefore !== null && line.end === line.start) return justBefore;
    justBefore = null;
    // even with bare LFs and no last line end, the message cannot hold more than `size` bytes
    if (content + line.end - line.start + lines.length > size || p - from > MAX_BLOCK_BYTES) break;
    lines.push(line);
    content += line.end - line.start;
    p = e + 1;
    const ends = lineEnds(lines, size);
    if (ends) {
      justBefore = { lines: [...lines], ends, next: p };
      first ??= justBefore;
    }
  }
  return justBefore ?? first ?? { lines, ends: lines.map(() => 2), next: p };
};

/**
 * Whether the line can hold a stamp: it starts with one ("recv ", "send ", "sent "), or with a
 * prefix (a date, "[...]") and has " bytes " in it. Lines of SIP messages fail this cheaply.
 */
const mayBeStamp = (buf: Buffer, ls: number, le: number): boolean => {
  const c = buf[ls];
  if (c === 0x72 /* r */ || c === 0x73 /* s */) {
    return startsWith(buf, ls, le, 'recv ') || startsWith(buf, ls, le, 'send ') || startsWith(buf, ls, le, 'sent ');
  }
  // search the line only: an unbounded indexOf would scan the rest of the buffer for every line
  return buf.subarray(ls, le).indexOf(' bytes ', 0, 'latin1') >= 0;
};

/** Reader of sofia-sip siptrace blocks (both layouts); each block becomes one rebuilt datagram. */
export const freeswitchReader: TextFormatReader = {
  format: 'freeswitch',
  firstBytes: 'rs[0123456789',
  // "recv ", "send ", "sent ", or a prefix (a date, "[...]") followed by anything
  lineStarts: ['re', 'se', '[', ...'0123456789'],
  isHeader: (buf, ls, lf) => mayBeStamp(buf, ls, lf) && STAMP.test(lineText(buf, ls, lf)),
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    if (!mayBeStamp(buf, ls, lf)) return null;
    const line = lineText(buf, ls, lf);
    const m = STAMP.exec(line);
    if (!m) return null;
    const ss = lf + 1;
    const se = lineEndAt(buf, ss, end);
    if (se < 0 && !ctx.final) return NEED_MORE;
    const sep = lineText(buf, ss, se < 0 ? end : se);
    const skip = { kind: 'skip', format: 'freeswitch', next: Math.min(lf + 1, end) } as const;
    if (sep !== SEPARATOR && sep !== INDENT + SEPARATOR) return skip;
    const size = Number(m[2]);
    const from = se < 0 ? end : se + 1;
    const block = sep === SEPARATOR ? newBlock(buf, from, end, size, ctx) : oldBlock(buf, from, end, size, ctx);
    if (block === NEED_MORE) return NEED_MORE;
    const received = m[1] === 'recv';
    const host = m[5] ?? '';
    const peer = `${host.includes(':') ? `[${host}]` : host}:${m[6] ?? ''}`;
    const prefix = line.slice(0, m.index);
    const meta = payloadMeta(
      transportNamed(m[4]),
      received ? peer : 'local',
      received ? 'local' : peer,
      undefined,
      // a dated prefix says more than the stamp's time of day
      (prefix.length > 0 ? findLogStamp(prefix) : undefined) ?? timeOfDayStamp(m[7] ?? ''),
    );
    const payload = rebuild(buf, block.lines, block.ends);
    return {
      kind: 'datagram',
      format: 'freeswitch',
      meta,
      next: block.next,
      payloadBuf: payload,
      payloadStart: 0,
      payloadEnd: payload.length,
      dotCR: false,
    };
  },
};
