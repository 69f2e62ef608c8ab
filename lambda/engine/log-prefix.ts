import { CriSplits, type CriStream } from './cri-splits.js';
import { LineRewriter } from './line-rewriter.js';
import { findLogStamp, type LogStamp } from './log-stamp.js';

/**
 * Logs in which every line carries its logger's prefix: Asterisk's full log after `sip set debug
 * on` or `pjsip set logger on` ("[Nov 24 13:39:27] VERBOSE[1234][C-0000abcd] chan_sip.c: " before
 * every line of the message), syslog ("Nov 24 13:39:27 pbx asterisk[1234]: "), or any logger that
 * writes an ISO 8601 or bracketed time, a level with thread and call ids and a source file before
 * each line. The prefix is cut off each line that has one, so what remains is the message as it
 * was sent, byte for byte (CRs included, so Content-Length frames it), and the time the prefix
 * printed is remembered for the lines after it. Any text format may be prefixed this way: the
 * readers see the stripped text.
 */

const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const CLOCK = '\\d{2}:\\d{2}:\\d{2}(?:[.,]\\d{1,9})?';
const DATED = `\\d{4}-\\d{2}-\\d{2}[T ]${CLOCK}(?:Z|[+-]\\d{2}:?\\d{2})?`;
const MONTH_DAY = `${MONTH} [ \\d]\\d ${CLOCK}`;
/** syslog's "host tag[pid]:" after its time (`logger -t tag` sends no pid). */
const HOST_TAG = ' [\\w.-]+ [\\w./-]+(?:\\[\\d+\\])?:';
/** An RFC 5424 field (HOSTNAME, APP-NAME, PROCID, MSGID): printable ASCII, no space; "-" when nil. */
const FIELD = '[!-~]+';
/** RFC 5424 STRUCTURED-DATA: "-", or elements "[id name=\"value\" ...]" whose values escape '"', '\\' and ']'. */
const STRUCTURED_DATA = '(?:-|(?:\\[[^ \\]"]+(?: [^ =\\]"]+="(?:[^"\\\\]|\\\\.)*")*\\])+)';
/**
 * "[time]"; a bare ISO 8601 time, then, as journalctl -o short-iso or rsyslog's RSYSLOG_FileFormat prints it,
 * "host tag[pid]:", or, as a container runtime's log file holds it (CRI: containerd, CRI-O, kubelet's
 * /var/log/pods), the stream and a full (F) or partial (P) line mark; syslog's RFC 3164 "Mon dd hh:mm:ss host
 * tag[pid]:"; an RFC 5424 record's header, "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD" (rsyslog's
 * RSYSLOG_SyslogProtocol23Format, syslog-ng's `flags(syslog-protocol)`; rsyslog keeps the space Kamailio's message
 * starts with after SD's, so a second space is part of the head); journalctl's `-o short-unix` (epoch seconds) and
 * `-o short-full` (weekday, date, time and the zone's abbreviation) heads before "host tag[pid]:"; and its
 * `-o short-monotonic` and `-o short-delta` heads (seconds since boot, and since the entry before, in brackets), which
 * name no wall-clock time: their lines are untimed. The named groups say which time was printed, and whether a syslog
 * daemon wrote the line (`isoTag`, `syslog`, `rfc5424`, `unixTag`, `monotonicTag`, `fullTag`: its control-character
 * escapes are decoded).
 */
const TIME = `(?<head>\\[(?<bracketed>${DATED}|${MONTH_DAY})\\]|(?<iso>${DATED})(?:(?<isoTag>${HOST_TAG})| (?<criStream>stdout|stderr) (?<cri>[FP]))?|(?<syslog>${MONTH_DAY})${HOST_TAG}|<\\d{1,3}>1 (?<rfc5424>${DATED}|-) ${FIELD} ${FIELD} ${FIELD} ${FIELD} ${STRUCTURED_DATA}(?: (?= ))?|(?<unix>\\d{9,11}\\.\\d{6})(?<unixTag>${HOST_TAG})|\\[ *(?<monotonic>\\d{1,10}\\.\\d{6})(?: +| <[ \\d.]+>)?\\](?<monotonicTag>${HOST_TAG})|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?<full>\\d{4}-\\d{2}-\\d{2} ${CLOCK}) (?<fullZone>[A-Za-z]{1,6}|[+-]\\d{2,4})(?<fullTag>${HOST_TAG}))`;
/** A level: "VERBOSE[1234][C-0000abcd]" (Asterisk logger.c), "[DEBUG]" (FreeSWITCH), with a colon or not. */
const LEVEL = '(?: (?:[A-Z]+(?:\\[[\\w-]*\\])+:?|\\[[A-Z]+\\]))?';
/**
 * A source location: "chan_sip.c:", "chan_sip.c:4841 send_request:", "sofia.c:1234". A function
 * name must hold an underscore: a header name never does, so "sofia.c:7084 CSeq: 2 NOTIFY" keeps
 * its "CSeq:".
 */
