import { decodeRsyslogEscapes, linePrefixAt } from '../log-prefix.js';
import { findLogStamp } from '../log-stamp.js';
import { payloadMeta } from '../payload-meta.js';
import { headerNameEnd, startLineKind } from '../sip-message.js';
import type { PayloadMeta } from '../types.js';
import { type MatchContext, type MatchResult, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * Kamailio log lines that print a whole SIP message: `xlog("L_INFO", "$mb")` in a reply route,
 * `xlog("... to $sndto(ip): $snd(buf)")` in onsend_route, or any log text with the message after it. Kamailio puts
 * its prefix (core/dprint.h: "%2d(%d) LEVEL: " on stderr, "LEVEL: " after syslog's own) and the script's text before
 * the message's start line, on the same line, so no line of the log begins with it and the bare-SIP reading never saw
 * one (0 of 83 responses in a real log; test/fixtures/kamailio/README.md).
 *
 * Two shapes, each a real Kamailio 5.6 output:
 * - stderr (`-E`, `log_stderror=yes`): the message follows with its own CRLFs, so it is framed from its start line by
 *   Content-Length like bare SIP ('inline', resuming mid-line at the start line).
 * - syslog written by rsyslog (its default `parser.escapeControlCharactersOnReceive`): one line per message, each
 *   control character as '#' and three octal digits ("#015#012" for CRLF), and the message's last LF dropped
 *   (rsyslog trims a trailing LF). The line is decoded into the message's bytes and framed as one payload
 *   ('datagram'); the logger prefix before the level (time, host, "kamailio[pid]:") is cut by log-prefix.ts first.
 * - syslog with the message's own line ends (rsyslog with escaping off, loggers that do not escape): only the first
 *   line carries the logger's prefix, so log-prefix.ts leaves the log alone; the prefix is skipped here and its time
 *   kept, and the message is framed as on stderr.
 *
 * Only a line whose prefix is Kamailio's, followed somewhere by a start line, is read this way: the text before the
 * start line is the script's own (" sending reply to 127.0.0.1:5060: ").
 */

/** Kamailio's level names (core/dprint.c log_level_info). */
const PREFIX = /^(?: ?\d{1,3}\(\d+\) )?(?:ALERT|BUG|CRITICAL|ERROR|WARNING|NOTICE|INFO|DEBUG): /;
const CR = 0x0d;
const HASH = 0x23;
const SP = 0x20;
const ESC = 0x1b;
const OPEN_BRACKET = 0x5b;
const STATUS = Buffer.from('SIP/2.0 ');
const COLON = 0x3a;
const REQUEST_END = Buffer.from(' SIP/2.0');
const ESCAPED_CR = Buffer.from('#015');
const ESCAPED_LF = Buffer.from('#012');
const TRIMMED_LF = Buffer.from('\n');
/** A Kamailio prefix is never longer than this (process number, pid, level). */
const MAX_PREFIX_BYTES = 32;

const META: PayloadMeta = payloadMeta('unknown');

/**
 * " 1(pid) LEVEL: " (stderr pads process numbers under 10), "12(pid) ", "123(pid) ", "LEVEL: " after syslog's prefix
 * was cut, or a logger prefix still on the line: "[time]", an ISO 8601 time ("20"), syslog's month.
 */
const LINE_STARTS: readonly string[] = [
  ...Array.from({ length: 10 }, (_, d) => ` ${d}`),
  ...Array.from({ length: 90 }, (_, n) => String(n + 10)),
  ...['AL', 'BU', 'CR', 'DE', 'ER', 'IN', 'NO', 'WA'],
  ...['Ja', 'Fe', 'Ma', 'Ap', 'Ju', 'Au', 'Se', 'Oc', 'No', 'De', '['],
  // an RFC 5424 record's "<PRI>1 " (syslog-ng and rsyslog with escaping off: only the first line carries it)
  '<',
  // log_color (`-e`): the colour of the level, and the reset of the previous record's, before the prefix
  '\x1b[',
];

/**
 * Where the text of the line at `ls` starts past the ANSI colour codes Kamailio's log_color puts before its prefix
 * ("\x1b[0;39;49m" ends the previous record's colour, "\x1b[0;36;49m" sets this one's: core/dprint.h): a CSI
 * sequence is ESC, '[', parameter bytes and one final byte in 0x40-0x7e.
 */
const pastColours = (buf: Buffer, ls: number, le: number): number => {
  let p = ls;
  while (p + 2 < le && buf[p] === ESC && buf[p + 1] === OPEN_BRACKET) {
    let q = p + 2;
    while (q < le && ((buf[q] ?? 0) < 0x40 || (buf[q] ?? 0) > 0x7e)) q++;
    if (q >= le) return p;
    p = q + 1;
  }
  return p;
};

/** Offset of `what` in [from, le), or le; searched in that line only (not on to the buffer's end, once per line). */
const indexIn = (buf: Buffer, what: Buffer, from: number, le: number): number => {
  const i = buf.subarray(from, le).indexOf(what);
  return i < 0 ? le : from + i;
};

/** Kamailio's level names, which a record stripped of syslog's prefix starts with like a header name. */
const LEVEL_NAME = /^(?:ALERT|BUG|CRITICAL|ERROR|WARNING|NOTICE|INFO|DEBUG)$/;

/** tm's debug record quoting a reply it sent (t_reply.c: "reply sent out - buf=%p: %.20s... shmem=%p: %.20s"). */
const TM_QUOTE = /(?:buf|shmem)=(?:0x)?[0-9a-f]+: $/;
const quotedByTm = (buf: Buffer, ls: number, s: number): boolean =>
  s - ls > 8 && buf[s - 2] === COLON && TM_QUOTE.test(buf.toString('latin1', Math.max(ls, s - 32), s));

/** Whether the line at p starts as a SIP header line ("Via:", "v :"), not as another Kamailio record. */
const headerLineAt = (buf: Buffer, p: number, end: number): boolean => {
  const nameEnd = headerNameEnd(buf, p, end);
  return nameEnd >= 0 && !LEVEL_NAME.test(buf.toString('latin1', p, nameEnd));
};

/** Where the first line of the message text ends: rsyslog's "#015" or "#012", its CR, or the log line's end. */
const firstLineEnd = (buf: Buffer, from: number, le: number): number => {
  const e = Math.min(indexIn(buf, ESCAPED_CR, from, le), indexIn(buf, ESCAPED_LF, from, le));
  return e > from && buf[e - 1] === CR ? e - 1 : e;
};

/**
 * The offset of the SIP start line in the log text [from, ce) (ce: the end of its first line), or -1: a status line
 * anywhere ("SIP/2.0 200 "), else a request line ending the first line ("INVITE sip:x SIP/2.0"; its method is the
 * second word back, as neither method nor URI holds a space).
 */
const startLineAt = (buf: Buffer, from: number, ce: number): number => {
  for (let i = indexIn(buf, STATUS, from, ce); i < ce; i = indexIn(buf, STATUS, i + 1, ce)) {
    if ((i === from || buf[i - 1] === SP) && startLineKind(buf, i, ce) === 'response') return i;
  }
  if (ce - from < REQUEST_END.length || indexIn(buf, REQUEST_END, ce - REQUEST_END.length, ce) === ce) return -1;
  let s = ce - REQUEST_END.length;
  for (let words = 0; words < 2; words++) {
    if (s <= from || buf[s - 1] === SP) return -1;
    while (s > from && buf[s - 1] !== SP) s--;
    if (words === 0) s--;
  }
  return startLineKind(buf, s, ce) === 'request' ? s : -1;
};

/** The time a logger prefix before Kamailio's printed, for the message it holds (set by messageAt). */
let loggerTime: string | undefined;

/** Where a Kamailio-prefixed line [lineStart, le) holds a start line: its offset, or -1. */
const messageAt = (buf: Buffer, colouredStart: number, le: number): number => {
  const lineStart = pastColours(buf, colouredStart, le);
  // a logger prefix the log's own lines do not all carry (log-prefix.ts cuts it when they do); linePrefixAt turns the
  // lines that cannot start one away from their first bytes, before any string is made
  const logger = linePrefixAt(buf, lineStart, le);
  loggerTime = logger?.time;
  const ls = lineStart + (logger?.length ?? 0);
  const pe = Math.min(le, ls + MAX_PREFIX_BYTES);
  // most lines the scanner asks about (INVITE, NOTIFY, tcpdump's times) hold no ": " this early: no string for them
  // (a bounded walk: indexOf would search on past the line when there is none)
  let colon = ls;
  while (colon + 1 < pe && !(buf[colon] === COLON && buf[colon + 1] === SP)) colon++;
  if (colon + 1 >= pe) return -1;
  const m = PREFIX.exec(buf.toString('latin1', ls, pe));
  if (m === null) return -1;
  const from = ls + m[0].length;
  return startLineAt(buf, from, firstLineEnd(buf, from, le));
};

/** The message of an rsyslog-escaped line [s, le), decoded, with the trailing LF rsyslog trimmed put back. */
const decodeEscapes = (buf: Buffer, s: number, le: number): Buffer => {
  const e = le > s && buf[le - 1] === CR ? le - 1 : le;
  const text = decodeRsyslogEscapes(buf, s, e);
  return text.length > 0 && text[text.length - 1] === CR ? Buffer.concat([text, TRIMMED_LF]) : text;
};

/** Whether the message's first line [s, ..) ends at rsyslog's escaped CR or LF: the whole message is on this line. */
const isEscaped = (buf: Buffer, s: number, le: number): boolean => {
  const e = firstLineEnd(buf, s, le);
  return e < le && buf[e] === HASH;
};

export const kamailioLogReader: TextFormatReader = {
  format: 'kamailio-log',
  firstBytes: ' 0123456789ABCDEINW\x1b<',
  lineStarts: LINE_STARTS,
  isHeader: (buf, ls, lf) => messageAt(buf, ls, lf) >= 0,
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    const s = messageAt(buf, ls, lf);
    if (s < 0) return null;
    const time = loggerTime;
    const meta =
      time === undefined ? META : payloadMeta('unknown', undefined, undefined, undefined, findLogStamp(time));
    if (!isEscaped(buf, s, lf)) {
      // a whole message goes on with its header lines; a record that quotes a start line in its own text (tm's debug
      // "reply sent out - buf=0x...: SIP/2.0 100 trying -...", 20 bytes of the reply) holds no message, also when
      // those 20 bytes hold a CRLF ("SIP/2.0 200 OK\r\nVia:" puts "Via:... shmem=0x...: ..." on the next line)
      if (quotedByTm(buf, ls, s)) return null;
      if (lf + 1 >= end) return ctx.final ? null : NEED_MORE;
      if (!headerLineAt(buf, lf + 1, end)) return null;
      return { kind: 'inline', format: 'kamailio-log', meta, next: s };
    }
    const payload = decodeEscapes(buf, s, lf);
    return {
      kind: 'datagram',
      format: 'kamailio-log',
      meta,
      next: Math.min(lf + 1, end),
      payloadBuf: payload,
      payloadStart: 0,
      payloadEnd: payload.length,
      dotCR: false,
    };
  },
};
