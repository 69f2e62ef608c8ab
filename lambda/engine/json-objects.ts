import { isOmittedJournalMessage, type JsonEntry, jsonEntryOf } from './json-entry.js';
import { RewrittenText } from './rewritten-text.js';
import { isStartLine } from './sip-message.js';

/**
 * JSON log records that are not one per line (json-lines.ts reads those): pretty-printed (`journalctl -o
 * json-pretty`, `jq .`), back to back with no line end between them (Kamailio's `--log-engine=json:N`), or inside a
 * wrapper (`aws logs filter-log-events` and `get-log-events`: `{"events": [{"timestamp": …, "message": …}, …]}`; an
 * Elasticsearch or OpenSearch export: `hits.hits[]._source.message`). A record is an object with a text field
 * (json-entry.ts); its text is passed on as the program wrote it, at the record's time. Read as they were, the JSON
 * escapes hid every line end and the file was `UNKNOWN_FORMAT`.
 *
 * The bytes are tokenized as JSON as they come (strings, objects, arrays; nothing else matters to find where an
 * object ends), and each object that closes within MAX_RECORD_BYTES is parsed. The outermost record wins: a record's
 * own objects (ECS's `error.message`) are not records of their own, so records found inside an object still open
 * wait until that object is known to be no record. What a top-level object that holds no record was is passed on as
 * it is, and so are lines of text between top-level values, as the JSON lines reader passes on lines that are no
 * object. Every decision depends on the bytes alone, so the text is the same however the input is cut.
 */

/** An object longer than this is never parsed (memory stays bounded); records inside it still are. */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;
/** Containers nested deeper than this are skipped as a whole (their brackets counted, not kept). */
const MAX_DEPTH = 512;
/**
 * Objects opened deeper than this are never parsed as records (an Elasticsearch export's `_source` is the fifth
 * container down): each enclosing object is parsed again when it closes, so a bound on the depth bounds the work.
 */
const MAX_RECORD_DEPTH = 8;

const HT = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const RS = 0x1e;
const SP = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const EMPTY = Buffer.alloc(0);
const NEWLINE = Buffer.from('\n', 'latin1');

/** Open containers: an array, an object that may still be a record (its bytes kept), an object that cannot be. */
const ARRAY = 0;
const CANDIDATE = 1;
const NO_RECORD = 2;

/** A text found and not yet passed on: a record's (timed), or a top-level object's own bytes (untimed). */
interface Pending {
  /** Stream offset of the object it came from (a record found inside a later-closing record is dropped). */
  readonly at: number;
  readonly text: Buffer;
  /** The record's time; undefined for raw bytes, which keep the time in force. */
  readonly entry: JsonEntry | undefined;
}

/** Whether a byte between JSON values is white space or a separator (RFC 8259 §2; RS of RFC 7464). */
const isBetweenValues = (c: number): boolean =>
  c === SP || c === LF || c === CR || c === HT || c === COMMA || c === RS || c === CLOSE_BRACE || c === CLOSE_BRACKET;

/** Takes the text out of each JSON log record of a stream, and keeps where each record's time took effect. */
export class JsonObjectsDecoder extends RewrittenText {
  /** Log records found so far (whether passed on or dropped inside a larger record). */
  records = 0;
  /** Bytes of text between top-level values passed on so far. */
  textBytes = 0;
  /** Where the last record found starts (-1: none yet). */
  private lastRecordAt = -1;
  /** SIP start lines met among the text between values (a SIP log, not JSON records: isJsonObjects). */
  sipLines = 0;
  /** The text line being passed on started at a line start; the last byte scanned was a LF. */
  private atLineStart = false;
  private lastWasLf = true;
  /** Bytes kept from `carryAt` on (the outermost candidate object's so far), and the stream offset scanned to. */
  private carry: Buffer = EMPTY;
  private carryAt = 0;
  private scanned = 0;
  private inString = false;
  private escaped = false;
  /** A line of text between top-level values is being passed on. */
  private inText = false;
  private readonly kinds: number[] = [];
  private readonly starts: number[] = [];
  /** Containers opened past MAX_DEPTH and not yet closed. */
  private overflow = 0;
  private readonly pending: Pending[] = [];

