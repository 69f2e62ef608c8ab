import { startLineKind } from '../../sip-message.js';
import { CR, LF } from './ascii-print.js';

/** The smallest Ethernet payload; shorter IP packets are padded, and tcpdump prints the padding. */
export const MIN_ETHERNET_PAYLOAD = 46;

/**
 * The payload's bytes: the printed [ps, pe) with the CRs ascii_print dropped put back, given the
 * true size `n` (`length N`). A copy is made only when a CR is missing. Null when the printed text
 * cannot be `n` bytes (a capture cut by the snaplen). `afterCr`: the bytes before the payload in its TCP stream end
 * with a CR, so a LF that the payload starts with is the rest of that CRLF (TCP split it, ascii_print dropped the CR
 * as the last byte of its packet) and lost no CR in this one.
 */
export const restorePayload = (
  buf: Buffer,
  ps: number,
  printedEnd: number,
  n: number,
  afterCr = false,
): { buf: Buffer; start: number; end: number } | null => {
  // Ethernet padding after a short packet is printed too; it is never more than 46 bytes
  let pe = printedEnd - ps > n ? paddedPrefix(buf, ps, printedEnd, n) : printedEnd;
  if (pe < 0) return null;
  if (n - (pe - ps) === 0) return { buf, start: ps, end: pe };
  const lfs = lfsAfterDroppedCr(buf, ps, pe, afterCr);
  pe -= tlvPadding(buf, ps, pe, n, lfs.length);
  const missing = n - (pe - ps);
  if (missing < 0 || missing > lfs.length + 2) return null;
  const withCr = new Set<number>(missing >= lfs.length ? lfs : chooseCrlfs(buf, ps, pe, lfs, missing));
  return { buf: withCrs(buf, ps, pe, lfs, withCr, n), start: 0, end: n };
};

/** NFLOG's TLVs are padded to four bytes. */
const MAX_TLV_PADDING = 3;
const DOT = 0x2e;

/**
 * How many of the dots that end [ps, pe) are the alignment padding of an NFLOG capture's payload TLV (1-3 NULs,
 * printed as '.'): as many as make the payload `n` bytes with every LF read as CRLF, or 0. A SIP message ends in
 * CRLF, so its own dots never end a printed payload whose every line lost a CR.
 */
const tlvPadding = (buf: Buffer, ps: number, pe: number, n: number, lfs: number): number => {
  for (let k = 1; k <= MAX_TLV_PADDING && pe - k > ps && buf[pe - k] === DOT; k++) {
    if (n - (pe - k - ps) === lfs && buf[pe - k - 1] === LF) return k;
  }
  return 0;
};

/**
 * The printed LFs of [ps, pe) that a CR ascii_print dropped may have stood before: each, but one that opens a
 * payload after a stream that ended with a CR (`afterCr`: that LF ends a CRLF TCP split, whose CR was dropped as the
 * last byte of the packet before).
 */
export const lfsAfterDroppedCr = (buf: Buffer, ps: number, pe: number, afterCr: boolean): number[] => {
  const lfs: number[] = [];
  for (let i = buf.indexOf(LF, ps); i >= 0 && i < pe; i = buf.indexOf(LF, i + 1)) if (i > ps || !afterCr) lfs.push(i);
  return lfs;
};

/** End of the shortest prefix of [ps, pe) that is `n` bytes with every LF read as CRLF, or read as is. */
const paddedPrefix = (buf: Buffer, ps: number, pe: number, n: number): number => {
  if (pe - ps - n > MIN_ETHERNET_PAYLOAD) return -1;
  let bytes = 0;
  for (let i = ps; i < pe; i++) {
    bytes += buf[i] === LF ? 2 : 1;
    if (bytes === n) return i + 1;
    if (bytes > n) break;
  }
  return ps + n;
};

/**
 * Which `count` of the LFs lost a CR, when not all did. A header section's lines must end in CRLF (RFC 3261 §7) and
 * a body may use bare LF, so the header lines' LFs come first; but a sender that copies a folded header may keep the
 * fold's bare LF (SIPp's `[last_CSeq:]` of `CSeq: 2\n INFO`), and then the body needs its CRs. Each placement is
 * judged by the Content-Length of the messages it makes: the first that ends a message at the payload's end wins,
 * else the first that no Content-Length contradicts, else the header lines' (or the first `count`).
 */
