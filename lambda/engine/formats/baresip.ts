import { endpointIds } from '../endpoint-ids.js';
import { refillMeta } from '../payload-meta.js';
import { ForwardSearch } from './forward-search.js';
import { InternTable } from './intern-table.js';
import { allSpace, readArrowEnds, transportAt } from './line-bytes.js';
import { startsWith } from './line-utils.js';
import { type MatchResult, MatchSlots, type TextFormatReader } from './text-format.js';

/**
 * baresip's SIP trace (`baresip -s`, or `sip_trace yes`): its trace handler prints every message it sends or
 * receives as
 *   ESC "[36;1m#" LF  "UDP 127.0.0.1:5070 -> 127.0.0.1:5090" LF  the message's bytes  ESC "[;m" LF
 * (a cyan block on a terminal, the same bytes in a redirected stdout), among baresip's other console lines. A TCP
 * message is printed whole, as re's transport parsed it; a UDP one is the datagram. The header line names the
 * transport and both ends (IPv6 in brackets), so the sender is the peer and resends are judged over UDP only, as
 * tshark does on the capture. No time is printed: the messages are untimed.
 *
 * A UDP entry is handed over as the datagram it printed, from the address line to the colour reset (which may follow
 * the message's last byte on the same line): what a datagram held past its message's Content-Length is not SIP to
 * tshark, and the datagram ends where the entry does, whatever comes after it. A TCP entry, or a trace whose colours
 * were taken out (no reset to end an entry), is read inline: its message framed by its Content-Length. The console's
 * own status line is redrawn with CRs, so the next entry's `#` line can follow the reset on the same line, or come
 * after a run of CRs; the `#` line is decoration, the address line is the header.
 */

const ESC = '\x1b';
const HASH = 0x23;
const LF = 0x0a;
/** The colour reset that closes an entry (re_printf "\x1b[;m\n" after the message). */
const CLOSE = `${ESC}[;m`;
/** The line that opens an entry. */
const OPEN = `${ESC}[36;1m#`;

/** The parts of the header line last read (one line is read at a time: no object per line). */
const found = { transportEnd: 0, srcStart: 0, srcEnd: 0, dstStart: 0, dstEnd: 0 };

/** Whether [ls, lf) is an entry's header ("UDP a -> b"); fills `found`. */
const readHeader = (buf: Buffer, ls: number, lf: number): boolean => {
  // "UDP", "TCP", "TLS", "WS", "WSS" (sip_transp_name), then one space
  let t = ls;
  while (t < lf && t - ls < 3 && (buf[t] ?? 0) >= 0x41 && (buf[t] ?? 0) <= 0x5a) t++;
  if (t - ls < 2 || buf[t] !== 0x20 || transportAt(buf, ls, t) === 'unknown') return false;
  if (!readArrowEnds(buf, t + 1, lf, found)) return false;
  found.transportEnd = t;
  return true;
};

/** Whether [ls, lf) is the line that opens an entry. */
const isOpenLine = (buf: Buffer, ls: number, lf: number): boolean =>
  startsWith(buf, ls, lf, OPEN) && allSpace(buf, ls + OPEN.length, lf);

/** Where each UDP entry's colour reset is looked for (linear over a buffer's entries: forward-search.ts). */
const closeSearch = new ForwardSearch(Buffer.from(CLOSE, 'latin1'));

/**
 * Whether [ls, lf) is a lone `#` followed by an entry's header: the opening line of a trace whose colours were taken
 * out (`sed 's/\x1b\[[0-9;]*m//g'`), which ngrep's `#` separator would otherwise claim.
 */
const isBareOpenLine = (buf: Buffer, ls: number, lf: number, end: number): boolean => {
  if (buf[ls] !== HASH || !allSpace(buf, ls + 1, lf) || lf >= end) return false;
  const next = buf.indexOf(LF, lf + 1);
  return readHeader(buf, lf + 1, next < 0 || next > end ? end : next);
};

/** Endpoints by their printed bytes: one string per distinct address. */
const endpoints = new InternTable(undefined, endpointIds);
/** The reader's answers and their meta, refilled (text-format.ts MatchSlots). */
const slots = new MatchSlots('baresip');

export const baresipReader: TextFormatReader = {
  format: 'baresip',
  firstBytes: `UTW${ESC}#`,
  lineStarts: ['UD', 'TC', 'TL', 'WS', `${ESC}[`, '#'],
  // the reset ends a message's body, as its entry ends there (a datagram baresip cut at 8 KiB: `truncated-body`)
  isHeader: (buf, ls, lf) => readHeader(buf, ls, lf) || isOpenLine(buf, ls, lf) || startsWith(buf, ls, lf, CLOSE),
  match(buf: Buffer, ls: number, lf: number, end: number): MatchResult {
    const next = Math.min(lf + 1, end);
    if (buf[ls] === 0x1b) return isOpenLine(buf, ls, lf) ? slots.skip(next) : null;
    if (buf[ls] === HASH) return isBareOpenLine(buf, ls, lf, end) ? slots.skip(next) : null;
    if (!readHeader(buf, ls, lf)) return null;
    const { transportEnd, srcStart, srcEnd, dstStart, dstEnd } = found;
    const transport = transportAt(buf, ls, transportEnd);
    const src = endpoints.text(buf, srcStart, srcEnd);
    const srcId = endpoints.lastId;
    const dst = endpoints.text(buf, dstStart, dstEnd);
    const meta = refillMeta(slots.meta, transport, src, dst, undefined, undefined, srcId, endpoints.lastId);
    if (transport !== 'udp') return slots.inline(meta, next);
    // the whole window is here (the scanner asks with 4 MiB after the line, or at the end of input)
    const close = closeSearch.find(buf, next, end);
    if (close < 0) return slots.inline(meta, next);
    // the reset's line (with the next entry's `#` after CRs, when the console redrew its status line) is read with it
    const after = buf.indexOf(LF, close);
    const resume = after < 0 || after >= end ? end : after + 1;
    return slots.payload('datagram', meta, resume, buf, next, close, false);
  },
};