const SOURCE = '(?: [\\w-]+\\.[a-z]{1,4}(?::\\d+)?(?: (?:in )?\\w*_\\w*)?:| [\\w-]+\\.[a-z]{1,4}:\\d+)?';
/** A logger prefix at the start of a line (exported for the test that holds mayStartPrefix to it). */
export const PREFIX = new RegExp(`^${TIME}${LEVEL}${SOURCE}(?: |$)`);

/** Bytes of the head looked at to tell a prefixed log. */
export const PREFIX_SNIFF_BYTES = 64 * 1024;
/** Share (in fifths) of the head's non-blank lines that must carry a prefix. */
const PREFIXED_FIFTHS = 4;
/** A prefix is never longer than this; longer lines are only searched this far. */
export const MAX_PREFIX_BYTES = 256;
/** An RFC 5424 head (its fields are up to 255, 48, 128 and 32 bytes, then structured data) is searched this far. */
const MAX_RFC5424_HEAD_BYTES = 2048;
/** A line longer than this is passed on unread (the scanner reports it as too long). */
const MAX_CARRY_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
/** The blank line put back at the end of a multi-line journal entry. */
const ENTRY_END = Buffer.from('\r\n', 'latin1');

const OPEN_BRACKET = 0x5b;
const SP = 0x20;
const DASH = 0x2d;
/** Three-letter words as one number each (their bytes, first in the high bits). */
const wordsOf = (words: readonly string[]): ReadonlySet<number> =>
  new Set(words.map((w) => (w.charCodeAt(0) << 16) | (w.charCodeAt(1) << 8) | w.charCodeAt(2)));
