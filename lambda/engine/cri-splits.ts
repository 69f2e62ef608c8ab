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
    return this.bytes[stream] > 0 || this.held[stream].length > 0;
  }

  /**
   * Holds a part (a `P` record's text, copied) of a line of `stream` printed at `time`; returns what must be passed
   * on at once instead (the held text, when this part would take it over the bound), else undefined.
   */
  hold(stream: CriStream, text: Buffer, time: string): Buffer | undefined {
    const over = this.bytes[stream] + text.length > this.maxBytes ? this.take(stream) : undefined;
    if (!this.holds(stream)) this.times[stream] = time;
    this.held[stream].push(Buffer.from(text));
    this.bytes[stream] += text.length;
    return over;
  }

  /** The line of `stream` its last part `text` completes, and the time of its first part. */
  complete(stream: CriStream, text: Buffer, time: string): { readonly line: Buffer; readonly time: string } {
    const first = this.holds(stream) ? (this.times[stream] ?? time) : time;
    this.held[stream].push(text);
    return { line: this.take(stream), time: first };
  }

  /** Every held part, stream by stream (the input ended before their lines' last parts). */
  drain(): Buffer {
    const out = Buffer.concat([this.take('stdout'), this.take('stderr')]);
    return out;
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
