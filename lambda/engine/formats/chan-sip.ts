import { findLogStamp, type LogStamp } from '../log-stamp.js';
import { payloadMeta } from '../payload-meta.js';
import { transportNamed } from '../transport.js';
import type { PayloadMeta } from '../types.js';
import { lineEndAt, lineText, startsWith } from './line-utils.js';
import { type MatchContext, type MatchResult, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * Asterisk chan_sip `sip set debug on` (channels/chan_sip.c, last in Asterisk 20 before commit
 * 4095a382da removed the module). Every block is one ast_verbose() call holding the message as
 * sent or received, CRLFs included:
 *   handle_request_do: "\n<--- SIP read from %s:%s --->\n%s\n<------------->\n"
 *                      then "--- (%d headers %d lines)%s ---\n"
 *   send_response:     "\n<--- %sTransmitting (%s) to %s --->\n%s\n<------------>\n"
 *   send_request:      "%sTransmitting (NAT|no NAT) to %s:\n%s\n---\n"
 *   retrans_pkt:       "Retransmitting #%d (%s) to %s:\n%s\n---\n"
 * ("Reliably " or ""; sip_nat_mode() is "NAT" or "no NAT"; sip_get_transport() is UDP, TCP,
 * TLS, WS or UNKNOWN; ast_sockaddr_stringify gives "1.2.3.4:5060" or "[::1]:5060").
 * In the full log (main/logger.c format_log_default, LOGTYPE_FILE) only the first line of a call
 * gets the prefix "[date] VERBOSE[lwp][C-%08x] chan_sip.c: ", so the "<--- " blocks, which start
 * with "\n", leave that prefix alone on the line above them. Its date, when it has a year (the
 * default dateformat "%b %e %T" has none: the file's clock gives it one), stamps the block.
 * The message follows as plain lines and is framed by Content-Length ('inline'); sent messages
 * name no transport, so the top Via tells it.
 */

const READ = /^<--- SIP read from (UDP|TCP|TLS|WS|UNKNOWN):(\S+) --->\s*$/;
const SENT_RESPONSE = /^<--- (?:Reliably )?Transmitting \((?:NAT|no NAT)\) to (\S+) --->\s*$/;
const SENT_REQUEST = /^(?:Reliably Transmitting|Transmitting|Retransmitting #\d+) \((?:NAT|no NAT)\) to (\S+):\s*$/;
/** handle_request_do, after the block. */
const READ_SUMMARY = /^--- \(\d+ headers \d+ lines\)(?: Nat keepalive)? ---\s*$/;
/** The trailers of handle_request_do and send_response. */
const TRAILER = /^<-{12,13}>\s*$/;
/** send_request's and retrans_pkt's trailer: too common a line to end a body at, so no fence. */
const DASHES = /^---\s*$/;
/**
 * A log prefix: logger.c format_log_default ("[date] VERBOSE[lwp][C-id] chan_sip.c: "),
 * format_log_plain ("[date] VERBOSE[lwp][C-id]: chan_sip.c:4841 send_request: ") or a console
 * timestamp ("[date] "). The rest of the line is group 2.
 */
const LOG_PREFIX = /^\[([^\]]*)\](?: VERBOSE\[\d+\](?:\[C-[0-9a-f]+\])?:?)? (?:chan_sip\.c(?::\d+ \S+)?: ?)?(.*)$/;

const LT = 0x3c;
const DASH = 0x2d;

const arrowMeta = (line: string, stamp: LogStamp | undefined): PayloadMeta | null => {
  const r = READ.exec(line);
  if (r) return payloadMeta(transportNamed(r[1]), r[2] ?? '', 'local', undefined, stamp);
  const s = SENT_RESPONSE.exec(line);
  if (s) return payloadMeta('unknown', 'local', s[1] ?? '', undefined, stamp);
  return null;
};

const requestMeta = (line: string, stamp: LogStamp | undefined): PayloadMeta | null => {
  const m = SENT_REQUEST.exec(line);
  return m ? payloadMeta('unknown', 'local', m[1] ?? '', undefined, stamp) : null;
};

/** Whether a line starting with 'R' or 'T' can be a send_request / retrans_pkt header (cheap test first). */
const mayBeRequestHeader = (buf: Buffer, ls: number, le: number): boolean =>
  startsWith(buf, ls, le, 'Transmitting (') ||
  startsWith(buf, ls, le, 'Reliably Transmitting (') ||
  startsWith(buf, ls, le, 'Retransmitting #');

const inline = (meta: PayloadMeta, next: number): MatchResult => ({ kind: 'inline', format: 'chan-sip', meta, next });
const skip = (next: number): MatchResult => ({ kind: 'skip', format: 'chan-sip', next });

/** Block headers and trailers as ast_verbose writes them (the console, or a log line's continuation). */
const blockReader: TextFormatReader = {
  format: 'chan-sip',
  closedEntries: true,
  firstBytes: '<RT-',
  // "<--- " and the "<------------>" trailers, "--- (", "Transmitting (", "Reliably ..." and "Retransmitting #"
  lineStarts: ['<-', '--', 'Tr', 'Re'],
  isHeader: (buf, ls, lf) => {
    const c = buf[ls];
    if (c === LT) {
      const line = lineText(buf, ls, lf);
      return READ.test(line) || SENT_RESPONSE.test(line) || TRAILER.test(line);
    }
    if (c === DASH) return startsWith(buf, ls, lf, '--- (') && READ_SUMMARY.test(lineText(buf, ls, lf));
    return mayBeRequestHeader(buf, ls, lf) && SENT_REQUEST.test(lineText(buf, ls, lf));
  },
  match(buf: Buffer, ls: number, lf: number, end: number): MatchResult {
    const c = buf[ls];
    const next = Math.min(lf + 1, end);
    if (c === LT) {
      if (buf[ls + 1] !== DASH) return null;
      const line = lineText(buf, ls, lf);
      const meta = arrowMeta(line, undefined);
      if (meta) return inline(meta, next);
      return TRAILER.test(line) ? skip(next) : null;
    }
    if (c === DASH) {
      if (buf[ls + 1] !== DASH) return null;
      const line = lineText(buf, ls, lf);
      return DASHES.test(line) || READ_SUMMARY.test(line) ? skip(next) : null;
    }
    if (!mayBeRequestHeader(buf, ls, lf)) return null;
    const meta = requestMeta(lineText(buf, ls, lf), undefined);
    return meta ? inline(meta, next) : null;
  },
};

/** Full-log lines: the prefix alone above a "<--- " header, or before a request header or read summary. */
const logPrefixReader: TextFormatReader = {
  format: 'chan-sip',
  firstBytes: '[',
  isHeader: (buf, ls, lf) => {
    const p = LOG_PREFIX.exec(lineText(buf, ls, lf));
    if (!p) return false;
    const rest = p[2] ?? '';
    return rest === '' || SENT_REQUEST.test(rest) || READ_SUMMARY.test(rest);
  },
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    const p = LOG_PREFIX.exec(lineText(buf, ls, lf));
    if (!p) return null;
    const rest = p[2] ?? '';
    const stamp = findLogStamp(p[1] ?? '');
    if (rest !== '') {
      if (READ_SUMMARY.test(rest)) return skip(Math.min(lf + 1, end));
      const meta = requestMeta(rest, stamp);
      return meta ? inline(meta, Math.min(lf + 1, end)) : null;
    }
    // the call began with "\n": its header is the next line
    const hs = lf + 1;
    const he = lineEndAt(buf, hs, end);
    if (he < 0 && !ctx.final) return NEED_MORE;
    const meta = arrowMeta(lineText(buf, hs, he < 0 ? end : he), stamp);
    return meta ? inline(meta, he < 0 ? end : he + 1) : null;
  },
};

/** The chan_sip readers, to register together. */
export const chanSipReaders: readonly TextFormatReader[] = [blockReader, logPrefixReader];
