import { LOCAL, LOCAL_ID, REMOTE, REMOTE_ID } from '../endpoint-ids.js';
import { type LogStamp, localStamp } from '../log-stamp.js';
import { refillMeta } from '../payload-meta.js';
import type { Transport } from '../types.js';
import { allSpace, isDateTimeAt, JS_SPACE, wallMsAt } from './line-bytes.js';
import { lineEndAt, startsWith } from './line-utils.js';
import { isCallDebugHeading } from './sipp-calldebug.js';
import { type MatchContext, type MatchResult, MatchSlots, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * SIPp `-trace_msg` (the <scenario>_<pid>_messages.log file): each message is
 *   ----------------------------------------------- 2026-11-24 13:39:45.021904
 *   UDP message sent (515 bytes):
 *   <blank>
 *   <the message>
 * and received ones say "TCP message received [307] bytes :". The time is SIPp's local time (read in the file's zone).
 * SIPp names only the direction, not the peer, so addresses are "local" and "remote".
 *
 * Both lines are read from their bytes (every message has them), with the meaning of
 *   separator: /^-{20,}(?: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\S*)?\s*$/
 *   direction: /^(UDP|TCP|TLS|SCTP|WSS?) message (sent|received) (?:\(\d+ bytes\)|\[\d+\] bytes) ?:\s*$/
 * on the line without its CR, and the separator's time as findDateTime reads it.
 */

const DASH = 0x2d;
const CR = 0x0d;
const SP = 0x20;

/** The transports of the direction line, in the order the expression tries them. */
const TRANSPORTS: readonly (readonly [string, Transport])[] = [
  ['UDP message ', 'udp'],
  ['TCP message ', 'tcp'],
  ['TLS message ', 'tls'],
  ['SCTP message ', 'sctp'],
  ['WSS message ', 'ws'],
  ['WS message ', 'ws'],
];

/** The line's end without the CR lineText drops. */
const contentEnd = (buf: Buffer, ls: number, lf: number): number => (lf > ls && buf[lf - 1] === CR ? lf - 1 : lf);

/** Offset after the digits at `p` (at least one), or -1. */
const afterDigits = (buf: Buffer, p: number, le: number): number => {
  let k = p;
  while (k < le && (buf[k] ?? 0) >= 0x30 && (buf[k] ?? 0) <= 0x39) k++;
  return k > p ? k : -1;
};

/** What readDirection found last (refilled: no object per line). */
const direction: { transport: Transport; sent: boolean } = { transport: 'unknown', sent: false };
/** The reader's answers and their meta, refilled (text-format.ts MatchSlots). */
const slots = new MatchSlots('sipp');

/** What the direction line [ls, lf) says (in `direction`, valid until the next call), or null when it is none. */
const readDirection = (buf: Buffer, ls: number, lf: number): { transport: Transport; sent: boolean } | null => {
  const le = contentEnd(buf, ls, lf);
  let p = -1;
  let transport: Transport = 'unknown';
  for (const [name, t] of TRANSPORTS) {
    if (startsWith(buf, ls, le, name)) {
      p = ls + name.length;
      transport = t;
      break;
    }
  }
  if (p < 0) return null;
  let sent: boolean;
  if (startsWith(buf, p, le, 'sent ')) {
    sent = true;
    p += 5;
  } else if (startsWith(buf, p, le, 'received ')) {
    sent = false;
    p += 9;
  } else return null;
  if (buf[p] === 0x28 /* ( */) {
    p = afterDigits(buf, p + 1, le);
    if (p < 0 || !startsWith(buf, p, le, ' bytes)')) return null;
    p += 7;
  } else if (buf[p] === 0x5b /* [ */) {
    p = afterDigits(buf, p + 1, le);
    if (p < 0 || !startsWith(buf, p, le, '] bytes')) return null;
    p += 7;
  } else return null;
  if (buf[p] === SP && p < le) p++;
  if (buf[p] !== 0x3a /* : */ || p >= le || !allSpace(buf, p + 1, le)) return null;
  direction.transport = transport;
  direction.sent = sent;
  return direction;
};

/**
 * Whether [ls, lf) is a separator line; then its local time (findDateTime of the line), or
 * undefined when it prints none. `false` when it is no separator.
 */