const chooseCrlfs = (buf: Buffer, ps: number, pe: number, lfs: readonly number[], count: number): number[] => {
  const inHeaders: number[] = [];
  const unfolded: number[] = [];
  let headers = false;
  let ls = ps;
  for (const lf of lfs) {
    if (!headers && startLineKind(buf, ls, lf) !== null) headers = true;
    if (headers) inHeaders.push(lf);
    // a LF inside a header section before a line that starts with SP or HT folds a header value
    if (!(headers && lf !== ls && lf + 1 < pe && (buf[lf + 1] === SP || buf[lf + 1] === HT))) unfolded.push(lf);
    if (headers && lf === ls) headers = false;
    ls = lf + 1;
  }
  const placements = [inHeaders, unfolded, lfs.slice(0, count)].filter((c) => c.length === count);
  const judged = placements.map((c) => framing(withCrs(buf, ps, pe, lfs, new Set(c), pe - ps + count)));
  const best = judged.indexOf('exact') >= 0 ? judged.indexOf('exact') : judged.findIndex((f) => f !== 'broken');
  return placements[Math.max(best, 0)] ?? lfs.slice(0, count);
};

const SP = 0x20;
const HT = 0x09;

/** [ps, pe) with a CR put before each LF of `withCr`, padded with CRs to `n` bytes (see restorePayload). */
const withCrs = (
  buf: Buffer,
  ps: number,
  pe: number,
  lfs: readonly number[],
  withCr: ReadonlySet<number>,
  n: number,
): Buffer => {
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  let from = ps;
  for (const at of lfs) {
    if (!withCr.has(at)) continue;
    o += buf.copy(out, o, from, at);
    out[o++] = CR;
    from = at;
  }
  o += buf.copy(out, o, from, pe);
  // the rest were among the last two bytes of the packet, which ascii_print never shows as CR
  while (o < n) out[o++] = CR;
  return out;
};

/**
 * How the messages of a restored payload fit their Content-Length: 'exact' when the last one ends at the payload's
 * end, 'open' when it runs past it (TCP carries the rest) or its headers do, 'broken' when a body ends where no start
 * line follows, 'unknown' when the payload does not start a message or a message has no Content-Length.
 */
const framing = (b: Buffer): 'exact' | 'open' | 'broken' | 'unknown' => {
  for (let at = 0; ; ) {
    const first = b.indexOf(LF, at);
    if (first < 0) return 'open';
    if (startLineKind(b, at, contentEnd(b, at, first)) === null) return at === 0 ? 'unknown' : 'broken';
    let cl = -1;
    let ls = first + 1;
    for (;;) {
      const lf = b.indexOf(LF, ls);
      if (lf < 0) return 'open';
      const ce = contentEnd(b, ls, lf);
      const line = ls;
      ls = lf + 1;
      if (ce === line) break;
      cl = contentLength(b, line, ce) ?? cl;
    }
    if (cl < 0) return 'unknown';
    at = ls + cl;
    if (at === b.length) return 'exact';
    if (at > b.length) return 'open';
  }
};

/** End of the line [ls, lf)'s content: before the CR of a CRLF. */
const contentEnd = (b: Buffer, ls: number, lf: number): number => (lf > ls && b[lf - 1] === CR ? lf - 1 : lf);

const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');

/** The value of a Content-Length (or compact `l`) header line [ls, ce), or undefined for another line. */
const contentLength = (b: Buffer, ls: number, ce: number): number | undefined => {
  const colon = b.indexOf(0x3a, ls);
  if (colon < 0 || colon >= ce) return undefined;
  let ne = colon;
  while (ne > ls && (b[ne - 1] === SP || b[ne - 1] === HT)) ne--;
  const name = ne - ls;
  const compact = name === 1 && (b[ls] | 0x20) === 0x6c;
  if (!compact) {
    if (name !== CONTENT_LENGTH.length) return undefined;
    for (let i = 0; i < name; i++) if (((b[ls + i] ?? 0) | 0x20) !== CONTENT_LENGTH[i]) return undefined;
  }
  let v = colon + 1;
  while (v < ce && (b[v] === SP || b[v] === HT)) v++;
  let n = 0;
  let digits = 0;
  for (; v < ce && (b[v] ?? 0) >= 0x30 && (b[v] ?? 0) <= 0x39 && digits < 9; v++, digits++)
    n = n * 10 + (b[v] ?? 0) - 0x30;
  return digits > 0 ? n : undefined;
};
