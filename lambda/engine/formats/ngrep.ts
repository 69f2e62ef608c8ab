import { endpointIds } from '../endpoint-ids.js';
import { type LogStamp, localStamp } from '../log-stamp.js';
import { payloadMeta, refillMeta } from '../payload-meta.js';
import { quotesPacket } from '../pcap/icmp.js';
import { IPV6_HEADER_BYTES, ipv4HeaderBytes } from '../pcap/ip.js';
import { UDP_HEADER_BYTES } from '../pcap/udp.js';
import { findStartLine } from '../sip-framer.js';
import { isStartLine, parseMessage, parseOptions, startLineKind } from '../sip-message.js';
import type { PayloadMeta, Transport } from '../types.js';
import { undotLfOnly } from './dotted-lf-only.js';
import { ForwardSearch } from './forward-search.js';
import { InternTable } from './intern-table.js';
import { byteSet, hexDigitValue } from './line-bytes.js';
import { findDateTime, lineEndAt, lineText, startsWith } from './line-utils.js';
import { type MatchContext, type MatchResult, MatchSlots, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * ngrep output, in each of its dump modes (ngrep.c, `-W`). Each packet is printed as
 *   "\n" + "U|T|I [timestamp ]src:port -> dst:port[ [flags]][ #n]" + "\n" + payload + "\n"
 * - `-W byline`: the payload keeps its LFs and prints every other non-printable byte (CR among them)
 *   as '.' (dump_byline). So the payload is byte-for-byte as long as on the wire, and it ends
 *   where "\n\n" is followed by the next packet header (or the end of the file).
 * - `-W none`: the payload on one line, LF printed as '.' too (dump_unwrapped).
 * - `-W normal`, ngrep's default: the same dotted payload cut into lines of (columns - 5) bytes, each
 *   after two spaces, the last padded with spaces (dump_formatted).
 * - `-W single`: header and dotted payload on one line (no " #n").
 * A dotted payload is turned back into bytes by undot(). TCP payloads are printed per segment: they are
 * stream segments of their flow.
 */

/**
 * The header; an IP fragment after the first is printed without ports and with ` +id@offset:length` (ngrep does not
 * reassemble fragments): group 6 is its offset. An ICMP packet (`I`) has its type and code after the addresses
 * (`3:3`): group 5 is its type (read after `I` only: a UDP or TCP line never had it). sipgrep (ngrep's SIP-only
 * offspring) prints the same header, with `-N` the protocol number after the kind: `U(17) `.
 */
const HEADER =
  /^([UTI])(?:\(\d{1,3}\))? (?:(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{1,9}) |\+\d+\.\d+ )?(\S+) -> (\S+?)(?: \[[^\]]*\])?(?:(?<=^I(?:\(\d{1,3}\))? .*) (\d+):\d+)?(?: \+\d+@(\d+):\d+)?(?: #\d+)?\s*$/;

/** Payload larger than this (ngrep prints at most one packet) means we lost the block end. */
const MAX_BLOCK_BYTES = 512 * 1024;
const LF = 0x0a;
const CR = 0x0d;

const DOUBLE_LF = Buffer.from('\n\n');
/** The blank line ngrep prints before each packet header, searched within a bound (see progressMarks). */
const BLANK_LINE = new ForwardSearch(DOUBLE_LF);
/**
 * The scans (their MatchContext) that have met a line of '#': ngrep ran without -q, and a block may end at one.
 * ngrep prints a '#' for every packet, the first before the first packet's header, so the line is met before any
 * block that needs it; a quiet log never pays for the search.
 */
const progressMarks = new WeakSet<MatchContext>();
const DOT = 0x2e;
const SP = 0x20;

/** `-W single`: the header's fields, then one space and the payload on the same line. */
const SINGLE_HEADER =
  /^([UTI])(?:\(\d{1,3}\))? (?:(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{1,9}) |\+\d+\.\d+ )?(\S+) -> (\S+?)(?: \[[^\]]*\])?(?:(?<=^I(?:\(\d{1,3}\))? .*) (\d+):\d+)?(?: \+\d+@(\d+):\d+)?(?: #\d+)? /;
/** A single-mode header is short; the regular expression reads no more of the line than this. */
const MAX_SINGLE_HEADER = 300;

/**
 * A payload printed with every non-printable byte as '.' (all modes but byline), back into bytes: in a run of
 * dots, pairs are CR LF (SIP ends every line with CRLF; a header section ends with two), and the first dot of a run
 * of odd length is a dot the text held (a value that ends in '.', then CRLF). Each byte stays one byte, so
 * Content-Length frames the result exactly as it did the wire. What cannot be told apart is read the SIP way: a
 * line ending in LF alone, or a byte beyond ASCII (UTF-8 in a display name prints as two dots), reads as a dot or a
 * CRLF; CSeq and Call-ID are ASCII. A start line is followed by a header, never by a blank line: the run that ends
 * it is its reason phrase's dots (UTF-8, RFC 3261 §25.1: "Occupé", "話し中") and one CRLF.
 * @returns the number of bytes written to into[0, n)
 */
export const undot = (src: Buffer, start: number, end: number, into: Buffer): number => {
  let n = 0;
  let i = start;
  // where the line being written into `into` starts
  let lineStart = 0;
  while (i < end) {
    const c = src[i] ?? 0;
    if (c !== DOT) {
      into[n++] = c;
      i++;
      continue;
    }
    let run = i;
    while (run < end && src[run] === DOT) run++;
    let k = run - i;
    // a run of four or more (a blank line, as CRLF pairs) right after a start line, with more text after it
    const literal = k >= 4 && run < end && startLineKind(into, lineStart, n) !== null ? k - 2 : k % 2;
    into.fill(DOT, n, n + literal);
    n += literal;
    k -= literal;
    if (k > 0) lineStart = n + k;
    for (; k > 0; k -= 2) {
      into[n++] = CR;
      into[n++] = LF;
    }
    i = run;
  }
  return n;
};

/** A dotted payload back into bytes: as an LF-only message when its start line says it is one, else by undot(). */
const undotted = (src: Buffer, start: number, end: number, into: Buffer): number => {
  const n = undotLfOnly(src, start, end, into);
  return n >= 0 ? n : undot(src, start, end, into);
};

/** Where undotted payloads are written (one packet at a time: the framer copies what it keeps). */
let scratch = Buffer.alloc(64 * 1024);
const scratchFor = (n: number): Buffer => {
  if (scratch.length < n) scratch = Buffer.alloc(Math.max(n, 2 * scratch.length));
  return scratch;
};
/** The joined lines of a `-W normal` payload, before undot(). */
let joined = Buffer.alloc(64 * 1024);
/** A TCP segment's dotted bytes after the dots held from the flow's previous one. */
let withHeld = Buffer.alloc(64 * 1024);

/**
 * The dotted payload of a `-W normal` block [a, b): its lines without their two leading spaces and their LFs, the
 * last one's padding dropped, joined into `joined`; -1 when a line does not start with two spaces (not that mode).
 */
const joinNormal = (buf: Buffer, a: number, b: number): number => {
  if (joined.length < b - a) joined = Buffer.alloc(Math.max(b - a, 2 * joined.length));
  let n = 0;
  let p = a;
  while (p < b) {
    if (buf[p] !== SP || buf[p + 1] !== SP) return -1;
    let e = buf.indexOf(LF, p);
    if (e < 0 || e > b) e = b;
    n += buf.copy(joined, n, p + 2, e);
    p = e + 1;
  }
  // the last line is padded to the full width
  while (n > 0 && joined[n - 1] === SP) n--;
  return n;
};

/**
 * `ngrep -x` (dump_formatted with show_hex): each line is two spaces, up to sixteen bytes as hex pairs (eight, three
 * more spaces, eight) and, from a fixed column, the same bytes as text ('.' for the unprintable). Columns of the
 * hex pairs and of the text, and the bytes a line holds; -1 when the line is not such a line (its text column
 * must repeat every byte, so a payload that merely starts with hex-looking letters is never taken for one).
 */
const HEX_COLUMN = (k: number): number => 2 + 3 * k + (k >= 8 ? 3 : 0);
const HEX_TEXT_COLUMN = HEX_COLUMN(15) + 6;
const hexLine = (buf: Buffer, ls: number, le: number, into: Buffer, at: number, cut = false): number => {
  // a row the input's end cut before its first byte's pair ("  ", "  5"): none of its bytes
  if (cut && le - ls < 4) return isHexRowStart(buf, ls, le) ? 0 : -1;
  if (buf[ls] !== SP || buf[ls + 1] !== SP) return -1;
  let k = 0;
  for (; k < 16; k++) {
    const c = ls + HEX_COLUMN(k);
    if (c + 2 > le) break;
    const hi = hexDigitValue(buf[c] ?? 0);
    const lo = hexDigitValue(buf[c + 1] ?? 0);
    if (hi < 0 || lo < 0 || (buf[c + 2] !== SP && !(cut && c + 2 === le))) break;
    into[at + k] = (hi << 4) | lo;
  }
  // `cut`: the input ends inside this line (head -c, a log still being written): its text column as far as it goes
  const shown = cut ? Math.min(k, Math.max(0, le - ls - HEX_TEXT_COLUMN)) : k;
  if (k === 0 || (!cut && le - ls < HEX_TEXT_COLUMN + k)) return -1;
  for (let i = 0; i < shown; i++) {
    const b = into[at + i] ?? 0;
    // ngrep prints isprint() bytes as themselves (the C locale: 0x20-0x7e), the rest as '.'
    if (buf[ls + HEX_TEXT_COLUMN + i] !== (b >= 0x20 && b <= 0x7e ? b : DOT)) return -1;
  }
  return k;
};

/** Whether [ls, le) (under 4 bytes) is how an `ngrep -x` row starts: two spaces, then a hex digit. */
const isHexRowStart = (buf: Buffer, ls: number, le: number): boolean => {
  for (let i = ls; i < le; i++) {
    if (i - ls < 2 ? buf[i] !== SP : hexDigitValue(buf[i] ?? 0) < 0) return false;
  }
  return le > ls;
};

/**
 * The bytes of an `ngrep -x` payload [a, b), into the scratch buffer; -1 when it is not one. `cut`: the input ends at
 * b, so its last line may stop anywhere.
 */
const readHexPayload = (buf: Buffer, a: number, b: number, cut = false): number => {
  const into = scratchFor(b - a);
  let n = 0;
  let p = a;
  while (p < b) {
    let e = buf.indexOf(LF, p);
    if (e < 0 || e > b) e = b;
    const got = hexLine(buf, p, e, into, n, cut && e === b);
    // every line but the last holds sixteen bytes
    if (got < 0 || (got < 16 && e + 1 < b)) return -1;
    n += got;
    p = e + 1;
  }
  return n;
};

/**
 * The LF that ends the last line of a `-W normal` or `-x` payload that starts at `a` when a line without its two
 * leading spaces follows it before `b`; -1 when [a, b) is not such a payload or all of it is. The lines before must
 * read as that mode does (hex rows, or rows padded to one width), and the line after must be one that follows ngrep's
 * packets (its "exit", a '#' line, a run's preamble, a header of some log), so that a byline TCP segment that starts
 * inside an indented body is never cut.
 */
const indentedPayloadEnd = (buf: Buffer, a: number, b: number, ctx: MatchContext): number => {
  if (buf[a] !== SP || buf[a + 1] !== SP) return -1;
  let width = -1;
  for (let p = a; p < b; ) {
    let e = buf.indexOf(LF, p);
    if (e < 0 || e > b) e = b;
    if (buf[p] !== SP || buf[p + 1] !== SP) {
      // p > a: the first line has them; the rows before are the payload if they read as one mode
      const follows =
        isExitLine(buf, p, e) ||
        isProgressLine(buf, p, e) ||
        PREAMBLE.test(lineText(buf, p, e)) ||
        ctx.isHeaderLine(buf, p, e);
      // rows of one width (default mode), else hex rows (-x, whose last row is shorter), read only then
      return follows && (width > 0 || readHexPayload(buf, a, p - 1) >= 0) ? p - 1 : -1;
    }
    if (width < 0) width = e - p;
    else if (e - p !== width) width = 0;
    p = e + 1;
  }
  return -1;
};

/** Whether [a, b) holds no LF and at least one "..": a `-W none` payload (a byline one keeps its LFs). */
const isUnwrapped = (buf: Buffer, a: number, b: number): boolean => {
  let pair = false;
  for (let i = a; i < b; i++) {
    const c = buf[i];
    if (c === LF) return false;
    if (c === DOT && buf[i + 1] === DOT && i + 1 < b) pair = true;
  }
  return pair;
};

/** "\n#": where a progress line may start (ngrep without -q prints a '#' per packet). */
const HASH_LINE = new ForwardSearch(Buffer.from('\n#', 'latin1'));
const HASH = 0x23;

/** Whether [ls, le) is a line of '#' only (ngrep's progress marks, one per packet seen). */
const isProgressLine = (buf: Buffer, ls: number, le: number): boolean => {
  if (le <= ls) return false;
  for (let i = ls; i < le; i++) if (buf[i] !== HASH) return false;
  return true;
};

/** ngrep's last line without -q. */
const EXIT_LINE = Buffer.from('exit', 'latin1');
/**
 * `end`, or where ngrep's closing "exit" line starts when [from, end) ends with it (a run without -q). The '#' marks of
 * packets it did not print (a bare ACK) stand on the same line when no packet was printed after them: "##exit".
 */
const endsWithExit = (buf: Buffer, from: number, end: number): number => {
  const e = end > from && buf[end - 1] === LF ? end - 1 : end;
  let at = e - EXIT_LINE.length;
  if (at < from || !buf.subarray(at, e).equals(EXIT_LINE)) return end;
  while (at > from && buf[at - 1] === HASH) at--;
  return at > from && buf[at - 1] === LF ? at : end;
};

/** Whether [ls, le) is ngrep's "exit" line, after the '#' marks of packets it did not print. */
const isExitLine = (buf: Buffer, ls: number, le: number): boolean => {
  let at = ls;
  while (at < le && buf[at] === HASH) at++;
  return le - at === EXIT_LINE.length && buf.subarray(at, le).equals(EXIT_LINE);
};

/** What ngrep prints after "exit" when it stops: `N received, M dropped` (a live capture) and `N received, M matched`. */
const EXIT_COUNTS = /^\d+ received, \d+ (?:dropped|matched)\s*$/;

/**
 * Past ngrep's "exit" line, whose LF is at `le`, and the count lines after it: where the next log's text starts. At the
 * end of the input (`final`) a count line needs no LF.
 */
const afterExit = (buf: Buffer, le: number, end: number, final: boolean): number => {
  let next = Math.min(le + 1, end);
  for (;;) {
    let e = lineEndAt(buf, next, end);
    if (e < 0 && final && next < end) e = end;
    if (e < 0 || !EXIT_COUNTS.test(lineText(buf, next, e))) return next;
    next = Math.min(e + 1, end);
  }
};

/** Whether what follows ngrep's "exit" line (its LF at `le`) is the input's end, its counts, another run or another log. */
const textAfterExit = (buf: Buffer, le: number, end: number, ctx: MatchContext): boolean => {
  const n = le + 1;
  if (n >= end) return ctx.final;
  const ne = lineEndAt(buf, n, end);
  const e = ne < 0 ? end : ne;
  const text = lineText(buf, n, e);
  return EXIT_COUNTS.test(text) || PREAMBLE.test(text) || ctx.isHeaderLine(buf, n, e);
};

/** The LF before the first whole progress line that starts in (from, to], or -1. */
const progressLine = (buf: Buffer, from: number, to: number, end: number): number => {
  let i = HASH_LINE.find(buf, from, to + 2);
  while (i >= 0) {
    // a progress line cut by the end of the bytes at hand is all '#' so far: more '#' is all that can follow
    let lf = buf.indexOf(LF, i + 1);
    if (lf < 0 || lf > end) lf = end;
    if (isProgressLine(buf, i + 1, lf)) return i;
    i = HASH_LINE.find(buf, i + 1, to + 2);
  }
  return -1;
};

/** Offset of " -> " in the line, or -1. */
const lineArrow = (buf: Buffer, ls: number, lf: number): number => {
  for (let i = ls + 2; i + 4 <= lf; i++) {
    if (buf[i] === 0x20 && buf[i + 1] === 0x2d && buf[i + 2] === 0x3e && buf[i + 3] === 0x20) return i;
  }
  return -1;
};

/** A header is short: its arrow lies this close to the line start (a `-W single` line goes on with the payload). */
const MAX_ARROW_OFFSET = 200;

/** A packet header line (cheap test; match() checks the full syntax). */
const isPacketHeader = (buf: Buffer, ls: number, lf: number): boolean => {
  const k = buf[ls];
  return (
    (k === 0x55 || k === 0x54 || k === 0x49) &&
    (buf[ls + 1] === 0x20 || buf[ls + 1] === OPEN_PAREN) &&
    lineArrow(buf, ls, Math.min(lf, ls + MAX_ARROW_OFFSET)) >= 0
  );
};

const OPEN_PAREN = 0x28;
const ESC = 0x1b;
const OPEN_BRACKET = 0x5b;

/** Where an ANSI colour code (SGR: ESC '[' digits and ';' 'm') at i ends, or -1 when none starts there. */
const sgrEnd = (buf: Buffer, i: number, end: number): number => {
  if (buf[i] !== ESC || buf[i + 1] !== OPEN_BRACKET) return -1;
  let p = i + 2;
  while (p < end && (((buf[p] ?? 0) >= 0x30 && (buf[p] ?? 0) <= 0x39) || buf[p] === 0x3b)) p++;
  return p < end && buf[p] === 0x6d /* m */ ? p + 1 : -1;
};

/** [a, b) of `buf` without its ANSI colour codes, into `into` (large enough); returns the bytes written. */
const withoutColours = (buf: Buffer, a: number, b: number, into: Buffer): number => {
  let n = 0;
  for (let i = a; i < b; ) {
    const e = buf[i] === ESC ? sgrEnd(buf, i, b) : -1;
    if (e >= 0) i = e;
    else into[n++] = buf[i++] ?? 0;
  }
  return n;
};

/** A payload of sipgrep's default output without the colours it puts inside lines (one packet at a time). */
let uncoloured = Buffer.alloc(64 * 1024);
/** The line after a header, colours taken out, to be asked whether it is a start line (grown as lines need). */
let firstLine = Buffer.alloc(512);

/**
 * Where the payload of a packet whose header ends at `lf` starts when sipgrep printed it: sipgrep (2.1, ngrep's code
 * with SIP parsing) puts a line between the header and the payload, empty for UDP and the TCP flags (` [AP]`) for TCP,
 * where ngrep puts the payload right after the header (and the flags on it). Only a header without ngrep's packet
 * number (` #12`, which ngrep prints with or without -q and sipgrep never does) can be sipgrep's: an ngrep datagram
 * whose payload starts with a bare LF looks the same. An empty line is sipgrep's only when a start line follows it
 * (ngrep prints a packet with no payload as an empty line too). Colours (sipgrep's default) are looked through. -1
 * when the packet is not printed so; NEED_MORE_AT when the lines are not all there yet.
 */
const sipgrepPayloadStart = (buf: Buffer, ls: number, lf: number, end: number, final: boolean): number => {
  if (hasPacketNumber(buf, ls, lf)) return -1;
  const p = lf + 1;
  if (p >= end) return final ? -1 : NEED_MORE_AT;
  const e = buf.indexOf(LF, p);
  if (e < 0 || e >= end) return final ? -1 : NEED_MORE_AT;
  if (buf[p] === SP && buf[p + 1] === OPEN_BRACKET && buf[e - 1] === 0x5d /* ] */ && e - p <= 12) {
    for (let i = p + 2; i < e - 1; i++) if ((buf[i] ?? 0) < 0x41 || (buf[i] ?? 0) > 0x5a) return -1;
    return e + 1;
  }
  if (e !== p) return -1;
  const s = e + 1;
  const se = buf.indexOf(LF, s);
  if (se < 0 || se >= end) return final ? -1 : NEED_MORE_AT;
  if (firstLine.length < se - s) firstLine = Buffer.alloc(Math.max(se - s, 2 * firstLine.length));
  const n = withoutColours(buf, s, se, firstLine);
  return isStartLine(firstLine, 0, n, true) ? s : -1;
};
const NEED_MORE_AT = -2;

/** Whether the header line [ls, lf) ends in ngrep's packet number (` #12`). */
const hasPacketNumber = (buf: Buffer, ls: number, lf: number): boolean => {
  let e = lf > ls && buf[lf - 1] === CR ? lf - 1 : lf;
  while (e > ls && (buf[e - 1] === SP || buf[e - 1] === 0x09)) e--;
  let d = e;
  while (d > ls && (buf[d - 1] ?? 0) >= 0x30 && (buf[d - 1] ?? 0) <= 0x39) d--;
  return d < e && d - 2 >= ls && buf[d - 1] === HASH && buf[d - 2] === SP;
};

/**
 * Where the next line starts when the header line [ls, lf) ends in a space and the next line is a packet header (an
 * empty `-W single` packet); 0 when it is not one, -1 when the next line is not all there yet.
 */
const emptySinglePacket = (buf: Buffer, ls: number, lf: number, end: number, final: boolean): number => {
  let le = lf > ls && buf[lf - 1] === CR ? lf - 1 : lf;
  // without -q, ngrep's progress marks ('#' per packet) follow on the same line
  while (le > ls && buf[le - 1] === HASH) le--;
  if (le <= ls || buf[le - 1] !== SP || le - ls > MAX_SINGLE_HEADER || !isPacketHeader(buf, ls, le)) return 0;
  const n = lf + 1;
  if (n >= end) return final ? 0 : -1;
  const ne = buf.indexOf(LF, n);
  if ((ne < 0 || ne >= end) && !final) return -1;
  return isPacketHeader(buf, n, ne < 0 || ne >= end ? end : ne) ? n : 0;
};

/** The lines ngrep prints before the first packet (ngrep.c main): a second ngrep run starts with them. */
const PREAMBLE = /^(?:interface|input|filter|match): /;

/** A byline payload read as a stream (a body that goes on past the end is 'incomplete'), CR printed as '.'. */
const WHOLE_OPTS = parseOptions({ dotCR: true, complete: false, identity: 'none' });
/** Messages in one packet looked at, at most (a datagram holds one, a TCP segment a few). */
const MAX_WHOLE_MESSAGES = 64;

/**
 * Where the whole SIP messages of a byline payload [start, limit) end, framed by their Content-Length (called once per
 * packet that needs it, however many blank lines its payload has). A payload whose messages end where ngrep's blank
 * lines begin is complete there: a line after them that is not the next packet's header belongs to no packet
 * (another program's line written into the same file, another log after the last packet), where the blank line of a
 * message with bare LFs would have its body go on.
 */
const messageEnds = (buf: Buffer, start: number, limit: number): number[] => {
  const ends: number[] = [];
  let pos = start;
  for (let i = 0; i < MAX_WHOLE_MESSAGES && pos < limit; i++) {
    const o = parseMessage(buf, pos, limit, WHOLE_OPTS);
    if (o.kind !== 'message') break;
    pos = o.end;
    ends.push(pos);
  }
  return ends;
};

const TRANSPORT: Readonly<Record<string, Transport>> = { U: 'udp', T: 'tcp', I: 'unknown' };

/**
 * The scans (their MatchContext) whose ngrep log has lost its blank lines (`grep -v '^$'`, `sed '/^$/d'`): a packet
 * header follows the last payload line directly. Found when a block has no blank line before its limit or the end of
 * the input but a header line within it; from then on each block ends at the next header line. A log with its blank
 * lines never pays for the line search.
 */
const blanklessScans = new WeakSet<MatchContext>();

/**
 * Where the first packet header line after `from` (a line start in (from, limit)) starts; -1 when none does, NEED_MORE_AT
 * when a line is cut by the end of the bytes at hand before one is found.
 */
const nextHeaderLine = (buf: Buffer, from: number, limit: number, end: number, final: boolean): number => {
  let lf = buf.indexOf(LF, from);
  while (lf >= 0 && lf + 1 < limit) {
    const h = lf + 1;
    const k = buf[h];
    lf = buf.indexOf(LF, h);
    if (k !== 0x55 && k !== 0x54 && k !== 0x49) continue;
    if (lf < 0 && !final) return NEED_MORE_AT;
    if (isPacketHeader(buf, h, lf < 0 ? end : lf)) return h;
  }
  return lf < 0 && !final ? NEED_MORE_AT : -1;
};

/**
 * Whether the LF at `lf` is the payload's own last byte: a whole message of the payload [payloadStart, lf] ends right
 * after it. ngrep prints an LF after every payload; where the blank line that follows is gone (or a '#' line follows
 * at once), that LF and a payload's own last LF look alike. A payload that ends mid-line (a TCP segment's cut, after
 * a CR or a literal '.' alike) is no whole message there, nor is a dotted mode's payload, which holds no LF. A
 * segment that goes on with a message begun before it is framed from its first start line.
 */
const ownLastLf = (buf: Buffer, payloadStart: number, lf: number): boolean => {
  if (lf < payloadStart) return false;
  // sipgrep's colours hide the lines from the parser: a line that ends as a SIP line does, CR LF, is taken for its end
  if (buf.subarray(payloadStart, lf).indexOf(ESC) >= 0) return buf[lf - 1] === DOT;
  // a TCP segment that goes on with a message begun before it: its messages are framed from its first start line
  const first = findStartLine(buf, payloadStart, lf + 1, true);
  // none to frame (a message's middle): a line that ends as a SIP line does
  if (first > lf) return buf[lf - 1] === DOT;
  return messageEnds(buf, first, lf + 1).includes(lf + 1);
};

/**
 * The scans whose log has shown a block ending in a blank line, as ngrep prints every payload that ends in an LF: in
 * such a log an LF with no blank line after it is ngrep's, never the payload's.
 */
const blankLineScans = new WeakSet<MatchContext>();

/**
 * The end of a payload followed by a '#' line whose LF before is at `hash`. ngrep prints the payload, its own LF and
 * then the '#' line: after a blank line the LF at `hash` is ngrep's; in a log whose blank lines were taken out it is
 * the payload's when a message ends with it.
 */
const hashPayloadEnd = (buf: Buffer, payloadStart: number, hash: number, ctx: MatchContext): number => {
  if (buf[hash - 1] === LF) {
    blankLineScans.add(ctx);
    return hash;
  }
  return !blankLineScans.has(ctx) && ownLastLf(buf, payloadStart, hash) ? hash + 1 : hash;
};

/**
 * The end of a payload whose next packet header (at h) follows it with no blank line: its last LF (h - 1) is its own
 * when a message ends with it, else the LF ngrep printed after a payload that ended mid-line (a TCP segment's cut).
 */
const blanklessPayloadEnd = (buf: Buffer, payloadStart: number, h: number): number => {
  // a blank line left before this header after all: ngrep's two LFs, as where the blank lines are kept
  if (buf[h - 2] === LF) return Math.max(payloadStart, h - 2);
  return Math.max(payloadStart, ownLastLf(buf, payloadStart, h - 1) ? h : h - 1);
};

/**
 * ngrep prints a UDP or TCP endpoint as `ip:port` and an IPv6 one without brackets (`2001:db8::1:5060`), which is
 * itself a valid IPv6 address: bracket it here, where the port is known to be last (`[2001:db8::1]:5060`).
 * ICMP (`I`) endpoints have no port.
 */
const withPort = (kind: string, endpoint: string): string => {
  if (kind === 'I' || endpoint.indexOf(':') === endpoint.lastIndexOf(':')) return endpoint;
  const colon = endpoint.lastIndexOf(':');
  return `[${endpoint.slice(0, colon)}]${endpoint.slice(colon)}`;
};

const KINDS: Readonly<Record<number, string>> = { 85: 'U', 84: 'T', 73: 'I' };

/** Bytes of the addresses the plain header shape takes: letters, digits, '.' and ':' (IPv4, IPv6, ports). */
const ADDRESS_BYTE = byteSet('0123456789.:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ');

/** The address tokens of the last plainHeader() line (one line is read at a time). */
const plain = { srcStart: 0, srcEnd: 0, dstStart: 0, dstEnd: 0 };

/** End of the address token at `p` (address bytes only), or p when there is none. */
const addressEnd = (buf: Buffer, p: number, le: number): number => {
  let e = p;
  while (e < le && ADDRESS_BYTE[buf[e] ?? 0] === 1) e++;
  return e;
};

/**
 * Whether [ls, lf) has the shape ngrep prints without -t: "K src -> dst[ [flags]][ #n]", single
 * spaces, addresses of address bytes, nothing after. HEADER would match it with src and dst as
 * these tokens and no time (neither can be a timestamp: no '/' or '+'); every other line goes to
 * HEADER itself.
 */
const plainHeader = (buf: Buffer, ls: number, lf: number): boolean => {
  const le = lf > ls && buf[lf - 1] === CR ? lf - 1 : lf;
  const k = buf[ls];
  if ((k !== 0x55 && k !== 0x54 && k !== 0x49) || buf[ls + 1] !== 0x20) return false;
  const srcEnd = addressEnd(buf, ls + 2, le);
  if (srcEnd === ls + 2 || !startsWith(buf, srcEnd, le, ' -> ')) return false;
  const dstStart = srcEnd + 4;
  const dstEnd = addressEnd(buf, dstStart, le);
  if (dstEnd === dstStart) return false;
  let p = dstEnd;
  if (startsWith(buf, p, le, ' [')) {
    // A bounded loop, not indexOf: indexOf would search past the line to the end of the buffer, so a
    // buffer of lines that open "[" and never close it costs a whole-buffer search per line (quadratic).
    let close = p + 2;
    while (close < le && buf[close] !== 0x5d) close++;
    if (close >= le) return false;
    p = close + 1;
  }
  if (startsWith(buf, p, le, ' #')) {
    let d = p + 2;
    while (d < le && (buf[d] ?? 0) >= 0x30 && (buf[d] ?? 0) <= 0x39) d++;
    if (d === p + 2) return false;
    p = d;
  }
  if (p !== le) return false;
  plain.srcStart = ls + 2;
  plain.srcEnd = srcEnd;
  plain.dstStart = dstStart;
  plain.dstEnd = dstEnd;
  return true;
};

/** Endpoints by their bytes and the packet kind (withPort depends on it): one string per distinct endpoint. */
const endpoints = new InternTable(undefined, endpointIds);
/** The reader's answers, and the meta of a UDP packet's, refilled (text-format.ts MatchSlots). */
const slots = new MatchSlots('ngrep');

const endpointAt = (buf: Buffer, ls: number, a: number, b: number): string =>
  endpoints.find(buf, a, b, ls, ls + 1) ??
  endpoints.store(buf, a, b, ls, ls + 1, withPort(KINDS[buf[ls] ?? 0] ?? 'U', buf.toString('latin1', a, b)));

/**
 * sipgrep's note of a message it could not parse (a capture the snaplen cut): `BAD M:[` + the captured payload as it
 * is (CRLFs kept) + `]`, with no header line (no addresses, no time). sipgrep.c prints it for each such packet.
 */
const BAD_MESSAGE = 'BAD M:[';
const CLOSE_LF = Buffer.from(']\n', 'latin1');

/**
 * The end of a `BAD M:[` entry whose payload starts at `start`: the `]` of a "]\n" after which the input ends or
 * another entry, a packet header or a blank line starts (a payload may hold "]\n" itself: an IPv6 Via at a line's
 * end). -1 when the bytes at hand do not tell yet.
 */
const badMessageEnd = (buf: Buffer, start: number, end: number, final: boolean): number => {
  const limit = Math.min(end, start + MAX_BLOCK_BYTES);
  let c = buf.indexOf(CLOSE_LF, start);
  while (c >= 0 && c < limit) {
    const h = c + 2;
    if (h >= end) return final ? c : -1;
    const hl = buf.indexOf(LF, h);
    if (hl < 0 && !final) return -1;
    const he = hl < 0 ? end : hl;
    if (he === h || startsWith(buf, h, he, BAD_MESSAGE) || isPacketHeader(buf, h, he)) return c;
    c = buf.indexOf(CLOSE_LF, h - 1);
  }
  if (end - start > MAX_BLOCK_BYTES || final) return Math.max(start, (final ? end : limit) - 1);
  return -1;
};

/** A `BAD M:[...]` entry at ls: its payload read as a cut message of unknown addresses. */
const badMessage = (buf: Buffer, ls: number, end: number, final: boolean): MatchResult => {
  const start = ls + BAD_MESSAGE.length;
  const close = badMessageEnd(buf, start, end, final);
  if (close < 0) return NEED_MORE;
  const next = Math.min(close + 2, end);
  const meta = refillMeta(slots.meta, 'unknown', undefined, undefined, undefined, undefined);
  return slots.payload('datagram', meta, next, buf, start, buf[close] === 0x5d ? close : close + 1, false);
};

export const ngrepReader: TextFormatReader = {
  format: 'ngrep',
  firstBytes: 'UTI#B',
  lineStarts: ['U ', 'T ', 'I ', '#', 'U(', 'T(', 'I(', 'BA'],
  printsPackets: true,
  // cheap: the scanner asks this for every candidate block end; match() checks the full syntax
  isHeader: (buf, ls, lf) =>
    isPacketHeader(buf, ls, lf) || isProgressLine(buf, ls, lf) || startsWith(buf, ls, lf, BAD_MESSAGE),
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    if (buf[ls] === HASH) {
      if (!isProgressLine(buf, ls, lf)) return null;
      progressMarks.add(ctx);
      return slots.skip(Math.min(lf + 1, end));
    }
    if (buf[ls] === 0x42) return startsWith(buf, ls, lf, BAD_MESSAGE) ? badMessage(buf, ls, end, ctx.final) : null;
    if (buf[ls + 1] !== 0x20 && buf[ls + 1] !== OPEN_PAREN) return null;
    let kind: string;
    let src: string;
    let dst: string;
    // the names' numbers when the interned path read them (the regex path leaves them to the counting side)
    let srcId: number | undefined;
    let dstId: number | undefined;
    let stamp: LogStamp | undefined;
    let laterFragment = false;
    let icmpType: number | undefined;
    if (plainHeader(buf, ls, lf)) {
      kind = KINDS[buf[ls] ?? 0] ?? 'U';
      src = endpointAt(buf, ls, plain.srcStart, plain.srcEnd);
      srcId = endpoints.lastId;
      dst = endpointAt(buf, ls, plain.dstStart, plain.dstEnd);
      dstId = endpoints.lastId;
    } else {
      // a header is short: a longer line can only be a -W single packet (no string of all of it)
      // `-e -W single`: an empty packet (a TCP SYN, ACK or FIN) is its header and the space before a payload it does
      // not have (then, without -q, ngrep's '#' marks), with the next packet's line right after it; a byline or
      // normal header ends in its packet number or its flags and is followed by its payload or a blank line
      const empty = emptySinglePacket(buf, ls, lf, end, ctx.final);
      if (empty !== 0) return empty < 0 ? NEED_MORE : slots.skip(empty);
      const m = lf - ls <= MAX_SINGLE_HEADER ? HEADER.exec(lineText(buf, ls, lf)) : null;
      if (!m) return singleLine(buf, ls, lf, end, ctx);
      kind = m[1] ?? 'U';
      src = withPort(kind, m[3] ?? '');
      dst = withPort(kind, m[4] ?? '');
      // -t prints local time (ngrep.c: localtime)
      stamp = m[2] ? localStamp(findDateTime(m[2])) : undefined;
      laterFragment = Number(m[6] ?? 0) > 0;
      icmpType = m[5] !== undefined ? Number(m[5]) : undefined;
    }
    // sipgrep's line between the header and the payload
    const sipgrep = sipgrepPayloadStart(buf, ls, lf, end, ctx.final);
    if (sipgrep === NEED_MORE_AT) return NEED_MORE;
    const payloadStart = sipgrep >= 0 ? sipgrep : Math.min(lf + 1, end);

    // find "\n\n" + header, or "\n" + end of input
    let payloadEnd = -1;
    let next = -1;
    let from = payloadStart > 0 ? payloadStart - 1 : 0;
    // the block is cut at a fixed distance from its start, not where the bytes at hand end
    const blockLimit = payloadStart + MAX_BLOCK_BYTES;
    // where the payload's whole messages end, once a candidate end needs it (messageEnds)
    let ends: number[] | undefined;
    // both searches stop at the block's limit: -W normal and -x without -q have no blank line anywhere, and an
    // unbounded search from every block would read the rest of the buffer each time
    const limit = Math.min(end, blockLimit);
    // in a log whose blank lines were taken out the block ends at the next header line (searched once per block)
    let header = blanklessScans.has(ctx) ? nextHeaderLine(buf, from, limit, end, ctx.final) : -1;
    if (header === NEED_MORE_AT) {
      if (end <= blockLimit) return NEED_MORE;
      header = -1;
    }
    for (;;) {
      if (header >= 0) {
        payloadEnd = blanklessPayloadEnd(buf, payloadStart, header);
        next = header;
        break;
      }
      const marks = progressMarks.has(ctx);
      const c = marks ? BLANK_LINE.find(buf, from, limit + 2) : buf.indexOf(DOUBLE_LF, from);
      // without -q a line of '#' comes between packets: "\n#\n" ends a block that has no blank line after it
      const hash = marks ? progressLine(buf, Math.max(from, payloadStart - 1), c < 0 ? limit : c, end) : -1;
      if (hash >= 0) {
        payloadEnd = Math.max(hashPayloadEnd(buf, payloadStart, hash, ctx), payloadStart);
        next = hash + 1;
        break;
      }
      if (c < 0 || c + 1 >= end || c >= blockLimit) {
        // no blank line ends the block: a log whose blank lines were taken out has the next header right after it
        if (!blanklessScans.has(ctx)) {
          header = nextHeaderLine(buf, payloadStart > 0 ? payloadStart - 1 : 0, limit, end, ctx.final);
          if (header >= 0) {
            blanklessScans.add(ctx);
            continue;
          }
        }
        if (end > blockLimit) {
          payloadEnd = blockLimit;
          next = blockLimit;
          break;
        }
        if (!ctx.final) return NEED_MORE;
        // end of input: the payload is followed by one "\n" (and without -q by ngrep's last line, "exit")
        const last = endsWithExit(buf, payloadStart, end);
        // ngrep's LF, unless the blank lines were taken out and a message ends with it
        const ngrepLf =
          last > payloadStart &&
          buf[last - 1] === LF &&
          (buf[last - 2] === LF || blankLineScans.has(ctx) || !ownLastLf(buf, payloadStart, last - 1));
        payloadEnd = ngrepLf ? last - 1 : last;
        next = end;
        break;
      }
      if (c < payloadStart - 1) {
        from = c + 1;
        continue;
      }
      const h = c + 2;
      if (h >= end) {
        if (!ctx.final) return NEED_MORE;
        // input ends with payload-LF + ngrep's trailing LF
        payloadEnd = Math.max(c + 1, payloadStart);
        next = end;
        break;
      }
      const hl = lineEndAt(buf, h, end);
      if (hl < 0 && !ctx.final) return NEED_MORE;
      const he = hl < 0 ? end : hl;
      if (isPacketHeader(buf, h, he)) {
        // "\n\n" = ngrep's LF after the payload + the LF that opens the next packet
        blankLineScans.add(ctx);
        payloadEnd = Math.max(c, payloadStart);
        next = h;
        break;
      }
      const exit = isExitLine(buf, h, he);
      if (exit && !textAfterExit(buf, he, end, ctx)) {
        // nor do the payload's messages end at the blank line: a body line "exit" inside a message
        ends ??= messageEnds(buf, payloadStart, Math.min(end, blockLimit));
        if (!ends.includes(c + 1) && !ends.includes(c)) {
          from = c + 1;
          continue;
        }
      }
      if (exit || ctx.isHeaderLine(buf, h, he) || PREAMBLE.test(lineText(buf, h, he))) {
        // another log (or another ngrep run, or the '#' line without -q) follows, or ngrep's "exit" with whatever was
        // written after it (its counts, the next run's text, another log): "\n\n" = the payload's own LF + ngrep's LF
        blankLineScans.add(ctx);
        payloadEnd = Math.max(c + 1, payloadStart);
        next = exit ? afterExit(buf, he, end, ctx.final) : h;
        break;
      }
      // a line of no log format after the blank lines: this packet ends there if its messages do, unless the line
      // starts a message (the rest of a datagram, or of a TCP stream: the framer's to read) or is ngrep's last
      if (he > h && c + 1 > payloadStart && !isStartLine(buf, h, he, true)) {
        ends ??= messageEnds(buf, payloadStart, Math.min(end, blockLimit));
        if (ends.includes(c + 1)) payloadEnd = c + 1;
        else if (ends.includes(c)) payloadEnd = c;
        if (payloadEnd >= 0) {
          next = h;
          break;
        }
      }
      from = c + 1;
    }
    // -W normal and -x print every payload line after two spaces: the first line without them (ngrep's "exit" and
    // counts, the next run's preamble, another log) is not this packet's
    const indented = indentedPayloadEnd(buf, payloadStart, payloadEnd, ctx);
    if (indented >= 0) {
      payloadEnd = indented;
      const le = lineEndAt(buf, indented + 1, end);
      next = isExitLine(buf, indented + 1, le < 0 ? end : le)
        ? afterExit(buf, le < 0 ? end : le, end, ctx.final)
        : indented + 1;
    }
    // the rest of a fragmented datagram, whose first fragment was read as a datagram of its own (cut short)
    if (laterFragment) return slots.skip(next, 'ip-fragment-incomplete');
    const meta = metaOf(kind, src, dst, stamp, srcId, dstId);
    const r = blockPayload(kind, meta, next, buf, payloadStart, payloadEnd, ctx);
    return icmpType === undefined ? r : quotedDatagram(r, icmpType, src, dst);
  },
};