const readSeparator = (buf: Buffer, ls: number, lf: number): number | undefined | false => {
  const le = contentEnd(buf, ls, lf);
  let p = ls;
  while (p < le && buf[p] === DASH) p++;
  if (p - ls < 20) return false;
  if (allSpace(buf, p, le)) return undefined;
  if (buf[p] !== SP || !isDateTimeAt(buf, p + 1, '-', ' ')) return false;
  let r = p + 20;
  while (r < le && JS_SPACE[buf[r] ?? 0] !== 1) r++;
  if (!allSpace(buf, r, le)) return false;
  // the first date and time of the line, with its fraction: findDateTime's value
  return wallMsAt(buf, p + 1, le);
};

const directionMatch = (
  buf: Buffer,
  ls: number,
  lf: number,
  stamp: LogStamp | undefined,
  next: number,
): MatchResult => {
  const d = readDirection(buf, ls, lf);
  if (d === null) return null;
  const meta = refillMeta(
    slots.meta,
    d.transport,
    d.sent ? LOCAL : REMOTE,
    d.sent ? REMOTE : LOCAL,
    undefined,
    stamp,
    d.sent ? LOCAL_ID : REMOTE_ID,
    d.sent ? REMOTE_ID : LOCAL_ID,
  );
  return slots.inline(meta, next);
};

export const sippReader: TextFormatReader = {
  format: 'sipp',
  firstBytes: '-UTSW',
  // a separator ("-----"), or a transport name before " message"
  lineStarts: ['--', 'UD', 'TC', 'TL', 'SC', 'WS'],
  isHeader: (buf, ls, lf) => {
    // byte checks first: the scanner asks this of every body and header line starting with U/T/S/W/-
    if (buf[ls] === DASH) return buf[ls + 19] === DASH && readSeparator(buf, ls, lf) !== false;
    const sp = buf[ls + 3] === 0x20 ? ls + 3 : buf[ls + 4] === 0x20 ? ls + 4 : -1;
    if (sp < 0 || buf[sp + 1] !== 0x6d /* m */) return false;
    return readDirection(buf, ls, lf) !== null || gluedSeparatorAt(buf, ls, lf) >= 0;
  },
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    const first = buf[ls];
    if (first !== DASH) {
      const glued = gluedSeparatorAt(buf, ls, lf);
      if (glued >= 0) return blockAfterSeparator(buf, glued, lf, end, ctx);
      if (!sippReader.isHeader(buf, ls, lf)) return null;
      return directionMatch(buf, ls, lf, undefined, Math.min(lf + 1, end));
    }
    if (buf[ls + 19] !== DASH) return null;
    return blockAfterSeparator(buf, ls, lf, end, ctx);
  },
};

/** The block whose separator starts at `ss` on the line that ends at `lf`: its message, or what to skip. */
const blockAfterSeparator = (buf: Buffer, ss: number, lf: number, end: number, ctx: MatchContext): MatchResult => {
  // separator: a run of dashes, a space, then SIPp's timestamp
  const wallMs = readSeparator(buf, ss, lf);
  if (wallMs === false) return null;
  const stamp = localStamp(wallMs);
  const dl = lf + 1;
  const dle = lineEndAt(buf, dl, end);
  if (dle < 0) return ctx.final ? slots.skip(end) : NEED_MORE;
  const m = directionMatch(buf, dl, dle, stamp, dle + 1);
  if (m !== null) return m;
  // `-trace_calldebug`: a separator, then the heading of a call's history (sipp-calldebug.ts reads the rest)
  if (wallMs === undefined && isCallDebugHeading(buf, dl, contentEnd(buf, dl, dle))) return slots.skip(dle + 1);
  if (wallMs === undefined && (isUnexpected(buf, dl, dle) || isDeadCallEcho(buf, dl, dle))) {
    // a copy of the message logged just before it: skipped whole, up to the next block
    const next = nextBlock(buf, dle + 1, end);
    if (next < 0) return ctx.final ? slots.skip(end) : NEED_MORE;
    return slots.skip(next);
  }
  return slots.skip(dl);
};

