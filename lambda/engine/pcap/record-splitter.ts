/**
 * Cuts a byte stream that arrives in arbitrary chunks into whole records (a pcap file header,
 * a pcap packet record, a pcapng block). Records that lie inside one chunk are handed over in
 * place; only a record that straddles a chunk boundary is copied, so at most one partial record
 * is ever held, whatever the file size.
 */

/** What a record-oriented capture format tells the splitter. */
export interface RecordLayout {
  /** Bytes needed before `recordLength` can be asked, in the current state. */
  headerBytes(): number;
  /** Total length of the record at `pos` (header included), or `CORRUPT` when it cannot be a record. */
  recordLength(buf: Buffer, pos: number): number;
  /** One whole record [start, end). The bytes may be overwritten once this returns. Returns false to stop reading. */
  record(buf: Buffer, start: number, end: number): boolean;
  /**
   * Optional fast path: hands over every record from `pos` that lies whole in [pos, end) and
   * returns where it stopped. It stops, leaving the record to the calls above, at one that does
   * not fit, that `recordLength` would call corrupt, or that needs more than `record` does.
   */
  recordsInPlace?(buf: Buffer, pos: number, end: number): number;
}

/** `recordLength` result for bytes that cannot start a record: nothing after them can be trusted. */
export const CORRUPT = -1;

const INITIAL_PARTIAL_BYTES = 64 * 1024;

/** Push splitter: feed chunks, it calls `layout.record` once per whole record. */
export class RecordSplitter {
  private partial: Buffer = Buffer.allocUnsafe(INITIAL_PARTIAL_BYTES);
  private partialLen = 0;
  private stoppedAt: 'corrupt' | 'layout' | null = null;

  constructor(private readonly layout: RecordLayout) {}

  /** Bytes of an unfinished record held at this moment (after the last chunk: the file was cut). */
  get pendingBytes(): number {
    return this.partialLen;
  }

  /** True once a record length made no sense: the rest of the input was skipped. */
  get corrupt(): boolean {
    return this.stoppedAt === 'corrupt';
  }

  /** True once reading stopped, for a corrupt record or because the layout asked to. */
  get stopped(): boolean {
    return this.stoppedAt !== null;
  }

  /** Consumes one chunk; the chunk is not referenced after this returns. */
  feed(chunk: Buffer): void {
    if (this.stoppedAt !== null) return;
    let pos = 0;
    const end = chunk.length;
    if (this.partialLen > 0) {
      pos = this.completePartial(chunk);
      if (pos < 0) return;
    }
    const layout = this.layout;
    while (this.stoppedAt === null) {
      if (layout.recordsInPlace !== undefined) pos = layout.recordsInPlace(chunk, pos, end);
      const need = layout.headerBytes();
      if (end - pos < need) break;
      const len = this.checkedLength(chunk, pos, need);
      if (len < 0) return;
      if (end - pos < len) break;
      if (!layout.record(chunk, pos, pos + len)) this.stoppedAt = 'layout';
      pos += len;
    }
    if (this.stoppedAt === null && pos < end) this.keep(chunk, pos, end);
  }

  /** Length of the record at `pos`, or -1 after marking the input corrupt. */
  private checkedLength(buf: Buffer, pos: number, headerBytes: number): number {
    const len = this.layout.recordLength(buf, pos);
    // a record shorter than its own header would never advance: that is corruption too
    if (len === CORRUPT || len < headerBytes || len < 1) {
      this.stoppedAt = 'corrupt';
      this.partialLen = 0;
      return -1;
    }
    return len;
  }

  /** Fills the held partial record from `chunk`; returns the bytes of `chunk` used, or -1 if all were. */
  private completePartial(chunk: Buffer): number {
    let used = 0;
    const need = this.layout.headerBytes();
    if (this.partialLen < need) {
      used = this.append(chunk, 0, Math.min(chunk.length, need - this.partialLen));
      if (this.partialLen < need) return -1;
    }
    const len = this.checkedLength(this.partial, 0, need);
    if (len < 0) return -1;
    this.reserve(len);
    used += this.append(chunk, used, Math.min(chunk.length, used + len - this.partialLen));
    if (this.partialLen < len) return -1;
    this.partialLen = 0;
    if (!this.layout.record(this.partial, 0, len)) {
      this.stoppedAt = 'layout';
      return -1;
    }
    return used;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    this.partialLen = 0;
    this.reserve(to - from);
    this.append(chunk, from, to);
  }

  private append(chunk: Buffer, from: number, to: number): number {
    chunk.copy(this.partial, this.partialLen, from, to);
    this.partialLen += to - from;
    return to - from;
  }

  private reserve(bytes: number): void {
    if (this.partial.length >= bytes) return;
    const grown = Buffer.allocUnsafe(Math.max(bytes, this.partial.length * 2));
    this.partial.copy(grown, 0, 0, this.partialLen);
    this.partial = grown;
  }
}