/** A block's payload [payloadStart, payloadEnd), in whichever mode ngrep printed it. */
const blockPayload = (
  kind: string,
  meta: PayloadMeta,
  next: number,
  printed: Buffer,
  printedStart: number,
  printedEnd: number,
  ctx: MatchContext,
): MatchResult => {
  let buf = printed;
  let payloadStart = printedStart;
  let payloadEnd = printedEnd;
  // sipgrep's default output colours the start line, the branch, the tags and the Call-ID inside their lines (an ESC
  // that starts no colour code stays, as any byte); searched within the payload only: indexOf from payloadStart
  // would read on to the buffer's end for every packet
  if (printed.subarray(printedStart, printedEnd).indexOf(ESC) >= 0) {
    if (uncoloured.length < printedEnd - printedStart)
      uncoloured = Buffer.alloc(Math.max(printedEnd - printedStart, 2 * uncoloured.length));
    buf = uncoloured;
    payloadStart = 0;
    payloadEnd = withoutColours(printed, printedStart, printedEnd, uncoloured);
  }
  if (buf[payloadStart] === SP && buf[payloadStart + 1] === SP) {
    // -x: the bytes themselves; a last row the input's end cut (no LF after it) as far as it goes
    const cut = ctx.final && printedEnd >= next && printed[printedEnd - 1] !== LF;
    const bytes = readHexPayload(buf, payloadStart, payloadEnd, cut);
    if (bytes >= 0) return payloadResult(kind, meta, next, scratch, 0, bytes, false);
    // -W normal (a byline payload starts with its start line, never with white space)
    const n = joinNormal(buf, payloadStart, payloadEnd);
    if (n >= 0) return dotted(kind, meta, next, joined, 0, n, ctx);
  }
  // at the end of input the block keeps the LF ngrep printed after the line
  const lineEnd = payloadEnd > payloadStart && buf[payloadEnd - 1] === LF ? payloadEnd - 1 : payloadEnd;
  if (isUnwrapped(buf, payloadStart, lineEnd)) return dotted(kind, meta, next, buf, payloadStart, lineEnd, ctx);
  return payloadResult(kind, meta, next, buf, payloadStart, payloadEnd, true);
};

