import type { FramerEvents } from '../sip-framer.js';
import { isStartLine, type ParseOptions, parseMessage, parseOptions } from '../sip-message.js';
import type { PayloadMeta } from '../types.js';

/**
 * What tshark takes as SIP in one datagram, so that our counts equal its counts. Wireshark's
 * packet-sip.c hands a UDP payload to dissect_sip_common() exactly once (dissect_sip() and
 * dissect_sip_heur() both call it at offset 0 and never loop, unlike dissect_sip_tcp()), and
 * dissect_sip_common() rejects the payload unless
 * - its first byte is printable (g_ascii_isprint), so a CRLF keep-alive or RTP is not SIP,
 * - its first line is not empty and holds no NUL,
 * - sip_parse_line() finds a Request-Line or Status-Line there.
 * So only the FIRST message of a datagram counts, and only when the datagram starts with it.
 * The rest of the datagram (whatever follows that message's Content-Length) is not SIP to tshark.
 */

const LF = 0x0a;
/** One options object for every datagram: a literal per call would be an allocation per packet. */
const DATAGRAM: ParseOptions = parseOptions({ dotCR: false, complete: true });
const NUL = 0x00;

/** g_ascii_isprint: 0x20..0x7e. */
const isPrintable = (b: number): boolean => b >= 0x20 && b <= 0x7e;

/** What a datagram holds, as tshark's SIP heuristics decide. */
export type DatagramVerdict = 'sip' | 'keep-alive' | 'other';

/** Tells whether a datagram [start, end) starts with a SIP message, without parsing it. */
export const classifyDatagram = (buf: Buffer, start: number, end: number): DatagramVerdict => {
  if (start >= end) return 'keep-alive';
  const first = buf[start] ?? 0;
  if (!isPrintable(first)) return isKeepAlive(buf, start, end) ? 'keep-alive' : 'other';
  // a byte loop, not indexOf: indexOf cannot stop at `end` and would run on into the next packets
  let lf = start;
  while (lf < end && buf[lf] !== LF) {
    if (buf[lf] === NUL) return 'other';
    lf++;
  }
  return isStartLine(buf, start, lf, false) ? 'sip' : 'other';
};

/** RFC 5626 §3.5.1 keep-alives (CRLF, or CRLFCRLF) are not SIP, but not garbage either. */
const isKeepAlive = (buf: Buffer, start: number, end: number): boolean => {
  for (let i = start; i < end; i++) if (buf[i] !== 0x0d && buf[i] !== LF) return false;
  return true;
};

/**
 * Counts the SIP message a datagram starts with (call after `classifyDatagram` said 'sip'): one
 * parse, framed by Content-Length (RFC 3261 §18.3; without it the body runs to the end of the
 * datagram). The bytes after it are reported as unrecognised: tshark does not dissect them.
 */
export const countFirstSipMessage = (
  events: FramerEvents,
  buf: Buffer,
  start: number,
  end: number,
  meta: PayloadMeta,
): void => {
  const r = parseMessage(buf, start, end, DATAGRAM);
  let messageEnd = end;
  if (r.kind === 'message') {
    if (r.anomaly) events.anomaly(r.anomaly);
    events.message(r.msg, meta);
    messageEnd = r.end;
  } else if (r.kind === 'bad-start-line') {
    // "SIP/2.0 " and no status code: tshark's sip_parse_line() rejects the datagram; we say why
    events.anomaly(r.anomaly);
    messageEnd = start;
  }
  if (messageEnd < end) events.unrecognized(end - messageEnd);
};