/** The three-letter months MONTH names. */
const MONTH_WORDS = wordsOf(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);
/** The weekdays journalctl -o short-full starts its lines with. */
const WEEKDAY_WORDS = wordsOf(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
const LESS_THAN = 0x3c;
const DOT = 0x2e;
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/**
 * Whether the line at `ls` starts as PREFIX requires: '[', four digits and '-' (ISO 8601), or a month and a space
 * (syslog). Read from the bytes before any string is made: most lines of a log start otherwise ("From:", "Allow:",
 * "Supported:" begin with a month's initial), and the head of every text input is sniffed line by line while the
 * scan's code is still cold (a sixth of a 100 KB scan's start-up went to these strings and the regex).
 */
const mayStartPrefix = (buf: Buffer, ls: number, le: number): boolean => {
  const c = buf[ls] ?? 0;
  if (c === OPEN_BRACKET) return true;
  if (ls + 4 >= le) return false;
  if (c === LESS_THAN) return isDigit(buf[ls + 1]);
  if (isDigit(c)) {
    if (!isDigit(buf[ls + 1]) || !isDigit(buf[ls + 2]) || !isDigit(buf[ls + 3])) return false;
    if (buf[ls + 4] === DASH) return true;
    // journalctl -o short-unix: epoch seconds (9 to 11 digits), '.', microseconds
    let d = ls + 4;
    while (d < le && d - ls < 11 && isDigit(buf[d])) d++;
    return d - ls >= 9 && buf[d] === DOT;
  }
  const word = (c << 16) | ((buf[ls + 1] ?? 0) << 8) | (buf[ls + 2] ?? 0);
  return buf[ls + 3] === SP && (MONTH_WORDS.has(word) || (WEEKDAY_WORDS.has(word) && isDigit(buf[ls + 4])));
};

/** A logger prefix: its length, the time it printed, and whether a syslog daemon wrote it ("host tag[pid]:"). */
export interface LinePrefix {
  readonly length: number;
  readonly time: string;
  readonly syslog: boolean;
  /**
   * Where a syslog message starts (after "host tag[pid]: "), 0 for other prefixes: journalctl indents each further
   * line of a multi-line entry (a whole SIP message a proxy logged) with as many spaces.
   */
  readonly column: number;
  /** The stream a container runtime's record names (CRI: "time stdout F text"), undefined for any other prefix. */
  readonly stream: CriStream | undefined;
  /** A CRI record of a line's part (`P`): the line goes on in the stream's next record. */
  readonly partial: boolean;
  /**
   * Where a CRI record's text starts (after "time stream F "): a line's next part is cut there, not after what would
   * look like a level or a source; `length` for other prefixes.
   */
  readonly headLength: number;
}

/** The logger prefix at the start of the line [ls, le); null when it has none. */
export const linePrefixAt = (buf: Buffer, ls: number, le: number): LinePrefix | null => {
  if (!mayStartPrefix(buf, ls, le)) return null;
  // an RFC 5424 head may be longer: a 255-byte host name, structured data of any length
  let e = Math.min(le, ls + (buf[ls] === LESS_THAN ? MAX_RFC5424_HEAD_BYTES : MAX_PREFIX_BYTES));
  if (e === le && e > ls && buf[e - 1] === CR) e--;
  const m = PREFIX.exec(buf.toString('latin1', ls, e));
  const g = m?.groups;
  if (!m || g === undefined) return null;
  const rfc5424 = g.rfc5424 !== undefined;
  const journal =
    g.isoTag !== undefined ||
    g.syslog !== undefined ||
    g.unixTag !== undefined ||
    g.monotonicTag !== undefined ||
    g.fullTag !== undefined;
  // journalctl indents an entry's further lines to its message's column; an RFC 5424 file has no such lines
  const column = journal ? (g.head ?? '').length + 1 : 0;
  const time =
    g.bracketed ?? g.iso ?? g.syslog ?? g.unix ?? fullTime(g.full, g.fullZone) ?? (g.rfc5424 === '-' ? '' : g.rfc5424);
  const stream = g.criStream as CriStream | undefined;
  return {
    length: m[0].length,
    time: time ?? '',
    syslog: journal || rfc5424,
    column,
    stream,
    partial: g.cri === 'P',
    // "time stream F ": the ISO time starts the match
    headLength: stream === undefined ? m[0].length : Math.min(m[0].length, (g.iso ?? '').length + stream.length + 4),
  };
};

/**
 * The time of a journalctl `-o short-full` head: the zone's abbreviation (strftime's %Z) names no zone for sure
 * (IST is India's, Ireland's and Israel's), so the time is local, read in the zone the scan is given, unless it is
 * UTC or a numeric offset (zones without an abbreviation print "+0530").
 */
const fullTime = (full: string | undefined, zone: string | undefined): string | undefined => {
  if (full === undefined || zone === undefined) return undefined;
  if (zone === 'UTC' || zone === 'GMT') return `${full}Z`;
  return zone.startsWith('+') || zone.startsWith('-') ? `${full}${zone}` : full;
};

/**
 * Whether the line at `ls` (ending before `le`) is the next line of a multi-line syslog entry as journalctl prints it:
 * `column` spaces (the column where the entry's message starts), then the line (which may itself start with white
 * space: a folded SIP header).
 */
const isContinuation = (buf: Buffer, ls: number, le: number, column: number): boolean => {
  if (column === 0 || le - ls < column) return false;
  for (let i = ls; i < ls + column; i++) if (buf[i] !== SP) return false;
  return true;
};

const HASH = 0x23;

/**
 * The value of rsyslog's escape "#ooo" at i (a control character: rsyslog's default
 * parser.escapeControlCharactersOnReceive writes each one as '#' and three octal digits), or -1.
 */
export const rsyslogEscapeAt = (buf: Buffer, i: number, end: number): number => {
  if (i + 4 > end || buf[i] !== HASH) return -1;
  let v = 0;
  for (let k = 1; k <= 3; k++) {
    const d = (buf[i + k] ?? 0) - 0x30;
    if (d < 0 || d > 7) return -1;
    v = v * 8 + d;
  }
  // rsyslog escapes control characters only: a '#' before other digits is text. DEL ("#177") is left as text too:
  // no SIP log holds one, and ngrep numbers its packets "#177", "#1770", ...
  return v < 0x20 ? v : -1;
};

/** How many bytes at the end of [from, end) may begin an escape ("#", "#0", "#01"): 0 to 3. */
const partialEscapeLength = (buf: Buffer, from: number, end: number): number => {
  for (let k = 1; k <= 3 && end - k >= from; k++) {
    if (buf[end - k] !== HASH) continue;
    for (let i = end - k + 1; i < end; i++) {
      const d = (buf[i] ?? 0) - 0x30;
      if (d < 0 || d > 7) return 0;
    }
    return k;
  }
  return 0;
};

/**
 * The text [from, end) of a line a syslog daemon wrote, its control characters decoded ("#015" -> CR, "#011" -> TAB,
 * "#012" -> LF), or the same bytes when it holds none: a CRLF log fed to `logger` line by line ends each line in
 * "#015", three bytes more than the CR Content-Length counted.
 */
export const decodeRsyslogEscapes = (buf: Buffer, from: number, end: number): Buffer => {
  const text = buf.subarray(from, end);
  let i = text.indexOf(HASH);
  while (i >= 0 && rsyslogEscapeAt(text, i, text.length) < 0) i = text.indexOf(HASH, i + 1);
  if (i < 0) return text;
  const out = Buffer.allocUnsafe(text.length);
  text.copy(out, 0, 0, i);
  let n = i;
  for (; i < text.length; i++) {
    const v = rsyslogEscapeAt(text, i, text.length);
    if (v >= 0) {
      out[n++] = v;
      i += 3;
    } else {
      out[n++] = text[i] ?? 0;
    }
  }
  return out.subarray(0, n);
};

/**
 * What the head of a text says of its logger prefixes, from one walk over its lines:
 * - `prefixed`: most lines carry one (the log is read stripped);
 * - `rsyslogEscapes`: its syslog lines may carry rsyslog's control-character escapes (its default): they hold no raw
 *   control character, which that escaping never leaves ("#015" ends a CRLF line, "#011" stands for a TAB). A log
 *   from rsyslog with escaping off, or from journalctl, keeps its CRs raw, and its "#0123" stays text.
 * Decided once from the head, so the text stripped and decoded (or not) is the same however the input is chunked.
 */
export const linePrefixes = (head: Buffer): { prefixed: boolean; rsyslogEscapes: boolean } => {
  let lines = 0;
  let prefixed = 0;
  let syslogLines = 0;
  let rawControl = false;
  // the message column of the last syslog entry, while its journalctl continuation lines follow
  let column = 0;
  let ls = 0;
  while (ls < head.length) {
    let lf = head.indexOf(LF, ls);
    if (lf < 0) lf = head.length;
    let e = lf;
    while (e > ls && (head[e - 1] === CR || head[e - 1] === 0x20 || head[e - 1] === 0x09)) e--;
    if (e > ls) {
      lines++;
      const p = linePrefixAt(head, ls, lf);
      if (p !== null) {
        prefixed++;
        column = p.column;
      } else if (isContinuation(head, ls, lf, column)) prefixed++;
      else column = 0;
      if (p?.syslog) {
        syslogLines++;
        for (let i = ls + p.length; i < lf && !rawControl; i++) rawControl = (head[i] ?? 0) < 0x20;
      }
    }
    ls = lf + 1;
  }
  return {
    prefixed: prefixed >= 2 && prefixed * 5 >= lines * PREFIXED_FIFTHS,
    rsyslogEscapes: syslogLines > 0 && !rawControl,
  };
};

/** Whether most lines of the head of a text carry a logger prefix (the log is read stripped). */
export const hasLinePrefixes = (head: Buffer): boolean => linePrefixes(head).prefixed;

/** The time of the text at a stream offset, for the scanner. */
export interface LineTimes {
  /** The printed time in force at `offset` of the stripped stream (offsets asked in increasing order). */
  at(offset: number): LogStamp | undefined;
  /** Nothing before `offset` will be asked about again: what only it needed can go (memory stays bounded). */
  release(offset: number): void;
}

/**
 * Strips logger prefixes from a stream of text chunks and keeps, for the stripped stream, where
 * each printed time took effect. Decisions depend on each line alone, so the output is the same
 * however the input was cut into chunks.
 */
export class LinePrefixStripper extends LineRewriter {
  /** Whether the line passed on in part (midLine) is a syslog line whose escapes are decoded. */
  private midLineDecoded = false;
  private lastTime: string | undefined;
  /** The message column of the last syslog entry (journalctl's continuation lines), 0 after any other line. */
  private column = 0;
  /** Whether that entry's escapes are decoded (its continuation lines' too). */
  private columnDecoded = false;
  /** The last line was a continuation line: the entry ends at the next prefixed line. */
  private inEntry = false;
  /** Lines a container runtime split over records, held per stream until their last part (cri-splits.ts). */
  private readonly splits = new CriSplits(MAX_CARRY_BYTES);
  /** The line passed on in part is a CRI `P` record too long to hold: the LF that ends it is the runtime's. */
  private midLinePartial = false;

  /** @param decodeEscapes whether syslog lines carry rsyslog's escapes (linePrefixes of the head) */
  constructor(private readonly decodeEscapes = false) {
    super(MAX_CARRY_BYTES);
  }

  /** Passes the stream on, prefixes cut. */
  strip(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    return this.rewrite(chunks);
  }

  /** An escape a too-long line's cut would split waits for the next part. */
  protected override heldAtCut(buf: Buffer, from: number, end: number): number {
    return this.decodeEscapes ? partialEscapeLength(buf, from, end) : 0;
  }

  protected override ended(parts: Buffer[]): void {
    // lines whose last part never came: their parts as they are
    const held = this.splits.drain();
    if (held.length > 0) this.emit(held, parts);
    if (!this.inEntry) return;
    // the file ends with a multi-line entry: its message ends there, as before the next entry
    this.emit(ENTRY_END, parts);
    this.inEntry = false;
  }

  /** Passes on the line [ls, end) (its LF included), without its prefix. */
  protected line(buf: Buffer, ls: number, end: number, parts: Buffer[]): void {
    let from = ls;
    let decoded = this.midLine && this.midLineDecoded;
    let partial = this.midLine && this.midLinePartial;
    if (!this.midLine) {
      const le = buf[end - 1] === LF ? end - 1 : end;
      const p = linePrefixAt(buf, ls, le);
      if (p !== null && this.splitLine(p, buf, ls, le, end, parts)) return;
      if (p !== null) {
        if (this.inEntry) {
          // the end of a multi-line entry (journalctl): journald trimmed the message's last CRLFs, the blank line
          // that ends its header section among them; it is put back, so the message ends before this entry
          this.emit(ENTRY_END, parts);
          this.inEntry = false;
        }
        this.markTime(p.time);
        from = ls + p.length;
        partial = p.partial;
        decoded = this.decodeEscapes && p.syslog;
        this.column = p.column;
        this.columnDecoded = decoded;
      } else if (isContinuation(buf, ls, le, this.column)) {
        // the next line of a multi-line entry (journalctl): its indentation is the prefix it does not repeat
        from = ls + this.column;
        decoded = this.columnDecoded;
        this.inEntry = true;
      } else {
        this.column = 0;
        this.inEntry = false;
      }
    }
    this.midLine = false;
    this.midLineDecoded = decoded;
    // a CRI `P` record too long to hold is passed on as it comes; the LF that ends it is the runtime's
    const ends = buf[end - 1] === LF;
    this.midLinePartial = partial && !ends;
    const to = partial && ends ? end - 1 : end;
    if (to > from) this.emit(decoded ? decodeRsyslogEscapes(buf, from, to) : buf.subarray(from, to), parts);
  }

  /** Marks where the rewritten text reaches the time `time` printed, when it is another than the last. */
  private markTime(time: string): void {
    if (time === this.lastTime) return;
    this.lastTime = time;
    this.times.push(this.outOffset, findLogStamp(time));
  }

  /**
   * A CRI record that is a part of a split line, or its last part (cri-splits.ts): held, or passed on with the parts
   * before it; true when it was. False for any other line, and for a `P` record passed on in parts (too long).
   */
  private splitLine(p: LinePrefix, buf: Buffer, ls: number, le: number, end: number, parts: Buffer[]): boolean {
    const whole = buf[end - 1] === LF;
    if (!this.splits.isPart(p.stream, p.partial) || (p.partial && !whole)) return false;
    this.midLine = false;
    this.markTime(p.time);
    const text = buf.subarray(ls + p.headLength, le);
    const joined = this.splits.add(p.stream, p.partial, text, p.time, (held) => this.emit(held, parts));
    if (joined !== undefined) {
      this.emit(joined.line, parts);
      if (whole) this.emit(LINE_END, parts);
    }
    return true;
  }
}

const LINE_END = Buffer.from('\n', 'latin1');
