import { CriSplits } from './cri-splits.js';
import { startsWith } from './formats/line-utils.js';
import { isOmittedJournalMessage, type JsonEntry, jsonEntryOf } from './json-entry.js';
import { LineRewriter } from './line-rewriter.js';
import { type LinePrefix, linePrefixAt } from './log-prefix.js';

/**
 * Logs kept as one JSON object per line, the text a program wrote in one of its fields: Docker's `json-file` driver
 * (`{"log":" 2(12830) INFO: \u003cscript\u003e: SIP/2.0 180 Ringing\r\n","stream":"stderr","time":"...Z"}`, a line
 * of output per object, lines over 16 KiB split into objects without their `\n`), what log shippers store of it
 * (fluent-bit's `log`, ECS's `message`), and `journalctl -o json` (`MESSAGE`, an array of byte values when the text
 * holds a control character: every SIP message a proxy logged, whose CRLFs it keeps; `-o json-seq` puts RS before
 * each, `-o json-sse` "data: "). Read as they are, the JSON
 * escapes hid every line end, so no message was framed (`UNKNOWN_FORMAT`); the text is taken out of each object and
 * read as the program wrote it, each message at its object's time.
 *
 * Decided from the head of the text, like logger prefixes: when most of its lines are such objects. Lines that are not
 * are passed on as they are. Decisions depend on each line alone, so the text is the same however the input is cut.
 */

/** Share (in fifths) of the head's non-blank lines that must be such objects. */
const JSON_FIFTHS = 4;
/** A line longer than this is passed on unread (the scanner reports it as too long). */
const MAX_LINE_BYTES = 4 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const OPEN_BRACE = 0x7b;
const RS = 0x1e;
/** What starts each event of a server-sent event stream (the HTML standard's `data:` field, one space). */
const SSE_DATA = 'data: ';

/**
 * The prefix of a line [ls, le) whose object a syslog daemon or a container runtime wrote (Kamailio's JSON log engine
 * without -E; any program's JSON on a container's stdout, in a CRI log file under /var/log/pods): null for any other.
 */
const objectPrefixAt = (buf: Buffer, ls: number, le: number): LinePrefix | null => {
  const prefix = linePrefixAt(buf, ls, le);
  return prefix !== null && (prefix.syslog || prefix.stream !== undefined) ? prefix : null;
};

/** The line [ls, le) read as such an object. */
const entryAt = (buf: Buffer, start: number, le: number): JsonEntry | typeof OMITTED | undefined => {
  // JSON text sequences (RFC 7464, `journalctl -o json-seq`) start each object with RS; server-sent events
  // (`journalctl -o json-sse`) with "data: ", a blank line after each
  let ls = buf[start] === RS ? start + 1 : startsWith(buf, start, le, SSE_DATA) ? start + SSE_DATA.length : start;
  // after syslog's or a container runtime's prefix, whose time is the object's when it has none
  let syslogTime: string | undefined;
  if (buf[ls] !== OPEN_BRACE) {
    const prefix = objectPrefixAt(buf, ls, le);
    if (prefix === null || prefix.partial || buf[ls + prefix.length] !== OPEN_BRACE) return undefined;
    ls += prefix.length;
    syslogTime = prefix.time;
  }
  return objectAt(buf, ls, le, syslogTime);
};

/** The object [ls, le) (a CR before le is no part of it), with the time its line's prefix printed. */
const objectAt = (
  buf: Buffer,
  ls: number,
  le: number,
  syslogTime: string | undefined,
): JsonEntry | typeof OMITTED | undefined => {
  let e = le;
  if (e > ls && buf[e - 1] === CR) e--;
  if (buf[ls] !== OPEN_BRACE || buf[e - 1] !== 0x7d /* } */) return undefined;
  try {
    const value: unknown = JSON.parse(buf.toString('utf8', ls, e));
    return isOmittedJournalMessage(value) ? OMITTED : jsonEntryOf(value, syslogTime);
  } catch {
    return undefined;
  }
};

