import { byteSet } from './formats/line-bytes.js';
import { FIRST_BYTES, isSummaryLine } from './formats/tcpdump-ascii/summary-line.js';

/**
 * ngrep and tcpdump never print a carriage return before a line feed (ngrep shows CR, like every byte it deems
 * unprintable, as '.'; tcpdump's ascii_print drops the CR of a CRLF), so such a CR in their output was added after
 * the fact: the file went through unix2dos or a Windows editor. Left in, no line reads as the tool wrote it: ngrep's
 * blocks run into each other (358 of 1,834 responses on the corpus's ngrep log), tcpdump's printed packets are a
 * byte per line too long (1,465 of 1,834 on mixed.pcap's `-A`). Such a log is read with every CR that comes before a
 * LF taken out again, before any reader sees it.
 */

const CR = 0x0d;
const LF = 0x0a;

/** An ngrep packet header line ("T 192.0.2.1:5060 -> ...", with -t or -T a time first) ending in CRLF. */
const NGREP_HEADER_CRLF = /(?:^|\n)[TUI] (?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d+ |\+\d+\.\d+ )?\S+ -> \S+[^\n]*\r\n/;

/** What NGREP_HEADER_CRLF cannot match without: the arrow between its two addresses. */
const NGREP_ARROW = ' -> ';

/** The first bytes a tcpdump summary line can start with (summary-line.ts), as a table read before any call. */
const SUMMARY_FIRST = byteSet(FIRST_BYTES);

/** Whether a line of the head is a tcpdump summary line ending in CRLF. */
const hasTcpdumpSummaryCrlf = (head: Buffer): boolean => {
  for (let ls = 0, lf = head.indexOf(LF); lf >= 0; ls = lf + 1, lf = head.indexOf(LF, ls)) {
    if (lf > ls && head[lf - 1] === CR && SUMMARY_FIRST[head[ls] ?? 0] === 1 && isSummaryLine(head, ls, lf - 1))
      return true;
  }
  return false;
};

/**
 * Whether the head of a text log is ngrep or tcpdump output converted to CRLF line ends. Both tests need a CRLF,
 * and ngrep's an arrow: searched for first (natively), since every text input's head is sniffed while the engine's
 * code is still in V8's interpreter (a CRLF SIP log's 64 KiB head took ~1.4 ms here, most of it line by line).
 */
export const isConvertedToCrlf = (head: Uint8Array): boolean => {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.length);
  if (buf.indexOf('\r\n', 0, 'latin1') < 0) return false;
  return (
    (buf.indexOf(NGREP_ARROW, 0, 'latin1') >= 0 && NGREP_HEADER_CRLF.test(buf.toString('latin1'))) ||
    hasTcpdumpSummaryCrlf(buf)
  );
};

/** Yields the chunks with each CR that precedes a LF removed (a CR at a chunk's end waits for the next byte). */
export async function* dropCrBeforeLf(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let heldCr = false;
  for await (const chunk of chunks) {
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let n = 0;
    if (heldCr) {
      if (chunk[0] !== LF) out[n++] = CR;
      heldCr = false;
    }
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (c === CR) {
        if (i + 1 === chunk.length) {
          heldCr = true;
          continue;
        }
        if (chunk[i + 1] === LF) continue;
      }
      out[n++] = c;
    }
    if (n > 0) yield out.subarray(0, n);
  }
  if (heldCr) yield Buffer.from([CR]);
}