/**
 * SIPp's call.cpp notes a message its `-lost` option dropped (one it did not send, or one it received and then
 * ignored, which the block before logged) with no newline after it, so the next block's separator starts on the same
 * line:
 *   UDP message voluntary lost (while sending).----------------------------------------------- 2026-12-06 20:03:05.203753
 *   UDP message lost (recv).----------------------------------------------- 2026-12-06 20:02:57.284661
 * Where that separator starts (after one or more such notes), or -1 when the line is not that.
 */
const gluedSeparatorAt = (buf: Buffer, ls: number, lf: number): number => {
  const le = contentEnd(buf, ls, lf);
  let p = ls;
  for (;;) {
    const t = LOSS_NOTE_TRANSPORTS.find((name) => startsWith(buf, p, le, name));
    if (t === undefined) break;
    const note = LOSS_NOTES.find((n) => startsWith(buf, p + t.length, le, n));
    if (note === undefined) break;
    p += t.length + note.length;
  }
  return p > ls && buf[p] === DASH && buf[p + 19] === DASH && readSeparator(buf, p, lf) !== false ? p : -1;
};
/** TRANSPORT_TO_STRING of SIPp's sources (the lines the scanner offers this reader start with them: lineStarts). */
const LOSS_NOTE_TRANSPORTS = ['UDP', 'TCP', 'TLS', 'SCTP'];
const LOSS_NOTES = [' message voluntary lost (while sending).', ' message lost (recv).'];

/**
 * SIPp's call.cpp process_unexpected() logs a message it did not expect a second time, after the "... message
 * received" block that process_incoming() already wrote for it:
 *   -----------------------------------------------     (no time)
 *   Unexpected UDP message received:
 *   <blank>
 *   <the same message>
 * Counted once, as tshark counts the one packet.
 */
const isUnexpected = (buf: Buffer, ls: number, lf: number): boolean => {
  const le = contentEnd(buf, ls, lf);
  if (!startsWith(buf, ls, le, UNEXPECTED)) return false;
  const p = ls + UNEXPECTED.length;
  for (const [name] of TRANSPORTS) {
    if (startsWith(buf, p, le, name) && startsWith(buf, p + name.length, le, 'received:')) {
      return allSpace(buf, p + name.length + 'received:'.length, le);
    }
  }
  return false;
};
const UNEXPECTED = 'Unexpected ';

/**
 * SIPp's deadcall.cpp process_incoming() does the same for a message of a call that has ended (a late resend of a
 * 200 OK, the 487 after a CANCEL): after its "... message received" block,
 *   -----------------------------------------------     (no time)
 *   Dead call 261-1740@127.0.0.1 received a UDP message:
 *   <blank>
 *   <the same message>
 * (TRANSPORT_TO_STRING: UDP, TCP, TLS, SCTP, or RAW in old releases). One packet, counted once.
 */
const isDeadCallEcho = (buf: Buffer, ls: number, lf: number): boolean => {
  const le = contentEnd(buf, ls, lf);
  if (!startsWith(buf, ls, le, DEAD_CALL)) return false;
  // the call's id: a Call-ID, which holds no white space
  let p = ls + DEAD_CALL.length;
  const idStart = p;
  while (p < le && JS_SPACE[buf[p] ?? 0] !== 1) p++;
  if (p === idStart || !startsWith(buf, p, le, RECEIVED_A)) return false;
  p += RECEIVED_A.length;
  for (const name of DEAD_CALL_TRANSPORTS) {
    if (startsWith(buf, p, le, name)) return allSpace(buf, p + name.length, le);
  }
  return false;
};
const DEAD_CALL = 'Dead call ';
const RECEIVED_A = ' received a ';
const DEAD_CALL_TRANSPORTS = ['UDP message:', 'TCP message:', 'TLS message:', 'SCTP message:', 'RAW message:'];

/**
 * Start of the first line in [from, end) that opens SIPp's next block, or -1 when none is there yet: a separator, one
 * glued after a `-lost` note (gluedSeparatorAt), or a direction line without a separator before it.
 */
const nextBlock = (buf: Buffer, from: number, end: number): number => {
  let ls = from;
  while (ls < end) {
    const lf = lineEndAt(buf, ls, end);
    if (lf < 0) return -1;
    if (
      buf[ls] === DASH
        ? buf[ls + 19] === DASH && readSeparator(buf, ls, lf) !== false
        : sippReader.isHeader(buf, ls, lf)
    )
      return ls;
    ls = lf + 1;
  }
  return -1;
};
