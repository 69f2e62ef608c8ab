/**
 * Logs saved by Windows tools in another encoding than the bytes the SIP tools wrote. SIP is UTF-8 on the wire
 * (RFC 3261 §7.1), and the readers frame bodies by Content-Length in those bytes, so such a log is turned back into
 * them before any reader sees it:
 * - UTF-16 (Windows PowerShell 5's `>` and `Out-File`, Notepad's "Unicode", `iconv -t UTF-16`): every character two
 *   bytes. Read as bytes, no line of it is a SIP line (a log of 1,834 responses counted none). Decoded to UTF-8,
 *   which gives back the original bytes of a UTF-8 log.
 * - UTF-8 with a byte order mark (Notepad, PowerShell's `-Encoding utf8`): three bytes before the first line made
 *   it no log line, and its entry was lost. The mark is taken out there, and where it opens a later line (files
 *   with a mark each, joined with `cat`).
 */

const LF = 0x0a;

/** The UTF-16 byte order a text's head is written in, or undefined for a text of single bytes. */
export type Utf16Order = 'utf-16le' | 'utf-16be';

/** Code units of the head looked at without a byte order mark (a line or two of any log). */
const SNIFF_UNITS = 512;

/**
 * The UTF-16 byte order of a head: by its byte order mark, or, without one (`iconv -t UTF-16LE`), by ASCII text in
 * the low byte of nearly every code unit and a zero high byte, which no single-byte log has (its NULs are rare).
 */
export const utf16OrderOf = (head: Uint8Array): Utf16Order | undefined => {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  const units = Math.min(SNIFF_UNITS, head.length >> 1);
  if (units < 8) return undefined;
  let le = 0;
  let be = 0;
  for (let i = 0; i < units; i++) {
    const a = head[2 * i] ?? 0;
    const b = head[2 * i + 1] ?? 0;
    if (b === 0 && a !== 0 && a < 0x80) le++;
    else if (a === 0 && b !== 0 && b < 0x80) be++;
  }
  // a stray NUL or two in a log is not this: nearly every unit must be an ASCII character in one byte order
  if (le * 10 >= units * 9) return 'utf-16le';
  if (be * 10 >= units * 9) return 'utf-16be';
  return undefined;
};

/** UTF-16 text as UTF-8 bytes, chunk by chunk (a code unit or surrogate pair cut between chunks waits for the rest). */
export async function* decodeUtf16(chunks: AsyncIterable<Buffer>, order: Utf16Order): AsyncGenerator<Buffer> {
  // the byte order mark is dropped (TextDecoder's default), a unit that is no character becomes U+FFFD
  const decoder = new TextDecoder(order);
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const last = decoder.decode();
  if (last.length > 0) yield Buffer.from(last, 'utf8');
}

/** UTF-8's byte order mark (U+FEFF). */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Whether a text starts with UTF-8's byte order mark. */
export const startsWithUtf8Bom = (head: Uint8Array): boolean => BOM.every((b, i) => head[i] === b);

/**
 * The chunks with UTF-8's byte order mark taken out where it opens the text or a line (a mark inside a line is a
 * character of the text, U+FEFF, and stays). Bytes after a chunk's last LF that may still become a mark wait for
 * the next chunk.
 */
export async function* dropUtf8Boms(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // the next byte opens a line (the text's first byte does)
  let lineStart = true;
  // bytes of a mark seen at a line start, held until the rest of it comes or does not
  let matched = 0;
  for await (const chunk of chunks) {
    let from = 0;
    if (lineStart) {
      let k = matched;
      let j = 0;
      while (k < BOM.length && j < chunk.length && chunk[j] === BOM[k]) {
        k++;
        j++;
      }
      if (k === BOM.length) from = j;
      else if (j === chunk.length) {
        matched = k;
        continue;
      } else if (matched > 0) yield BOM.subarray(0, matched);
      matched = 0;
      lineStart = false;
    }
    for (let b = chunk.indexOf(BOM, from); b >= 0; b = chunk.indexOf(BOM, b + 1)) {
      if (b === 0 || chunk[b - 1] !== LF) continue;
      if (b > from) yield chunk.subarray(from, b);
      from = b + BOM.length;
    }
    let end = chunk.length;
    const lf = chunk.lastIndexOf(LF);
    if (lf >= 0 && lf + 1 >= from && chunk.length - lf - 1 < BOM.length) {
      const tail = chunk.subarray(lf + 1);
      if (tail.equals(BOM.subarray(0, tail.length))) {
        end = lf + 1;
        matched = tail.length;
        lineStart = true;
      }
    }
    if (end > from) yield chunk.subarray(from, end);
  }
  if (matched > 0) yield BOM.subarray(0, matched);
}
