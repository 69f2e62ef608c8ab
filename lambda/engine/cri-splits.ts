/**
 * Lines a container runtime split over records (CRI, as containerd and CRI-O write /var/log/pods files): a line over
 * the runtime's limit (16 KiB by default) is written as `TIME STREAM P part` records and a last `TIME STREAM F part`,
 * the LF after each part the runtime's, not the program's. The runtime writes stdout and stderr from two goroutines
 * into one file, so a record of the other stream can come between the parts of a line: the parts are held per stream
 * until the line's last one. Held text is bounded: past `maxBytes` what was held is passed on as it is.
 */

/** The two streams a CRI record names. */
export type CriStream = 'stdout' | 'stderr';

const EMPTY = Buffer.alloc(0);

/** The parts of each stream's split line, held until its last part. */
export class CriSplits {
  private readonly held: Record<CriStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly bytes: Record<CriStream, number> = { stdout: 0, stderr: 0 };
  private readonly times: Record<CriStream, string | undefined> = { stdout: undefined, stderr: undefined };

  constructor(private readonly maxBytes: number) {}

  /** Whether a line of `stream` has parts held (its next record goes on with it). */
  holds(stream: CriStream): boolean {
    return this.held[stream].length > 0;
  }

  /** Whether a record of `stream` (a `P` record when `partial`) is a part of a split line: a `P`, or the one after. */
  isPart(stream: CriStream | undefined, partial: boolean): stream is CriStream {
    return stream !== undefined && (partial || this.holds(stream));
  }

  /**
   * Takes the text of a split line's part printed at `time` (copied while the line goes on): undefined while it does
   * (held text this part would take over the bound is handed to `spill` first, as it is), the whole line and its first
   * part's time at its last part.
   */
  add(
    stream: CriStream,
    partial: boolean,
    text: Buffer,
    time: string,
    spill?: (held: Buffer) => void,
  ): { readonly line: Buffer; readonly time: string } | undefined {
    if (!partial) {
      const first = this.times[stream] ?? time;
      this.held[stream].push(text);
      return { line: this.take(stream), time: first };
    }
    if (this.bytes[stream] + text.length > this.maxBytes) spill?.(this.take(stream));
    if (!this.holds(stream)) this.times[stream] = time;
    this.held[stream].push(Buffer.from(text));
    this.bytes[stream] += text.length;
    return undefined;
  }

  /** Every held part, stream by stream (the input ended before their lines' last parts). */
  drain(): Buffer {
    return Buffer.concat([this.take('stdout'), this.take('stderr')]);
  }

  private take(stream: CriStream): Buffer {
    const parts = this.held[stream];
    const line = parts.length === 0 ? EMPTY : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.held[stream] = [];
    this.bytes[stream] = 0;
    this.times[stream] = undefined;
    return line;
  }
}
