/**
 * A text log whose every line ends in the same spaces or tabs (re-saved by an editor, copied from a terminal,
 * `sed 's/$/ /'`) no longer holds its messages as they were sent: the blank line that ends a SIP header section is
 * " ", so no header section ends, and every body line is longer than its Content-Length counted (before, 29 of the
 * corpus ngrep log's 1,834 responses, none of its tcpdump `-A` text's). No SIP message carries trailing whitespace
 * before the CRLF of the line that ends its headers, and no tool prints such a suffix on every line, so when nearly
 * every line of the head ends in one, that suffix (the tail all their whitespace runs share) was added after the
 * fact and is taken off every line that ends in it, before any reader sees the text. Only that suffix: whitespace the
 * line held before (an SDP `s= `) stays, so Content-Length frames as on the wire.
 */

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

/** Lines the head must hold for a verdict: a few lines that end in a space prove nothing. */
const MIN_LINES = 4;
/** Share of the head's lines that must end in whitespace (an editor may leave a line or two alone). */
const MIN_SHARE = 0.95;
/** Bytes of a line without LF held back at most (a suffix at its end is decided when its LF comes). */
const MAX_HELD_BYTES = 64 * 1024;

const isWs = (c: number | undefined): boolean => c === SP || c === HT;

/** Start of the whitespace run that ends the line [ls, lf): before the LF, or before a CR that ends the line. */
const tailStart = (buf: Buffer, ls: number, lf: number): number => {
  let e = lf;
  if (!isWs(buf[e - 1]) && e > ls && buf[e - 1] === CR) e--;
  let s = e;
  while (s > ls && isWs(buf[s - 1])) s--;
  return s;
};

/** End of the whitespace run of the line [ls, lf) (the LF, or its CR). */
const tailEnd = (buf: Buffer, ls: number, lf: number): number =>
  !isWs(buf[lf - 1]) && lf > ls && buf[lf - 1] === CR ? lf - 1 : lf;

/**
 * The suffix added to the lines of a text log, from its head: the longest tail that the whitespace runs ending
 * at least 95 % of its (at least four) whole lines share; undefined when the lines are as their tools wrote them.
 */
export const addedLineSuffix = (head: Uint8Array): Buffer | undefined => {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.length);
  let lines = 0;
  let padded = 0;
  let suffix: Buffer | undefined;
  for (let ls = 0, lf = buf.indexOf(LF); lf >= 0; ls = lf + 1, lf = buf.indexOf(LF, ls)) {
    lines++;
    const e = tailEnd(buf, ls, lf);
    const s = tailStart(buf, ls, lf);
    if (s === e) continue;
    padded++;
    if (suffix === undefined) {
      suffix = buf.subarray(s, e);
      continue;
    }
    // the common tail of the two runs
    let n = 0;
    while (n < suffix.length && n < e - s && suffix[suffix.length - 1 - n] === buf[e - 1 - n]) n++;
    suffix = suffix.subarray(suffix.length - n);
  }
  if (lines < MIN_LINES || padded < lines * MIN_SHARE || suffix === undefined || suffix.length === 0) return undefined;
  return Buffer.from(suffix);
};

/** Whether `suffix` lies in buf just before `at`. */
const endsWith = (buf: Buffer, at: number, from: number, suffix: Buffer): boolean =>
  at - suffix.length >= from && buf.compare(suffix, 0, suffix.length, at - suffix.length, at) === 0;

/**
 * Yields the chunks with `suffix` taken off every line that ends in it (before its LF, or before the CR of its
 * CRLF), and off the last line when the input ends in it. Holds the unfinished line between chunks, so the output
 * is the same however the input is cut.
 */
export async function* stripLineSuffix(chunks: AsyncIterable<Buffer>, suffix: Buffer): AsyncGenerator<Buffer> {
  let held: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const buf = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
    const lastLf = buf.lastIndexOf(LF);
    let keepFrom = lastLf + 1;
    // a line with no LF in sight is let go but for the bytes a suffix (and a CR) could still take
    if (buf.length - keepFrom > MAX_HELD_BYTES) keepFrom = buf.length - suffix.length - 1;
    const out = stripped(buf, 0, keepFrom, suffix, false);
    held = Buffer.from(buf.subarray(keepFrom));
    if (out.length > 0) yield out;
  }
  const last = stripped(held, 0, held.length, suffix, true);
  if (last.length > 0) yield last;
}

/** [from, to) of buf with the suffix taken off each line; with `atEnd`, off the unfinished last line too. */
const stripped = (buf: Buffer, from: number, to: number, suffix: Buffer, atEnd: boolean): Buffer => {
  const parts: Buffer[] = [];
  let copyFrom = from;
  const cut = (end: number): void => {
    parts.push(buf.subarray(copyFrom, end - suffix.length));
    copyFrom = end;
  };
  for (let lf = buf.indexOf(LF, from); lf >= 0 && lf < to; lf = buf.indexOf(LF, lf + 1)) {
    if (endsWith(buf, lf, copyFrom, suffix)) cut(lf);
    else if (buf[lf - 1] === CR && endsWith(buf, lf - 1, copyFrom, suffix)) cut(lf - 1);
  }
  if (atEnd && to > copyFrom) {
    if (endsWith(buf, to, copyFrom, suffix)) cut(to);
    else if (buf[to - 1] === CR && endsWith(buf, to - 1, copyFrom, suffix)) cut(to - 1);
  }
  parts.push(buf.subarray(copyFrom, to));
  return parts.length === 1 ? Buffer.from(parts[0] as Buffer) : Buffer.concat(parts);
};
