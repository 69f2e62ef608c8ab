import { realtimeStamp, withLineEnd } from './json-entry.js';
import type { LogStamp } from './log-stamp.js';
import { RewrittenText } from './rewritten-text.js';

/**
 * journald's export format (`journalctl -o export`, what `systemd-journal-remote` reads): each entry a run of fields
 * ending in an empty line; a field is `NAME=value` on one line, or, when its value holds a control character (every
 * SIP message a proxy logged through syslog: its CRLFs), `NAME`, a line end, the value's length as a little-endian
 * 64-bit number, the value's bytes and a line end. Read as text, the lengths' bytes and the entries' other fields
 * were no log (`UNKNOWN_FORMAT`); each entry's MESSAGE is passed on as the program wrote it, at its
 * `__REALTIME_TIMESTAMP` (microseconds since the epoch), with the line end journald trimmed put back as for
 * `-o json`. Only MESSAGE is read: SYSLOG_RAW holds the same message again. Decisions depend on the bytes alone,
 * so the text is the same however the input is cut.
 */

/** A value longer than this is skipped (memory stays bounded) and reported. */
const MAX_VALUE_BYTES = 4 * 1024 * 1024;
/** A line (a field name, a text field) longer than this is skipped to its end and reported. */
const MAX_LINE_BYTES = 1024 * 1024;
const LF = 0x0a;
const EQUALS = 0x3d;
const SIZE_BYTES = 8;
const EMPTY = Buffer.alloc(0);
const CURSOR = Buffer.from('__CURSOR=', 'latin1');

/** Whether a text's head is journald's export format: it opens with an entry's cursor field. */
export const isJournalExport = (head: Buffer): boolean =>
  head.length >= CURSOR.length && head.subarray(0, CURSOR.length).equals(CURSOR);

/** Takes each entry's MESSAGE out of journald's export format, and keeps where each entry's time took effect. */
export class JournalExportDecoder extends RewrittenText {
  private carry: Buffer = EMPTY;
  /** The binary field whose length and value come next, if one does. */
  private binaryName: string | undefined;
  /** Bytes still to skip: an oversized value (and its line end), or the rest of an oversized line (-1: to its LF). */
  private skipping = 0;
  private message: Buffer | undefined;
  private stamp: LogStamp | undefined;

  /** Reads a chunk (and the entry left open when `final`); returns the text it completed. */
  protected feed(chunk: Buffer, final: boolean): Buffer {
    const buf = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const parts: Buffer[] = [];
    let i = 0;
    while (i < buf.length) {
      if (this.skipping !== 0) {
        if (this.skipping < 0) {
          const lf = buf.indexOf(LF, i);
          i = lf < 0 ? buf.length : lf + 1;
          if (lf >= 0) this.skipping = 0;
        } else {
          const k = Math.min(this.skipping, buf.length - i);
          i += k;
          this.skipping -= k;
        }
        continue;
      }
      if (this.binaryName !== undefined) {
        if (buf.length - i < SIZE_BYTES) break;
        const size = Number(buf.readBigUInt64LE(i));
        if (size > MAX_VALUE_BYTES) {
          this.oversized++;
          this.binaryName = undefined;
          this.skipping = SIZE_BYTES + size + 1;
          continue;
        }
        const end = i + SIZE_BYTES + size;
        // the value and the line end after it
        if (buf.length <= end) break;
        this.field(this.binaryName, buf, i + SIZE_BYTES, end);
        this.binaryName = undefined;
        i = end + 1;
        continue;
      }
      const lf = buf.indexOf(LF, i);
      if (lf < 0) {
        if (buf.length - i > MAX_LINE_BYTES) {
          this.oversized++;
          this.skipping = -1;
          i = buf.length;
        }
        break;
      }
      if (lf === i) this.endEntry(parts);
      else if (lf - i > MAX_LINE_BYTES) this.oversized++;
      else {
        // searched within the line: a search to the buffer's end per line was quadratic on text without '='
        const eq = buf.subarray(i, lf).indexOf(EQUALS);
        if (eq < 0) this.binaryName = buf.toString('latin1', i, lf);
        else this.field(buf.toString('latin1', i, i + eq), buf, i + eq + 1, lf);
      }
      i = lf + 1;
    }
    if (final) {
      // an export cut after an entry's fields (no empty line after them) still gives that entry's message
      this.endEntry(parts);
      this.carry = EMPTY;
    } else {
      this.carry = i >= buf.length ? EMPTY : Buffer.from(buf.subarray(i));
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  /** A field of the entry being read: its message and time are kept. */
  private field(name: string, buf: Buffer, start: number, end: number): void {
    if (name === 'MESSAGE') this.message = Buffer.from(buf.subarray(start, end));
    else if (name === '__REALTIME_TIMESTAMP') this.stamp = realtimeStamp(buf.toString('latin1', start, end));
  }

  /** The entry's end: its message passed on, at its time. */
  private endEntry(parts: Buffer[]): void {
    const message = this.message;
    const stamp = this.stamp;
    this.message = undefined;
    this.stamp = undefined;
    if (message === undefined || message.length === 0) return;
    const text = withLineEnd(message);
    this.emitTimed(text, stamp, parts);
  }
}
