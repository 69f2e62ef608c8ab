import { LOCAL, LOCAL_ID, REMOTE, REMOTE_ID } from '../endpoint-ids.js';
import { refillMeta } from '../payload-meta.js';
import { lineContentEnd } from '../sip-message.js';
import { allSpace } from './line-bytes.js';
import { startsWith } from './line-utils.js';
import { datePrefix, epochMs, epochStartAt, isEpochAt } from './sipp-short.js';
import { type MatchContext, type MatchResult, MatchSlots, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * SIPp `-trace_err` (the <scenario>_<pid>_errors.log file): "The following events occurred:", then one entry per
 * error, each
 *   YYYY-MM-DD \t hh:mm:ss.usec \t epoch.usec: text
 * with no line end after it (SIPp's ERROR), so the next entry follows on the line where this one ends. The entry of
 * a call aborted on a message its scenario did not expect quotes the message whole:
 *   ...: Aborting call on unexpected message for Call-Id '1-3165@127.0.0.1': while expecting '100' (index 1),
 *   received 'SIP/2.0 503 Busy Here Overloaded
 *   ...
 *   Content-Length: 0
 *   <blank>
 *   '2026-12-07	23:28:35.143645	...
 * That message is one SIPp received, at the entry's epoch, counted as a UDP datagram (SIPp's default transport; a
 * received one's is not printed). Other entries are skipped: none quotes a message whole. Before, the file was
 * `UNKNOWN_FORMAT`.
 */

const HEADING = 'The following events occurred:';
const UNEXPECTED = 'Aborting call on unexpected message for Call-Id ';
const RECEIVED = ", received '";
const QUOTE = 0x27;
const LF = 0x0a;
/** A quoted message longer than this is not looked for further (SIPp's own buffers are smaller). */
const MAX_MESSAGE_BYTES = 64 * 1024;
const slots = new MatchSlots('sipp');

/** Where the entry's text starts (after "epoch: "), and the epoch's end; -1 when [ls, le) starts no entry. */
const entryText = (
  buf: Buffer,
  ls: number,
  le: number,
): { text: number; epochStart: number; epochEnd: number } | -1 => {
  const epochStart = epochStartAt(buf, ls, le);
  if (epochStart < 0) return -1;
  const colon = buf.subarray(epochStart, le).indexOf(0x3a);
  const epochEnd = epochStart + colon;
  if (colon < 0 || buf[epochEnd + 1] !== 0x20 || epochEnd + 1 >= le || !isEpochAt(buf, epochStart, epochEnd)) return -1;
  return { text: epochEnd + 2, epochStart, epochEnd };
};

/**
 * The closing quote of a message quoted from `from`: a quote after a line end that ends the input or starts the next
 * entry; -1 when none is there yet, -2 when none can come (too far).
 */
const closingQuote = (buf: Buffer, from: number, end: number, final: boolean): number => {
  const limit = Math.min(end, from + MAX_MESSAGE_BYTES);
  for (let q = buf.indexOf(QUOTE, from); q >= 0 && q < limit; q = buf.indexOf(QUOTE, q + 1)) {
    if (buf[q - 1] !== LF) continue;
    if (q + 1 === end) return final ? q : -1;
    // the next entry, or the heading of an errors log joined after this one with cat
    if (
      buf[q + 1] === LF ||
      buf[q + 1] === 0x0d ||
      datePrefix(buf, q + 1, end) ||
      startsWith(buf, q + 1, end, HEADING)
    ) {
      return q;
    }
  }
  return limit < end || end - from >= MAX_MESSAGE_BYTES ? -2 : -1;
};

/** An entry's start: SIPp's date, time and epoch, then ": ". */
const ENTRY_START = /\d{4}-\d\d-\d\d\t\d\d:\d\d:\d\d\.\d+\t\d+\.\d+: /;

/** Where the next entry starts within the line [from, le) (ERROR writes no line end after an entry), if it does. */
const nextEntryIn = (buf: Buffer, from: number, le: number): number | undefined => {
  const m = ENTRY_START.exec(buf.toString('latin1', from, le));
  return m === null ? undefined : from + m.index;
};

const match = (buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult => {
  const le = lineContentEnd(buf, ls, lf, false);
  if (startsWith(buf, ls, le, HEADING) && allSpace(buf, ls + HEADING.length, le)) {
    return slots.skip(Math.min(lf + 1, end));
  }
  const entry = entryText(buf, ls, le);
  if (entry === -1) return null;
  // an entry that quotes no message: skipped up to the next entry, which may follow on the same line
  const next = nextEntryIn(buf, entry.text, le) ?? Math.min(lf + 1, end);
  if (!startsWith(buf, entry.text, le, UNEXPECTED)) return slots.skip(next);
  const received = buf.subarray(entry.text, le).indexOf(RECEIVED, 0, 'latin1');
  if (received < 0) return slots.skip(next);
  const start = entry.text + received + RECEIVED.length;
  const q = closingQuote(buf, start, end, ctx.final);
  if (q === -1) return ctx.final ? slots.skip(end) : NEED_MORE;
  if (q === -2) return slots.skip(next);
  const timeMs = epochMs(buf, entry.epochStart, entry.epochEnd);
  const meta = refillMeta(slots.meta, 'udp', REMOTE, LOCAL, timeMs, undefined, REMOTE_ID, LOCAL_ID);
  // the next entry starts right after the quote, on the same line
  return slots.payload('datagram', meta, q + 1, buf, start, q, false);
};

export const sippErrorsReader: TextFormatReader = {
  format: 'sipp',
  firstBytes: '12T',
  lineStarts: ['19', '20', 'Th'],
  isHeader: (buf, ls, lf) => entryText(buf, ls, lineContentEnd(buf, ls, lf, false)) !== -1,
  match,
};
