import { parseMessage, parseOptions, startLineKind } from '../../sip-message.js';
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
  // the common case, every LF of the payload lost its CR: no set of them to ask
  const out = missing >= lfs.length ? withCrs(buf, ps, pe, lfs, null, n) : withChosenCrs(buf, ps, pe, lfs, n);
  return { buf: out, start: 0, end: n };
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
 * [ps, pe) as `n` bytes when only some of its LFs lost a CR. A header section's lines must end in CRLF (RFC 3261 §7)
 * and a body may use bare LF, so the header lines' LFs come first; but a sender that copies a folded header may keep
 * the fold's bare LF (SIPp's `[last_CSeq:]` of `CSeq: 2\n INFO`), and then the body needs its CRs. Each placement
 * (the header lines', all but the folds', the first LFs) is judged by how its messages fit their Content-Length: the
 * first that ends a message at the payload's end wins, else the first that none contradicts, else the first.
 */
const withChosenCrs = (buf: Buffer, ps: number, pe: number, lfs: readonly number[], n: number): Buffer => {
  const count = n - (pe - ps);
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
  // the first `count` LFs are always a placement (count < lfs.length), tried last: `first` is always built
  const tried: (readonly number[])[] = [];
  let first: Buffer | undefined;
  let uncontradicted: Buffer | undefined;
  for (const placement of [inHeaders, unfolded, lfs.slice(0, count)]) {
    if (placement.length !== count || tried.some((t) => sameNumbers(t, placement))) continue;
    tried.push(placement);
    const out = withCrs(buf, ps, pe, lfs, new Set(placement), n);
    const fit = framing(out);
    // 'unknown': the payload starts no message, whatever the placement
    if (fit === 'exact' || (fit === 'unknown' && first === undefined)) return out;
    first ??= out;
    if (fit !== 'broken') uncontradicted ??= out;
  }
  return uncontradicted ?? (first as Buffer);
};

const sameNumbers = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

const SP = 0x20;
const HT = 0x09;

/**
 * [ps, pe) with a CR put before each LF of `withCr` (every LF when null), padded with CRs to `n` bytes (see
 * restorePayload).
 */
const withCrs = (
  buf: Buffer,
  ps: number,
  pe: number,
  lfs: readonly number[],
  withCr: ReadonlySet<number> | null,
  n: number,
): Buffer => {
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  let from = ps;
  for (const at of lfs) {
    if (withCr !== null && !withCr.has(at)) continue;
    o = copyInto(out, o, buf, from, at);
    out[o++] = CR;
    from = at;
  }
  o = copyInto(out, o, buf, from, pe);
  // the rest were among the last two bytes of the packet, which ascii_print never shows as CR
  while (o < n) out[o++] = CR;
  return out;
};

/** Bytes a copy takes in a loop rather than through Buffer#copy, whose call costs more than a header line's bytes. */
const SHORT_COPY = 64;

/** Copies buf[from, to) to out at o; returns the offset after it. */
const copyInto = (out: Buffer, o: number, buf: Buffer, from: number, to: number): number => {
  if (to - from > SHORT_COPY) return o + buf.copy(out, o, from, to);
  let w = o;
  for (let i = from; i < to; i++) out[w++] = buf[i] ?? 0;
  return w;
};

const FRAMING_OPTS = parseOptions({ dotCR: false, complete: false, identity: 'none' });
/** Messages of one packet looked at, at most. */
const MAX_MESSAGES = 64;

/**
 * How the messages of a restored payload fit their Content-Length, framed as the scan frames a stream: 'exact' when
 * the last one ends at the payload's end, 'open' when it runs past it (TCP carries the rest), 'broken' when one ends
 * where no message starts, 'unknown' when the payload starts none.
 */
const framing = (b: Buffer): 'exact' | 'open' | 'broken' | 'unknown' => {
  let at = 0;
  for (let i = 0; i < MAX_MESSAGES; i++) {
    const o = parseMessage(b, at, b.length, FRAMING_OPTS);
    if (o.kind === 'incomplete') return 'open';
    if (o.kind !== 'message') return at === 0 ? 'unknown' : 'broken';
    at = o.end;
    if (at >= b.length) return 'exact';
  }
  return 'unknown';
};
