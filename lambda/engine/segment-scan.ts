import { TEXT_FORMAT_READERS } from './formats/index.js';
import type { TextFormatReader } from './formats/text-format.js';
import { assertFoundSip, countBytes, scanTextChunks } from './index.js';
import { MessageCounter } from './message-counter.js';
import { type PrefixEvent, RetransmissionDetector } from './retransmissions.js';
import { type FlowHead, SipFramer } from './sip-framer.js';
import type { ScanResult } from './tally.js';
import { Tally } from './tally.js';
import { TextScanner } from './text-scanner.js';
import type { Format } from './types.js';

/**
 * A large plain text log scanned on two cores: the earlier part on this thread, the later part on
 * a worker, then merged so that the counts equal a sequential scan. Two things cross the split and
 * are mended in the merge:
 * - retransmission state: the later part records, per dialog direction, the messages judged before
 *   their CSeq first changed; the merge replays them on the earlier part's state;
 * - TCP flows (ngrep, tcpdump -A): the later part keeps each flow's bytes before its first start
 *   line; the merge appends them to the earlier part's unfinished message of that flow.
 * The split itself falls just before a log-format header line that follows a blank or trailer
 * line, where no message can be open in a text log (bare SIP without headers is never split).
 */

/** The earlier part's live state, kept for the merge. */
export interface EarlierSegment {
  readonly tally: Tally;
  readonly detector: RetransmissionDetector;
  readonly framer: SipFramer;
  readonly scanner: TextScanner;
}

/** What the later part hands back (plain data: it crosses a worker boundary). */
export interface LaterSegment {
  readonly result: ScanResult;
  readonly prefixes: PrefixEvent[][];
  readonly heads: readonly FlowHead[];
}

/** Scans the earlier part, leaving TCP flows open for the merge. */
export const scanEarlierSegment = async (chunks: AsyncIterable<Uint8Array>): Promise<EarlierSegment> => {
  const tally = new Tally();
  const detector = new RetransmissionDetector();
  const counter = new MessageCounter(tally, detector);
  const framer = new SipFramer(counter);
  const scanner = new TextScanner(TEXT_FORMAT_READERS, framer, counter, tally);
  await scanTextChunks(scanner, countBytes(chunks, tally), false);
  return { tally, detector, framer, scanner };
};

/**
 * Whether the later part can be merged. When the earlier part ends inside a TCP message, the
 * later part framed that message's tail on its own and may have taken a line of its body (a
 * sipfrag status line) for a response: then the caller must scan on sequentially instead.
 */
export const canMerge = (earlier: EarlierSegment): boolean => !earlier.framer.hasBufferedFlows();

/** Scans the rest of the file on the earlier part's state, as a sequential scan would. */
export const continueSequentially = async (
  earlier: EarlierSegment,
  rest: AsyncIterable<Uint8Array>,
  head: Uint8Array,
): Promise<ScanResult> => {
  await scanTextChunks(earlier.scanner, countBytes(rest, earlier.tally), true);
  assertFoundSip(earlier.tally, head);
  return earlier.tally.toResult();
};

/** Scans the later part, recording what depends on the earlier one. */
export const scanLaterSegment = async (chunks: AsyncIterable<Uint8Array>): Promise<LaterSegment> => {
  const tally = new Tally();
  const detector = new RetransmissionDetector(undefined, true);
  const counter = new MessageCounter(tally, detector);
  const framer = new SipFramer(counter, { collectFlowHeads: true });
  const scanner = new TextScanner(TEXT_FORMAT_READERS, framer, counter, tally);
  await scanTextChunks(scanner, countBytes(chunks, tally), true);
  return { result: tally.toResult(), prefixes: detector.prefixEvents(), heads: framer.flowHeads() };
};

/** Joins the two parts into the result a sequential scan would give. */
export const mergeSegments = (earlier: EarlierSegment, later: LaterSegment, head: Uint8Array): ScanResult => {
  const { tally, detector, framer } = earlier;
  for (const h of later.heads) {
    // a Buffer arrives from a worker as a plain Uint8Array
    framer.continueFlow({ ...h, bytes: Buffer.from(h.bytes.buffer, h.bytes.byteOffset, h.bytes.byteLength) });
  }
  framer.end();
  tally.merge(later.result);
  for (const e of detector.replayPrefixes(later.prefixes)) {
    tally.adjustRetransmission(e.kind, e.statusCode, e.timeMs, e.verdict ? 1 : -1);
  }
  assertFoundSip(tally, head);
  return tally.toResult();
};

const LF = 0x0a;

/** The format whose header line [ls, le) is, or null. */
const headerFormat = (buf: Buffer, ls: number, le: number, readers: readonly TextFormatReader[]): Format | null => {
  const line = buf.subarray(ls, le);
  for (const r of readers) {
    const candidate =
      r.marker !== undefined
        ? line.indexOf(r.marker, 0, 'latin1') >= 0
        : r.firstBytes.includes(String.fromCharCode(line[0] ?? 0));
    if (candidate && r.isHeader(buf, ls, le)) return r.format;
  }
  return null;
};

/** Formats whose blocks start at a header line and whose messages never run across one. */
const INLINE_FORMATS: ReadonlySet<Format> = new Set<Format>(['pjsip', 'sipp', 'chan-sip', 'freeswitch']);

/**
 * Finds a safe place to split a text log inside `window` (bytes of the file from `windowOffset`),
 * where a sequential scan is between blocks. Per format:
 * - ngrep: the blank line before a packet header (that "\n" opens the next packet's block, so it
 *   goes with the later part; the earlier part ends with the payload and ngrep's trailing LF);
 * - pjsip, SIPp, chan_sip, FreeSWITCH: a header line after a blank line;
 * - sipdump: a record header after the previous record's trailer; acc: between two acc lines.
 * Other formats (bare SIP, tcpdump -A) are never split. Returns the absolute offset, or null.
 */
export const findSplitPoint = (
  window: Buffer,
  windowOffset: number,
  readers: readonly TextFormatReader[] = TEXT_FORMAT_READERS,
): number | null => {
  let prevStart = -1;
  let prevEnd = -1;
  let ls = window.indexOf(LF) + 1;
  if (ls <= 0) return null;
  while (ls < window.length) {
    const lf = window.indexOf(LF, ls);
    if (lf < 0) return null;
    const le = lf > ls && window[lf - 1] === 0x0d ? lf - 1 : lf;
    if (prevStart >= 0 && le > ls) {
      const format = headerFormat(window, ls, le, readers);
      const prevBlank = prevEnd === prevStart;
      if (format === 'ngrep' && prevBlank) return windowOffset + prevStart;
      if (format !== null && INLINE_FORMATS.has(format) && prevBlank) return windowOffset + ls;
      if ((format === 'sipdump' || format === 'acc') && window[ls] !== 0x7c) {
        if (headerFormat(window, prevStart, prevEnd, readers) === format) return windowOffset + ls;
      }
    }
    prevStart = ls;
    prevEnd = le;
    ls = lf + 1;
  }
  return null;
};
