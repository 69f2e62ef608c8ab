/**
 * ngrep never prints a carriage return (it shows CR, like every byte it deems unprintable, as '.'), so a CR in
 * an ngrep log was added after the fact: the file went through unix2dos or a Windows editor. Left in, it sits
 * after the '.' that stands for the wire's CR, no line of the log reads as ngrep wrote it, and blocks run into
 * each other (358 of 1,834 responses counted on the corpus's ngrep log). Such a log is read with every CR that
 * comes before a LF taken out again.
 */

const CR = 0x0d;
const LF = 0x0a;

/** An ngrep packet header line ("T 192.0.2.1:5060 -> ...", with -t or -T a time first) ending in CRLF. */
const NGREP_HEADER_CRLF = /(?:^|\n)[TUI] (?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d+ |\+\d+\.\d+ )?\S+ -> \S+[^\n]*\r\n/;

/** Whether the head of a text log is ngrep output converted to CRLF line ends. */
export const isNgrepWithCrlf = (head: Uint8Array): boolean =>
  NGREP_HEADER_CRLF.test(Buffer.from(head.buffer, head.byteOffset, head.length).toString('latin1'));

/** Yields the chunks with each CR that precedes a LF removed (a CR at a chunk's end waits for the next byte). */
export async function* dropCrBeforeLf(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let heldCr = false;
  for await (const chunk of chunks) {
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let n = 0;
    let i = 0;
    if (heldCr) {
      if (chunk[0] !== LF) out[n++] = CR;
      heldCr = false;
    }
    for (; i < chunk.length; i++) {
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
