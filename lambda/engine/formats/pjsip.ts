import { endpointIds, LOCAL, LOCAL_ID } from '../endpoint-ids.js';
import { findLogStampAt } from '../log-stamp.js';
import { refillMeta } from '../payload-meta.js';
import type { Transport } from '../types.js';
import { InternTable } from './intern-table.js';
import { allSpace, JS_SPACE } from './line-bytes.js';
import { startsWith } from './line-utils.js';
import { type MatchResult, MatchSlots, type TextFormatReader } from './text-format.js';

/**
 * Asterisk `pjsip set logger on` (res_pjsip_logger.c):
 *   <--- Received SIP request (861 bytes) from UDP:10.0.0.1:5060 --->
 *   <--- Transmitting SIP response (521 bytes) to UDP:10.0.0.1:5060 --->
 * followed by the message. In a full log the line carries a prefix such as
 * "[2026-11-24 13:39:27.271] VERBOSE[1234] res_pjsip_logger.c: "; its date, when it has a year,
 * stamps the message (a date without a year, Asterisk's default "[Nov 24 13:39:27]", too: the
 * file's clock gives it its year).
 *
 * The header is read from the line's bytes, with the meaning of the expression
 *   /<--- (Received|Transmitting) SIP (?:request|response) \((\d+) bytes\) (?:from|to) (UDP|TCP|TLS|WSS?|SCTP):(\S+?) --->\s*$/
 * on the line without its CR: the leftmost "<--- " from which the rest matches; every message of
 * a pjsip log has one such line, so it costs no string and no regular expression.
 */

const ARROW = '<--- ';
const CR = 0x0d;
const SP = 0x20;

/** The transports the header names, in the order the expression tries them. */
const TRANSPORTS: readonly (readonly [string, Transport])[] = [
  ['UDP:', 'udp'],
  ['TCP:', 'tcp'],
  ['TLS:', 'tls'],
  ['WSS:', 'ws'],
  ['WS:', 'ws'],
  ['SCTP:', 'sctp'],
];

/** The parts of a header line the counts use. */
interface PjsipHeader {
  /** Offset of its "<--- ": the logger prefix is the text before it. */
  at: number;
  received: boolean;
  transport: Transport;
  peerStart: number;
  peerEnd: number;
}

/** One header is read at a time (the scanner is single-threaded): no object per line. */
const found: PjsipHeader = { at: 0, received: false, transport: 'unknown', peerStart: 0, peerEnd: 0 };

/** Reads the digits at `p` (at least one); returns the offset after them, or -1. */
const skipDigits = (buf: Buffer, p: number, le: number): number => {
  let k = p;
  while (k < le && (buf[k] ?? 0) >= 0x30 && (buf[k] ?? 0) <= 0x39) k++;
  return k > p ? k : -1;
};

/** Whether the header's rest matches from the "<--- " at `k` to the line's content end `le`; fills `found`. */
const matchFrom = (buf: Buffer, k: number, le: number): boolean => {
  let p = k + ARROW.length;
  if (startsWith(buf, p, le, 'Received SIP ')) {
    found.received = true;
    p += 13;
  } else if (startsWith(buf, p, le, 'Transmitting SIP ')) {
    found.received = false;
    p += 17;
  } else return false;
  if (startsWith(buf, p, le, 'request (')) p += 9;
  else if (startsWith(buf, p, le, 'response (')) p += 10;
  else return false;
  p = skipDigits(buf, p, le);
  if (p < 0 || !startsWith(buf, p, le, ' bytes) ')) return false;
  p += 8;
  if (startsWith(buf, p, le, 'from ')) p += 5;
  else if (startsWith(buf, p, le, 'to ')) p += 3;
  else return false;
  let transport: Transport | undefined;
  for (const [name, t] of TRANSPORTS) {
    if (startsWith(buf, p, le, name)) {
      transport = t;
      p += name.length;
      break;
    }
  }
  if (transport === undefined) return false;
  // (\S+?) then " --->": the peer is the run up to the first white space, which must be that space
  let e = p;
  while (e < le && JS_SPACE[buf[e] ?? 0] !== 1) e++;
  if (e === p || buf[e] !== SP || !startsWith(buf, e + 1, le, '--->') || !allSpace(buf, e + 5, le)) return false;
  found.at = k;
  found.transport = transport;
  found.peerStart = p;
  found.peerEnd = e;
  return true;
};

/** Whether [ls, lf) is a pjsip header line (then `found` holds it). */
const readHeader = (buf: Buffer, ls: number, lf: number): boolean => {
  // lineText drops one CR before the LF; `\s*$` takes any other white space
  const le = lf > ls && buf[lf - 1] === CR ? lf - 1 : lf;
  // searched within the line only: an unbounded indexOf would run on through the buffer for a line without one
  for (let k = ls; k + ARROW.length <= le; k++) {
    if (buf[k] === 0x3c && buf[k + 1] === 0x2d && startsWith(buf, k, le, '<--- ') && matchFrom(buf, k, le)) return true;
  }
  return false;
};

/** Peers by their printed bytes. */
const peers = new InternTable(undefined, endpointIds);
/** The reader's answers and their meta, refilled (text-format.ts MatchSlots). */
const slots = new MatchSlots('pjsip');

export const pjsipReader: TextFormatReader = {
  format: 'pjsip',
  firstBytes: '',
  marker: '<--- ',
  isHeader: readHeader,
  match(buf: Buffer, ls: number, lf: number, end: number): MatchResult {
    if (!readHeader(buf, ls, lf)) return null;
    const { at, received, transport, peerStart, peerEnd } = found;
    const peer = peers.text(buf, peerStart, peerEnd);
    const peerId = peers.lastId;
    return slots.inline(
      refillMeta(
        slots.meta,
        transport,
        received ? peer : LOCAL,
        received ? LOCAL : peer,
        undefined,
        at > ls ? findLogStampAt(buf, ls, at) : undefined,
        received ? peerId : LOCAL_ID,
        received ? LOCAL_ID : peerId,
      ),
      Math.min(lf + 1, end),
    );
  },
};
