/**
 * A SIP message that ends its lines with LF alone (RFC 3261 §7 asks for CRLF; sipsak -L and some stacks send LF,
 * and tshark reads them), printed by ngrep's dotted modes (`normal`, `single`, `none`): every LF is a '.', as is every
 * dot of the text. undot() reads a pair of dots as CRLF, so such a message read as one long line, and the ".." that
 * ends its header section as a line end: the body's first line, a message/sipfrag "SIP/2.0 503 ...", was then taken
 * for a response. Here a payload whose start line ends in one dot followed by a header name is read as LF-only: a dot
 * in the header section ends a line where a SIP header name and its colon follow it, and a run of dots that nothing
 * like that follows ends the section (LF LF). Each dot stays one byte, so Content-Length frames the message as on the
 * wire; the body keeps its dots (it is only counted, never read).
 */

import { byteSet } from './line-bytes.js';
import { startsWith } from './line-utils.js';

const DOT = 0x2e;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/**
 * Header names a dot is read as a line end before (lower case): RFC 3261 §20 and the extensions SIP traffic carries,
 * their compact forms (RFC 3261 §7.3.3 and later RFCs); any name starting with "x-" or "p-" too. A name that is a
 * word of a URI ("...@example.to:5060" before "to:") would cut that value: a closed list keeps that to these words.
 */
const HEADER_NAMES = new Set([
  'accept',
  'accept-contact',
  'accept-encoding',
  'accept-language',
  'accept-resource-priority',
  'alert-info',
  'allow',
  'allow-events',
  'answer-mode',
  'authentication-info',
  'authorization',
  'call-id',
  'call-info',
  'contact',
  'content-disposition',
  'content-encoding',
  'content-id',
  'content-language',
  'content-length',
  'content-type',
  'cseq',
  'date',
  'diversion',
  'error-info',
  'event',
  'expires',
  'feature-caps',
  'flow-timer',
  'from',
  'geolocation',
  'geolocation-error',
  'geolocation-routing',
  'history-info',
  'identity',
  'identity-info',
  'in-reply-to',
  'info-package',
  'join',
  'max-breadth',
  'max-forwards',
  'mime-version',
  'min-expires',
  'min-se',
  'organization',
  'path',
  'priority',
  'privacy',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-require',
  'rack',
  'reason',
  'record-route',
  'recv-info',
  'refer-sub',
  'refer-to',
  'referred-by',
  'reject-contact',
  'remote-party-id',
  'replaces',
  'reply-to',
  'request-disposition',
  'require',
  'resource-priority',
  'retry-after',
  'route',
  'rseq',
  'security-client',
  'security-server',
  'security-verify',
  'server',
  'service-route',
  'session-expires',
  'session-id',
  'sip-etag',
  'sip-if-match',
  'subject',
  'subscription-state',
  'supported',
  'suppress-if-match',
  'target-dialog',
  'timestamp',
  'to',
  'trigger-consent',
  'unsupported',
  'user-agent',
  'user-to-user',
  'via',
  'warning',
  'www-authenticate',
  ...'abcdefijklmnorstuvxy',
]);

/** The longest name above, and a bound on an x-/p- name. */
const MAX_NAME = 40;

/** RFC 3261 token characters a header name is made of, but the dot (here the next line's end). */
const NAME_BYTES = byteSet("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!%*_+`'~");

/** Whether a SIP header name, then optional white space and a colon, starts at `p` (before `end`). */
export const headerNameAt = (buf: Buffer, p: number, end: number): boolean => {
  let e = p;
  while (e < end && e - p <= MAX_NAME && NAME_BYTES[buf[e] ?? 0] === 1) e++;
  if (e === p || e - p > MAX_NAME) return false;
  let c = e;
  while (c < end && (buf[c] === SP || buf[c] === HT)) c++;
  if (c >= end || buf[c] !== COLON) return false;
  // a string only for a name followed by its colon (a dotted payload's start line meets few)
  const name = buf.toString('latin1', p, e).toLowerCase();
  return HEADER_NAMES.has(name) || ((name.startsWith('x-') || name.startsWith('p-')) && name.length > 2);
};

/**
 * Where the start line of the dotted payload [start, end) ends (its dot), when it ends LF-only; else -1. The next line
 * end after it decides: a CRLF message's is two dots before a header name, an LF-only one's one dot (a reason phrase
 * may hold "proxy.c:412" or "example.to:5060", which look like one dot before a header name, "c" or "to").
 */
const lfOnlyStartLineEnd = (src: Buffer, start: number, end: number): number => {
  // the start line is short: a request line ends with " SIP/2.0", a status line has a reason phrase
  const limit = Math.min(end, start + 1024);
  const response = startsWith(src, start, limit, 'SIP/2.0 ');
  for (let i = start + 1; i < limit; i++) {
    if (src[i] !== DOT) continue;
    // a start line ends in one dot (a CRLF one ends in two) followed by the first header's name
    if (i + 1 < end && src[i + 1] === DOT) return -1;
    if (!headerNameAt(src, i + 1, end)) continue;
    if (!response && !(i >= start + 8 && startsWith(src, i - 8, i, ' SIP/2.0'))) continue;
    return nextLineEndIsOneDot(src, i + 1, end) ? i : -1;
  }
  return -1;
};

/** Whether the first dot in [from, end) that a header name follows is a single dot (one LF), not a pair (a CRLF). */
const nextLineEndIsOneDot = (src: Buffer, from: number, end: number): boolean => {
  const limit = Math.min(end, from + 4096);
  for (let i = from; i < limit; i++) {
    if (src[i] !== DOT) continue;
    let run = i;
    while (run < end && src[run] === DOT) run++;
    if (headerNameAt(src, run, end)) return run - i === 1;
    // a run of two or more dots that no header name follows: the section's end (a message of one header line)
    if (run - i >= 2) return true;
    i = run - 1;
  }
  // no second line end in sight: one header line, then the payload's end
  return true;
};

/**
 * The dotted payload [start, end) of `src` into `into` as an LF-only message, when it is one (see above); returns
 * the bytes written (always end - start), or -1 when the payload does not start with an LF-only start line.
 */
export const undotLfOnly = (src: Buffer, start: number, end: number, into: Buffer): number => {
  const sl = lfOnlyStartLineEnd(src, start, end);
  if (sl < 0) return -1;
  let n = src.copy(into, 0, start, sl);
  into[n++] = LF;
  let i = sl + 1;
  while (i < end) {
    const c = src[i] ?? 0;
    if (c !== DOT) {
      into[n++] = c;
      i++;
      continue;
    }
    let run = i;
    while (run < end && src[run] === DOT) run++;
    if (headerNameAt(src, run, end)) {
      // the last dot ends this line; any before it are the value's own
      for (; i < run - 1; i++) into[n++] = DOT;
      into[n++] = LF;
      i = run;
      continue;
    }
    if (run - i >= 2 || run === end) {
      // the header section's end: the last two dots are LF LF (one, at the end of the payload: a segment may cut
      // the section there); before them the value's own dots; then the body, byte for byte
      const lfs = Math.min(2, run - i);
      for (; i < run - lfs; i++) into[n++] = DOT;
      for (; i < run; i++) into[n++] = LF;
      return n + src.copy(into, n, run, end);
    }
    // one dot inside a value (an address, a domain): a dot
    into[n++] = DOT;
    i++;
  }
  return n;
};