/** ngrep prints an ICMP packet's data from its fifth byte: the rest of the ICMP header, then what it quotes. */
const ICMP_HEADER_REST = 4;

/**
 * An ICMP packet's answer: the UDP datagram an ICMP error quotes, when a SIP message starts it, as a quoted datagram
 * (counted as tshark counts it: pcap/icmp.ts); any other ICMP packet holds no SIP. Every mode prints one character
 * per byte (a payload of dots is undotted byte for byte), so the quoted packet's headers are skipped by their
 * lengths: the IPv4 header's IHL from its first byte (printable, 'E' to 'O'), IPv6's 40 bytes, UDP's 8. The quoted
 * packet came from the host the error is sent to and went to the one that sends it; ngrep prints no ports for ICMP.
 */
const quotedDatagram = (r: MatchResult, icmpType: number, src: string, dst: string): MatchResult => {
  if (r === null || r === NEED_MORE || r.kind !== 'datagram') return r;
  const ipv6 = src.includes(':');
  const skip = slots.skip(r.next);
  if (!quotesPacket(ipv6 ? 6 : 4, icmpType)) return skip;
  const b = r.payloadBuf;
  const first = b[r.payloadStart + ICMP_HEADER_REST] ?? 0;
  const ipBytes = ipv6 ? (first >> 4 === 6 ? IPV6_HEADER_BYTES : 0) : ipv4HeaderBytes(first);
  if (ipBytes === 0) return skip;
  const at = r.payloadStart + ICMP_HEADER_REST + ipBytes + UDP_HEADER_BYTES;
  const e = r.payloadEnd;
  if (at >= e) return skip;
  const lf = b.indexOf(LF, at);
  if (!isStartLine(b, at, lf < 0 || lf > e ? e : lf, r.dotCR)) return skip;
  const meta = refillMeta(slots.meta, 'udp', dst, src, undefined, r.meta.stamp);
  return slots.payload('datagram', meta, r.next, b, at, e, r.dotCR, undefined, true);
};

