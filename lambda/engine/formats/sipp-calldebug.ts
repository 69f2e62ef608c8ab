import { LOCAL, LOCAL_ID, REMOTE, REMOTE_ID } from '../endpoint-ids.js';
import { refillMeta } from '../payload-meta.js';
import { lineContentEnd } from '../sip-message.js';
import type { Transport } from '../types.js';
import { lineEndAt, startsWith } from './line-utils.js';
import { epochMs, epochStartAt, isEpochAt } from './sipp-short.js';
import { type MatchContext, type MatchResult, MatchSlots, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * SIPp `-trace_calldebug` (the <scenario>_<pid>_calldebug.log file: each aborted call's history, written when the
 * call ends): under a separator and a heading per call (sipp.ts skips both), lines of
 *   YYYY-MM-DD \t hh:mm:ss.usec \t epoch.usec text
 * (SIPp's call.cpp, TRACE_CALLDEBUG), of which three hold a message, on the lines after them:
 *   ... Sending UDP message for call 1-3165@127.0.0.1 (index 0, hash 8905885239434291305):
 *   ... Processing 344 byte incoming message for call-ID 1-3165@127.0.0.1 (hash 6794774159692824245):
 *   ... Unexpected UDP message received (index 1, hash 6794774159692824245):   (a blank line, then the message)
 * The third is process_unexpected() logging again the message process_incoming() logged just before: counted once,
 * as tshark counts the one packet (as the unexpected copy in `-trace_msg`, sipp.ts). Before, each unexpected
 * response counted twice (once as a retransmission) and no message was timed. The epoch is the message's instant.
 * A received message's transport is not printed: UDP, SIPp's default (as `-trace_shortmsg`, sipp-short.ts).
 */

const HEADING = 'Call debugging information for call ';

/** Whether [ls, le) is the heading of a call's history (after a separator line, which sipp.ts reads). */
export const isCallDebugHeading = (buf: Buffer, ls: number, le: number): boolean => startsWith(buf, ls, le, HEADING);
const SENDING = 'Sending ';
const PROCESSING = 'Processing ';
const UNEXPECTED = 'Unexpected ';
const INCOMING = ' byte incoming message for call-ID ';
/** TRANSPORT_TO_STRING of SIPp's sources, before " message". */
const TRANSPORTS: readonly (readonly [string, Transport])[] = [
  ['UDP message ', 'udp'],
  ['TCP message ', 'tcp'],
  ['TLS message ', 'tls'],
  ['SCTP message ', 'sctp'],
];
const SP = 0x20;
const COLON = 0x3a;
const slots = new MatchSlots('sipp');

/** Where the epoch of a line "date \t time \t epoch text" ends (the space before its text), or -1 when it has none. */
const epochEndAt = (buf: Buffer, epoch: number, le: number): number => {
  if (epoch < 0) return -1;
  const sp = buf.subarray(epoch, le).indexOf(SP);
  // "epoch text" (an errors log's entry has "epoch: ", sipp-errors.ts; another tool's dated line has no epoch)
  return sp < 0 || !isEpochAt(buf, epoch, epoch + sp) ? -1 : epoch + sp;
};

/** Offset after the line's "date \t time \t epoch " prefix (where its text starts), or -1 when it has none. */
const textStart = (buf: Buffer, ls: number, le: number): number => {
  const end = epochEndAt(buf, epochStartAt(buf, ls, le), le);
  return end < 0 ? -1 : end + 1;
};

/** The transport named at `p` ("UDP message "), and where its name ends; undefined when none is. */
const transportAt = (buf: Buffer, p: number, le: number): readonly [string, Transport] | undefined =>
  TRANSPORTS.find(([name]) => startsWith(buf, p, le, name));

/** Whether the line [ls, le) ends with "):" (the message follows on the next line). */
const endsAnnouncing = (buf: Buffer, le: number): boolean => buf[le - 1] === COLON && buf[le - 2] === 0x29; /* ) */

/** Start of the next line in [from, end) that has the prefix (the next event of the call), or -1 when none yet. */
const nextEvent = (buf: Buffer, from: number, end: number): number => {
  let ls = from;
  while (ls < end) {
    const lf = lineEndAt(buf, ls, end);
    if (lf < 0) return -1;
    const le = lineContentEnd(buf, ls, lf, false);
    if (textStart(buf, ls, le) >= 0 || isCallDebugHeading(buf, ls, le)) return ls;
    ls = lf + 1;
  }
  return -1;
};

const match = (buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult => {
  const le = lineContentEnd(buf, ls, lf, false);
  const epoch = epochStartAt(buf, ls, le);
  const epochEnd = epochEndAt(buf, epoch, le);
  if (epochEnd < 0) return null;
  const p = epochEnd + 1;
  if (lf >= end && !ctx.final) return NEED_MORE;
  const next = Math.min(lf + 1, end);
  if (!endsAnnouncing(buf, le)) return slots.skip(next);
  const timeMs = epochMs(buf, epoch, epochEnd);
  if (startsWith(buf, p, le, SENDING)) {
    const t = transportAt(buf, p + SENDING.length, le);
    if (t === undefined) return slots.skip(next);
    const meta = refillMeta(slots.meta, t[1], LOCAL, REMOTE, timeMs, undefined, LOCAL_ID, REMOTE_ID);
    return slots.inline(meta, next);
  }
  if (startsWith(buf, p, le, PROCESSING)) {
    let d = p + PROCESSING.length;
    while (d < le && (buf[d] ?? 0) >= 0x30 && (buf[d] ?? 0) <= 0x39) d++;
    if (d === p + PROCESSING.length || !startsWith(buf, d, le, INCOMING)) return slots.skip(next);
    const meta = refillMeta(slots.meta, 'udp', REMOTE, LOCAL, timeMs, undefined, REMOTE_ID, LOCAL_ID);
    return slots.inline(meta, next);
  }
  if (startsWith(buf, p, le, UNEXPECTED) && transportAt(buf, p + UNEXPECTED.length, le) !== undefined) {
    // the copy of the message logged just before: skipped whole, up to the call's next event
    const after = nextEvent(buf, next, end);
    if (after < 0) return ctx.final ? slots.skip(end) : NEED_MORE;
    return slots.skip(after);
  }
  return slots.skip(next);
};

export const sippCallDebugReader: TextFormatReader = {
  format: 'sipp',
  firstBytes: '12',
  lineStarts: ['19', '20'],
  // every event line ends what came before it (a message without Content-Length runs to the next one)
  isHeader: (buf, ls, lf) => textStart(buf, ls, lineContentEnd(buf, ls, lf, false)) >= 0,
  match,
};
