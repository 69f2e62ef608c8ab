import { type MatchContext, NEED_MORE } from '../text-format.js';
import { LF } from './ascii-print.js';
import { MIN_ETHERNET_PAYLOAD } from './payload-restore.js';
import { isSummaryLine } from './summary-line.js';

// Where a packet's dump ends

/** A printed packet is never larger than tcpdump's default snaplen (262144) plus its line breaks. */
const MAX_BLOCK_BYTES = 512 * 1024;

interface Extent {
  /** End of the printed packet data (the LF tcpdump prints after it). */
  readonly dataEnd: number;
  /** Start of the next line after the packet. */
  readonly next: number;
}

/**
 * The printed data of a packet runs from `ds` to the LF before the next packet line: the first tcpdump summary line
 * ends it, whatever the printed length. A capture cut by its snaplen prints far less than the packet's size (`bytes`
 * = header + payload, from `length N`), and waiting for a summary line where the length fits swallowed the next
 * packet whole, silently (a -s 200 capture: 3,360 of 3,389 responses). Another log's header line ends it only where
 * the printed length fits: at least `bytes` minus one per LF (each may have lost a CR) minus two (the last two bytes'
 * CRs), at most `bytes` (or the Ethernet minimum, padding included).
 */
export const findExtent = (
  buf: Buffer,
  ds: number,
  end: number,
  ctx: MatchContext,
  bytes: number | undefined,
): Extent | typeof NEED_MORE => {
  const maxLen = bytes === undefined ? MAX_BLOCK_BYTES : Math.max(bytes, MIN_ETHERNET_PAYLOAD);
  let lfs = 0;
  let e = ds;
  for (;;) {
    const lf = buf.indexOf(LF, e);
    if (lf < 0 || lf >= end) {
      if (!ctx.final) return end - ds > maxLen + 2 ? tooLong(buf, ds, end, maxLen) : NEED_MORE;
      const dataEnd = end > ds && buf[end - 1] === LF ? end - 1 : end;
      return { dataEnd: Math.max(dataEnd, ds), next: end };
    }
    const printed = lf - ds;
    if (printed > maxLen) return tooLong(buf, ds, lf, maxLen);
    const s = lf + 1;
    if (s >= end) {
      if (!ctx.final) return NEED_MORE;
      return { dataEnd: lf, next: end };
    }
    const le = buf.indexOf(LF, s);
    if ((le < 0 || le >= end) && !ctx.final) return NEED_MORE;
    const lineEnd = le < 0 || le >= end ? end : le;
    if (isSummaryLine(buf, s, lineEnd)) return { dataEnd: lf, next: s };
    if ((bytes === undefined || printed >= bytes - lfs - 2) && ctx.isHeaderLine(buf, s, lineEnd))
      return { dataEnd: lf, next: s };
    lfs++;
    e = s;
  }
};

/** No packet line where one must be: end the packet at the last LF that still fits. */
const tooLong = (buf: Buffer, ds: number, limit: number, maxLen: number): Extent => {
  const last = buf.lastIndexOf(LF, Math.min(limit, ds + maxLen));
  const dataEnd = last >= ds ? last : Math.min(limit, ds + maxLen);
  return { dataEnd, next: Math.min(dataEnd + 1, limit + 1) };
};