/**
 * A packet's meta: a UDP (or ICMP) packet's is framed before the next match and refills the reader's one; a TCP
 * segment's gets its own, since the framer keeps it with the bytes it holds of the flow.
 */
const metaOf = (
  kind: string,
  src: string,
  dst: string,
  stamp: LogStamp | undefined,
  srcId?: number,
  dstId?: number,
): PayloadMeta => {
  const transport = TRANSPORT[kind] ?? 'unknown';
  if (kind === 'T') return payloadMeta(transport, src, dst, undefined, stamp, srcId, dstId);
  return refillMeta(slots.meta, transport, src, dst, undefined, stamp, srcId, dstId);
};

/** The reader's answer for a payload [start, end) of `payloadBuf` (as bytes, or with CR printed as '.'). */
const payloadResult = (
  kind: string,
  meta: PayloadMeta,
  next: number,
  payloadBuf: Buffer,
  payloadStart: number,
  payloadEnd: number,
  dotCR: boolean,
): MatchResult => {
  if (kind === 'T') {
    const flow = `${meta.src}>${meta.dst}`;
    return slots.payload('stream', meta, next, payloadBuf, payloadStart, payloadEnd, dotCR, flow);
  }
  return slots.payload('datagram', meta, next, payloadBuf, payloadStart, payloadEnd, dotCR);
};