  /** Scans a chunk (all of the rest when `final`); returns the text it completed. */
  override feed(chunk: Buffer, final: boolean): Buffer {
    const buf = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const base = this.carry.length === 0 ? this.scanned : this.carryAt;
    const parts: Buffer[] = [];
    const n = buf.length;
    for (let i = this.scanned - base; i < n; i++) {
      const c = buf[i] ?? 0;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (this.inText) {
        const lf = buf.indexOf(LF, i);
        const end = lf < 0 ? n : lf + 1;
        // a SIP start line between values: this is a SIP log whose bodies hold JSON, not JSON records (isJsonObjects)
        if (this.atLineStart && isStartLine(buf, i, lf < 0 ? n : lf, false)) {
          this.sipLines++;
        }
        this.atLineStart = lf >= 0;
        this.emit(buf.subarray(i, end), parts);
        this.textBytes += end - i;
        this.inText = lf < 0;
        i = end - 1;
        continue;
      }
      const depth = this.kinds.length + this.overflow;
      if (c === QUOTE && depth > 0) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        const kind = c === OPEN_BRACKET ? ARRAY : this.kinds.length < MAX_RECORD_DEPTH ? CANDIDATE : NO_RECORD;
        this.open(kind, base + i);
      } else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) this.close(buf, base, i, parts);
      else if (depth === 0 && !isBetweenValues(c)) {
        // text between top-level values (not JSON): passed on to its line's end
        this.inText = true;
        this.atLineStart = i === 0 ? this.lastWasLf : buf[i - 1] === LF;
        i--;
      }
    }
    this.scanned = base + n;
    if (n > 0) this.lastWasLf = buf[n - 1] === LF;
    this.demoteLongObjects(this.scanned, parts);
    const keepFrom = this.outermostCandidate();
    if (final) {
      // a record cut by the end of the input: its bytes as they are, as the JSON lines reader passes on a cut line
      if (keepFrom !== undefined && !this.pending.some((p) => p.at >= keepFrom)) {
        this.pending.push({ at: keepFrom, text: Buffer.from(buf.subarray(keepFrom - base)), entry: undefined });
      }
      this.flush(Number.POSITIVE_INFINITY, parts);
      this.carry = EMPTY;
    } else if (keepFrom === undefined) {
      this.carry = EMPTY;
    } else {
      this.carry = Buffer.from(buf.subarray(keepFrom - base));
      this.carryAt = keepFrom;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  private open(kind: number, at: number): void {
    if (this.kinds.length >= MAX_DEPTH) {
      this.overflow++;
      return;
    }
    this.kinds.push(kind);
    this.starts.push(at);
  }

  /** The container closing at buf[i]: an object parsed when it may be a record. */
  private close(buf: Buffer, base: number, i: number, parts: Buffer[]): void {
    if (this.overflow > 0) {
      this.overflow--;
      return;
    }
    const kind = this.kinds.pop();
    const start = this.starts.pop() ?? 0;
    // the bound is checked here too: an object may outgrow it within the chunk it closes in
    const readable = base + i + 1 - start <= MAX_RECORD_BYTES;
    if (kind === CANDIDATE && buf[i] === CLOSE_BRACE && readable) {
      let value: unknown;
      try {
        value = JSON.parse(buf.toString('utf8', start - base, i + 1));
      } catch {
        value = undefined;
      }
      const omitted = isOmittedJournalMessage(value);
      const entry = value === undefined || omitted ? undefined : jsonEntryOf(value);
      if (omitted) {
        // a journald record without its MESSAGE (no --all): a record, its message said lost
        this.records++;
        this.lastRecordAt = start;
        this.oversized++;
      } else if (entry !== undefined) {
        this.records++;
        this.lastRecordAt = start;
        // the outermost record wins: what was found inside this one is part of its text
        while (this.pending.length > 0 && (this.pending[this.pending.length - 1] as Pending).at >= start) {
          this.pending.pop();
        }
        this.pending.push({ at: start, text: entry.text, entry });
      } else if (this.kinds.length === 0 && !this.pending.some((p) => p.at >= start)) {
        // a top-level object that holds no record: passed on as it is (with a line end of its own)
        this.pending.push({ at: start, text: Buffer.from(buf.subarray(start - base, i + 1)), entry: undefined });
        this.pending.push({ at: start, text: NEWLINE, entry: undefined });
      }
    } else if (kind !== ARRAY && !readable && this.kinds.length === 0 && this.lastRecordAt < start) {
      // a top-level object too long to read, with no record inside (a record of a 5 MB text): said, not dropped
      this.oversized++;
    }
    this.flush(this.outermostCandidate() ?? Number.POSITIVE_INFINITY, parts);
  }

  /** Objects open longer than MAX_RECORD_BYTES can be no record: their bytes are no longer kept. */
  private demoteLongObjects(scanned: number, parts: Buffer[]): void {
    let demoted = false;
    for (let k = 0; k < this.kinds.length; k++) {
      if (this.kinds[k] === CANDIDATE && scanned - (this.starts[k] ?? 0) > MAX_RECORD_BYTES) {
        this.kinds[k] = NO_RECORD;
        demoted = true;
      }
    }
    if (demoted) this.flush(this.outermostCandidate() ?? Number.POSITIVE_INFINITY, parts);
  }

  /** Where the outermost open object that may still be a record starts, if one is open. */
  private outermostCandidate(): number | undefined {
    const k = this.kinds.indexOf(CANDIDATE);
    return k < 0 ? undefined : this.starts[k];
  }

  /** Passes on the texts found before `limit` (no open object can claim them). */
  private flush(limit: number, parts: Buffer[]): void {
    let k = 0;
    while (k < this.pending.length && (this.pending[k] as Pending).at < limit) {
      const p = this.pending[k] as Pending;
      if (p.entry === undefined) this.emit(p.text, parts);
      else this.emitTimed(p.text, p.entry.stamp, parts);
      k++;
    }
    if (k > 0) this.pending.splice(0, k);
  }
}

/** Share (in fifths) of the head that text between top-level values may take. */
const TEXT_FIFTHS = 1;

/**
 * Whether a text's head is JSON log records that are not one per line (json-lines.ts is asked first): a record
 * closes within it, and lines of text between top-level values (Kamailio's `WARNING: no fork mode` before its
 * `json:N` records) are at most a fifth of it, none a SIP start line: a SIP log whose bodies hold JSON (`{"message":
 * ...}`) has its start lines there.
 */
export const isJsonObjects = (head: Buffer): boolean => {
  if (!head.includes(OPEN_BRACE)) return false;
  const probe = new JsonObjectsDecoder();
  probe.feed(head, false);
  return probe.records > 0 && probe.sipLines === 0 && probe.textBytes * 5 <= head.length * TEXT_FIFTHS;
};
