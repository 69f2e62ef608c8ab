import { endpointIds } from '../endpoint-ids.js';
import { findLogStampAt } from '../log-stamp.js';
import { refillMeta } from '../payload-meta.js';
import { InternTable } from './intern-table.js';
import { fractionLength, isDateTimeAt, readArrowEnds } from './line-bytes.js';
import { type MatchResult, MatchSlots, type TextFormatReader } from './text-format.js';

/**
 * sngrep's text export (Save, format `.txt`: ui_save.c, save_msg_txt), one block per SIP message:
 *   "2026/11/24 13:39:27.271632 127.0.0.1:59086 -> 127.0.0.1:15060" + "\n" + message + "\n\n"
 * The message is printed as sngrep reassembled it (CRLF kept, a TCP message whole), so it is framed by its
 * Content-Length like any message inline in a log. Date and time are the packet's, in the local time of the
 * machine that ran sngrep (localtime): the file's clock places them. sngrep prints no transport: a message's
 * top Via tells it (retransmissions are looked for over UDP only). Messages come dialog by dialog, not in time
 * order; the counts do not depend on the order.
 */

const CR = 0x0d;
const SP = 0x20;
/** "YYYY/MM/DD hh:mm:ss" */
const DATE_TIME_LENGTH = 19;

/** The parts of the header line last read (one line is read at a time: no object per line). */
const found = { timeEnd: 0, srcStart: 0, srcEnd: 0, dstStart: 0, dstEnd: 0 };

/** Whether [ls, lf) is an sngrep block header; fills `found`. */
const readHeader = (buf: Buffer, ls: number, lf: number): boolean => {
  const le = lf > ls && buf[lf - 1] === CR ? lf - 1 : lf;
  // the date is printed with '/' (strftime "%Y/%m/%d"), the time with microseconds
  if (le - ls < DATE_TIME_LENGTH + 10 || buf[ls + 4] !== 0x2f || !isDateTimeAt(buf, ls, 'any', ' ')) return false;
  const fraction = fractionLength(buf, ls + DATE_TIME_LENGTH, le);
  const timeEnd = ls + DATE_TIME_LENGTH + fraction;
  if (fraction === 0 || buf[timeEnd] !== SP) return false;
  if (!readArrowEnds(buf, timeEnd + 1, le, found)) return false;
  found.timeEnd = timeEnd;
  return true;
};

/** Endpoints by their printed bytes: one string per distinct address. */
const endpoints = new InternTable(undefined, endpointIds);
/** The reader's answers and their meta, refilled (text-format.ts MatchSlots). */
const slots = new MatchSlots('sngrep');

export const sngrepReader: TextFormatReader = {
  format: 'sngrep',
  firstBytes: '0123456789',
  isHeader: readHeader,
  match(buf: Buffer, ls: number, lf: number, end: number): MatchResult {
    if (!readHeader(buf, ls, lf)) return null;
    const { timeEnd, srcStart, srcEnd, dstStart, dstEnd } = found;
    const src = endpoints.text(buf, srcStart, srcEnd);
    const srcId = endpoints.lastId;
    const dst = endpoints.text(buf, dstStart, dstEnd);
    const stamp = findLogStampAt(buf, ls, timeEnd);
    const meta = refillMeta(slots.meta, 'unknown', src, dst, undefined, stamp, srcId, endpoints.lastId);
    return slots.inline(meta, Math.min(lf + 1, end));
  },
};