/**
 * Dots at the end of a dotted TCP segment, by flow, held for the flow's next segment: an odd run there is most
 * likely a CR whose LF opens the next segment (a message cut between them), and undot() must see the whole run.
 * Kept per scan (its MatchContext): a flow of one file never lends dots to another.
 */
const heldByScan = new WeakMap<MatchContext, Map<string, number>>();
const heldDotsOf = (ctx: MatchContext): Map<string, number> => {
  let held = heldByScan.get(ctx);
  if (held === undefined) {
    held = new Map();
    heldByScan.set(ctx, held);
  }
  return held;
};
/** Flows with dots held (past it the oldest are forgotten: a dot or a CR lost, never a message). */
const MAX_HELD_FLOWS = 10_000;

/** The answer for a dotted payload [start, end) of `from`: undotted into the scratch buffer. */
const dotted = (
  kind: string,
  meta: PayloadMeta,
  next: number,
  from: Buffer,
  start: number,
  end: number,
  ctx: MatchContext,
): MatchResult => {
  if (kind !== 'T') {
    const into = scratchFor(end - start);
    return payloadResult(kind, meta, next, into, 0, undotted(from, start, end, into), false);
  }
  const flow = `${meta.src}>${meta.dst}`;
  const heldDots = heldDotsOf(ctx);
  const held = heldDots.get(flow) ?? 0;
  heldDots.delete(flow);
  let tail = end;
  while (tail > start && from[tail - 1] === DOT) tail--;
  // a segment of dots only continues the held run
  const allDots = tail === start;
  const run = end - tail + (allDots ? held : 0);
  const hold = run % 2 === 1 ? run : 0;
  if (hold > 0) {
    if (heldDots.size >= MAX_HELD_FLOWS) heldDots.clear();
    heldDots.set(flow, hold);
  }
  const prefix = hold > 0 && allDots ? 0 : held;
  let src = from;
  let a = start;
  let b = hold > 0 ? (allDots ? start : tail) : end;
  if (prefix > 0) {
    // the held dots go in front of this segment's bytes, and undot() reads the run whole
    const n = prefix + (b - a);
    if (withHeld.length < n) withHeld = Buffer.alloc(Math.max(n, 2 * withHeld.length));
    withHeld.fill(DOT, 0, prefix);
    from.copy(withHeld, prefix, a, b);
    src = withHeld;
    a = 0;
    b = n;
  }
  const into = scratchFor(b - a);
  return payloadResult(kind, meta, next, into, 0, undotted(src, a, b, into), false);
};

/** A `-W single` line [ls, lf): the header, a space and the dotted payload; null when it is not one. */
const singleLine = (buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult => {
  const m = SINGLE_HEADER.exec(lineText(buf, ls, Math.min(lf, ls + MAX_SINGLE_HEADER)));
  if (!m) return null;
  const kind = m[1] ?? 'U';
  const stamp = m[2] ? localStamp(findDateTime(m[2])) : undefined;
  const src = withPort(kind, m[3] ?? '');
  const dst = withPort(kind, m[4] ?? '');
  const next = Math.min(lf + 1, end);
  if (Number(m[6] ?? 0) > 0) return slots.skip(next, 'ip-fragment-incomplete');
  const payloadStart = ls + m[0].length;
  const meta = metaOf(kind, src, dst, stamp);
  const r = dotted(kind, meta, next, buf, payloadStart, lf, ctx);
  return m[5] === undefined ? r : quotedDatagram(r, Number(m[5]), src, dst);
};