/** A journald record whose MESSAGE journalctl left out (isOmittedJournalMessage). */
const OMITTED = 'omitted';

/** Whether most lines of the head of a text are such objects (the text is read out of them). */
export const isJsonLines = (head: Buffer): boolean => {
  let lines = 0;
  let objects = 0;
  let ls = 0;
  // a line a container runtime split over records is judged once its last part came, its parts joined (per stream:
  // the other stream's records can come between them); a line the head ends inside is not judged
  const splits = new CriSplits(head.length);
  while (ls < head.length) {
    const lf = head.indexOf(LF, ls);
    // the head's last line may be cut: it is not judged
    if (lf < 0) break;
    let e = lf;
    while (e > ls && (head[e - 1] === CR || head[e - 1] === 0x20 || head[e - 1] === 0x09)) e--;
    const cri = head[ls] === OPEN_BRACE ? null : objectPrefixAt(head, ls, e);
    if (cri !== null && splits.isPart(cri.stream, cri.partial)) {
      const text = head.subarray(ls + cri.headLength, cri.partial ? lf : e);
      const joined = splits.add(cri.stream, cri.partial, text, cri.time);
      if (joined !== undefined) {
        lines++;
        if (objectAt(joined.line, 0, joined.line.length, joined.time) !== undefined) objects++;
      }
    } else if (e > ls) {
      lines++;
      if (entryAt(head, ls, e) !== undefined) objects++;
    }
    ls = lf + 1;
  }
  return objects >= 2 && objects * 5 >= lines * JSON_FIFTHS;
};

/** Takes the text out of each object of a stream of chunks, and keeps where each object's time took effect. */
export class JsonLinesDecoder extends LineRewriter {
  /** Lines a container runtime split over records, held per stream until their last part (cri-splits.ts). */
  private readonly splits = new CriSplits(MAX_LINE_BYTES);

  constructor() {
    super(MAX_LINE_BYTES);
  }

  /** Passes on the text of the line [ls, end) (its LF included), or the line itself when it is no such object. */
  protected line(buf: Buffer, ls: number, end: number, parts: Buffer[]): void {
    const le = buf[end - 1] === LF ? end - 1 : end;
    const whole = !this.midLine && le - ls <= MAX_LINE_BYTES;
    this.midLine = false;
    if (whole && buf[ls] !== OPEN_BRACE && buf[ls] !== RS) {
      const prefix = objectPrefixAt(buf, ls, le);
      if (prefix !== null && this.splits.isPart(prefix.stream, prefix.partial)) {
        // a part of a line the runtime split: its object is read once the line is whole
        const text = buf.subarray(ls + prefix.headLength, le);
        const joined = this.splits.add(prefix.stream, prefix.partial, text, prefix.time, (held) =>
          this.emit(held, parts),
        );
        if (joined === undefined) return;
        const entry = objectAt(joined.line, 0, joined.line.length, joined.time);
        this.emitEntry(entry, Buffer.concat([joined.line, LINE_END]), parts);
        return;
      }
    }
    const entry = whole ? entryAt(buf, ls, le) : undefined;
    this.emitEntry(entry, buf.subarray(ls, end), parts);
  }

  protected override ended(parts: Buffer[]): void {
    // lines whose last part never came: their parts are passed on as text
    const held = this.splits.drain();
    if (held.length > 0) this.emit(held, parts);
  }

  /** Passes on the object's text at its time, or `raw` (the line itself) when it is no object. */
  private emitEntry(entry: JsonEntry | typeof OMITTED | undefined, raw: Buffer, parts: Buffer[]): void {
    if (entry === undefined) {
      this.emit(raw, parts);
      return;
    }
    if (entry === OMITTED) {
      this.oversized++;
      return;
    }
    this.emitTimed(entry.text, entry.stamp, parts);
  }
}

const LINE_END = Buffer.from('\n', 'latin1');
