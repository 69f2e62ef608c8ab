import { LOCAL, LOCAL_ID, REMOTE, REMOTE_ID } from '../endpoint-ids.js';
import { payloadMeta } from '../payload-meta.js';
import { lineContentEnd } from '../sip-message.js';
import { decimalAt } from './line-bytes.js';
import { startsWith } from './line-utils.js';
import { type MatchContext, type MatchResult, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * SIPp `-trace_shortmsg` (the <scenario>_<pid>_shortmessages.log file): one line per message sent or received,
 *   YYYY-MM-DD \t hh:mm:ss.usec \t epoch.usec \t S|R \t Call-ID \t CSeq:N METHOD \t first line
 * (SIPp's call.cpp, TRACE_SHORTMSG: the local date and time, the epoch, the direction, then what the message
 * says). Retransmissions are there as the lines they are, so each line is one message; it is rebuilt as its start
 * line, Call-ID and CSeq and counted like any other (retransmissions as over UDP, SIPp's default transport: SIPp
 * never resends over TCP, so a TCP run shows none either). The epoch is the message's instant. SIPp writes a
 * folded CSeq as it is, line end and all (`CSeq:2` LF ` INFO`), so a row goes on over the lines after it that start
 * with a space or a tab.
 */

const HT = 0x09;
const SP = 0x20;
const LF = 0x0a;
/** "YYYY-MM-DD" + tab + "hh:mm:ss." */
const DATE_TIME_PREFIX = 'YYYY-MM-DD\thh:mm:ss.'.length;
/** A short-message line is one message's summary; a longer one is something else. */
const MAX_LINE_BYTES = 8 * 1024;

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** Whether [ls, ...) starts "YYYY-MM-DD\thh:mm:ss." (the tabs set it apart from every other dated log). */
export const datePrefix = (buf: Buffer, ls: number, le: number): boolean => {
  if (le - ls < DATE_TIME_PREFIX) return false;
  const shape = 'dddd-dd-dd\tdd:dd:dd.';
  for (let i = 0; i < shape.length; i++) {
    const c = buf[ls + i];
    const want = shape.charCodeAt(i);
    if (want === 0x64 /* d */ ? !isDigit(c) : c !== want) return false;
  }
  return true;
};

/** The tab-separated fields of a line: their [start, end) in `fields`, how many in the return. */
const fields = new Int32Array(16);
const splitTabs = (buf: Buffer, ls: number, le: number): number => {
  let n = 0;
  let start = ls;
  for (let i = ls; i <= le && n < 7; i++) {
    // the first line, last, may hold tabs of its own
    if (i === le || (buf[i] === HT && n < 6)) {
      fields[2 * n] = start;
      fields[2 * n + 1] = i;
      n++;
      start = i + 1;
    }
  }
  return n;
};

/** Where each line's rebuilt message is written (one at a time: the framer copies nothing of a datagram). */
let message = Buffer.alloc(1024);

/**
 * The message a line summarises: its first line, Call-ID and CSeq (the "CSeq:N METHOD" field with the space SIP
 * puts after the colon), and no body; its length.
 */
const rebuild = (
  buf: Buffer,
  first: number,
  firstEnd: number,
  callId: number,
  callIdEnd: number,
  cseq: number,
  cseqEnd: number,
): number => {
  const need = firstEnd - first + callIdEnd - callId + cseqEnd - cseq + 64;
  if (message.length < need) message = Buffer.alloc(2 * need);
  let n = buf.copy(message, 0, first, firstEnd);
  n += message.write('\r\nCall-ID: ', n, 'latin1');
  n += buf.copy(message, n, callId, callIdEnd);
  n += message.write('\r\nCSeq: ', n, 'latin1');
  n += buf.copy(message, n, cseq + 'CSeq:'.length, cseqEnd);
  n += message.write('\r\nContent-Length: 0\r\n\r\n', n, 'latin1');
  return n;
};

/**
 * Where the epoch field of a line that starts "YYYY-MM-DD \t hh:mm:ss.usec \t" begins (after the tab that ends the
 * time), or -1 when the line does not start so: the calldebug and errors logs' lines (sipp-calldebug.ts,
 * sipp-errors.ts) start as a short-message row does.
 */
export const epochStartAt = (buf: Buffer, ls: number, le: number): number => {
  if (!datePrefix(buf, ls, le)) return -1;
  const tab = buf.subarray(ls + DATE_TIME_PREFIX, le).indexOf(HT);
  return tab < 0 ? -1 : ls + DATE_TIME_PREFIX + tab + 1;
};

/** Whether [a, b) is an epoch as SIPp prints it: digits, a dot, digits ("1796425109.839066"). */
export const isEpochAt = (buf: Buffer, a: number, b: number): boolean => {
  let dot = -1;
  for (let i = a; i < b; i++) {
    const c = buf[i] ?? 0;
    if (c === 0x2e && dot < 0 && i > a) dot = i;
    else if (c < 0x30 || c > 0x39) return false;
  }
  return dot > a && dot < b - 1;
};

/** The instant of "1796425109.839066" in ms, or undefined. */
export const epochMs = (buf: Buffer, a: number, b: number): number | undefined => {
  const seconds = decimalAt(buf, a, b);
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined;
};

/** The line [ls, le) as a SIPp short message, or null when it is not one. */
const shortMessage = (buf: Buffer, ls: number, le: number, next: number): MatchResult => {
  if (le - ls > MAX_LINE_BYTES || !datePrefix(buf, ls, le) || splitTabs(buf, ls, le) !== 7) return null;
  const dir = fields[6] ?? 0;
  const sent = buf[dir] === 0x53; /* S */
  if ((fields[7] ?? 0) - dir !== 1 || (!sent && buf[dir] !== 0x52) /* R */) return null;
  const cseq = fields[10] ?? 0;
  const cseqEnd = fields[11] ?? 0;
  if (!startsWith(buf, cseq, cseqEnd, 'CSeq:')) return null;
  const n = rebuild(buf, fields[12] ?? 0, fields[13] ?? 0, fields[8] ?? 0, fields[9] ?? 0, cseq, cseqEnd);
  const timeMs = epochMs(buf, fields[4] ?? 0, fields[5] ?? 0);
  const meta = payloadMeta(
    'udp',
    sent ? LOCAL : REMOTE,
    sent ? REMOTE : LOCAL,
    timeMs,
    undefined,
    sent ? LOCAL_ID : REMOTE_ID,
    sent ? REMOTE_ID : LOCAL_ID,
  );
  return {
    kind: 'datagram',
    format: 'sipp',
    meta,
    next,
    payloadBuf: message,
    payloadStart: 0,
    payloadEnd: n,
    dotCR: false,
  };
};

/**
 * A row whose first line ends inside a folded header value: the line [ls, lf) and the lines after it that start with
 * a space or a tab, joined as SIP unfolds them (each line end read as a space), then read as one row.
 */
const foldedRow = (buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult => {
  const lines: number[] = [ls, lineContentEnd(buf, ls, lf, false)];
  let e = lf;
  while (e < end) {
    const ns = e + 1;
    if (ns >= end) {
      if (!ctx.final) return NEED_MORE;
      break;
    }
    if (buf[ns] !== SP && buf[ns] !== HT) break;
    const within = Math.min(end, ls + MAX_LINE_BYTES + 1);
    const found = buf.subarray(ns, within).indexOf(LF);
    if (found < 0 && within < end) return null;
    if (found < 0 && !ctx.final) return NEED_MORE;
    e = found < 0 ? end : ns + found;
    lines.push(ns, lineContentEnd(buf, ns, e, false));
  }
  if (lines.length === 2) return null;
  const parts: Buffer[] = [];
  for (let i = 0; i < lines.length; i += 2) parts.push(buf.subarray(lines[i], lines[i + 1]));
  const row = Buffer.from(parts.map((p) => p.toString('latin1')).join(' '), 'latin1');
  return shortMessage(row, 0, row.length, Math.min(e + 1, end));
};

export const sippShortReader: TextFormatReader = {
  format: 'sipp',
  firstBytes: '12',
  lineStarts: ['19', '20'],
  // a row with a folded CSeq has six fields on its first line
  isHeader: (buf, ls, lf) => datePrefix(buf, ls, lf) && splitTabs(buf, ls, lf) >= 6,
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    if (!datePrefix(buf, ls, lf)) return null;
    // the line is whole: the scanner found its LF (or the input's end)
    const le = lineContentEnd(buf, ls, lf, false);
    if (lf >= end && !ctx.final) return NEED_MORE;
    const row = shortMessage(buf, ls, le, Math.min(lf + 1, end));
    // a row whose CSeq SIPp folded has six fields on this line
    return row === null && splitTabs(buf, ls, le) === 6 ? foldedRow(buf, ls, lf, end, ctx) : row;
  },
};
