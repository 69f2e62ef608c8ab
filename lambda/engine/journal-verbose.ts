import { withLineEnd } from './json-entry.js';
import { LineRewriter } from './line-rewriter.js';
import type { LogStamp } from './log-stamp.js';

/**
 * `journalctl -o verbose`: each entry a line with its time and cursor, then its fields, one per line indented by four
 * spaces (`    MESSAGE=INFO: <script>: SIP/2.0 180 Ringing`), the further lines of a value of several lines (a whole
 * SIP message a proxy logged, CRs kept) indented to where the value starts. Read as text, the fields were no log
 * (`UNKNOWN_FORMAT`); each entry's MESSAGE is passed on as the program wrote it, at the entry's time, with the line
 * end journald trimmed put back as for `-o json`. Only MESSAGE is read: SYSLOG_RAW holds the same message again.
 * The time is the cursor's `t=` (microseconds since the epoch, in hex), not the printed local time. Without `-a`
 * journalctl prints a value holding a control character as `[525B blob data]`, so give it `-a`.
 */

/** An entry's first line: its printed time, then its cursor, whose `t=` is the time in microseconds (hex). */
const ENTRY_LINE = /^\S.* \[s=[0-9a-f]+;i=[0-9a-f]+;b=[0-9a-f]+;m=[0-9a-f]+;t=([0-9a-f]{1,14});x=[0-9a-f]+\]\r?$/;
const FIELD_INDENT = '    ';
const MESSAGE_FIELD = `${FIELD_INDENT}MESSAGE=`;
/** Further lines of a value start where its first line's value did. */
const CONTINUATION = ' '.repeat(MESSAGE_FIELD.length);
const LF = 0x0a;
const NEWLINE = Buffer.from('\n', 'latin1');
const MAX_LINE_BYTES = 4 * 1024 * 1024;
/**
 * A message longer than this is skipped and reported (`message-too-large`), as journal-export.ts skips a value: a line
 * longer than MAX_LINE_BYTES comes in parts cut where the chunks fall, so only a bound below it keeps the output the
 * same however the input is cut, and memory bounded.
 */
const MAX_MESSAGE_BYTES = MAX_LINE_BYTES;
/** The head's lines judged (an entry's first line must be the head's first). */
const SNIFF_LINE_BYTES = 512;

/** Whether a text's head is `journalctl -o verbose` output: its first line is an entry's. */
export const isJournalVerbose = (head: Buffer): boolean => {
  const lf = head.indexOf(LF);
  const first = head.toString('latin1', 0, lf < 0 ? Math.min(head.length, SNIFF_LINE_BYTES) : lf);
  return ENTRY_LINE.test(first) && head.includes(MESSAGE_FIELD, 0, 'latin1');
};

/** Takes each entry's MESSAGE out of `journalctl -o verbose`, and keeps where each entry's time took effect. */
export class JournalVerboseDecoder extends LineRewriter {
  /** The lines of the entry's MESSAGE so far, and whether its value goes on (no other field has started yet). */
  private message: Buffer[] | undefined;
  private inMessage = false;
  /** Bytes of the message so far (its line ends included). */
  private messageBytes = 0;
  private stamp: LogStamp | undefined;

  constructor() {
    super(MAX_LINE_BYTES);
  }

  protected line(buf: Buffer, ls: number, end: number, parts: Buffer[]): void {
    // a line too long to hold is passed on in parts: the parts after the first are read as no field
    const continued = this.midLine;
    this.midLine = false;
    if (continued) return;
    const le = buf[end - 1] === LF ? end - 1 : end;
    const head = buf.toString('latin1', ls, Math.min(le, ls + MESSAGE_FIELD.length));
    if (head.startsWith(CONTINUATION)) {
      // copied: the chunk the line lies in may be reused once it is read
      if (this.inMessage) this.append(buf, ls + CONTINUATION.length, le, true);
      return;
    }
    if (head.startsWith(FIELD_INDENT)) {
      // another field ends the message's value
      this.inMessage = head === MESSAGE_FIELD;
      if (this.inMessage) {
        this.message = [];
        this.messageBytes = 0;
        this.append(buf, ls + MESSAGE_FIELD.length, le, false);
      }
      return;
    }
    const entry = ENTRY_LINE.exec(buf.toString('latin1', ls, le));
    if (entry === null) return;
    this.endEntry(parts);
    this.stamp = { kind: 'utc', wallMs: Math.floor(Number.parseInt(entry[1] ?? '', 16) / 1000) };
  }

  /** Adds a line of the message (after a line end when it is not the first), or drops a message grown too long. */
  private append(buf: Buffer, start: number, end: number, lineEnd: boolean): void {
    if (this.message === undefined) return;
    this.messageBytes += end - start + (lineEnd ? 1 : 0);
    if (this.messageBytes > MAX_MESSAGE_BYTES) {
      this.oversized++;
      this.message = undefined;
      return;
    }
    if (lineEnd) this.message.push(NEWLINE);
    this.message.push(Buffer.from(buf.subarray(start, end)));
  }

  protected override ended(parts: Buffer[]): void {
    this.endEntry(parts);
  }

  /** The entry's end: its message passed on, at its time. */
  private endEntry(parts: Buffer[]): void {
    const message = this.message;
    this.message = undefined;
    this.inMessage = false;
    if (message === undefined) return;
    const text = withLineEnd(Buffer.concat(message));
    if (text.length <= 1) return;
    this.emitTimed(text, this.stamp, parts);
  }
}
