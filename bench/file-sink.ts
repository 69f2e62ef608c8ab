import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

/**
 * Buffered file output for the generators: text is gathered into multi-megabyte writes (one
 * syscall per few thousand messages) and every write waits for the stream to drain, so memory
 * stays flat however large the file grows.
 */

/** Characters of text gathered before one write. */
const TEXT_FLUSH_CHARS = 4 * 1024 * 1024;

/** Appends to a file with back-pressure. */
export class FileSink {
  /** Bytes accepted so far (written or still gathered). */
  bytes = 0;
  private readonly out: WriteStream;
  private parts: string[] = [];
  private gathered = 0;

  constructor(path: string) {
    this.out = createWriteStream(path, { highWaterMark: 8 * 1024 * 1024 });
  }

  /** Gathers ASCII text; call flushIfFull() now and then. */
  text(s: string): void {
    this.parts.push(s);
    this.gathered += s.length;
    this.bytes += s.length;
  }

  /** Whether enough text is gathered to be worth a write. */
  get full(): boolean {
    return this.gathered >= TEXT_FLUSH_CHARS;
  }

  /** Writes the gathered text. */
  async flush(): Promise<void> {
    if (this.gathered === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'latin1');
    this.parts = [];
    this.gathered = 0;
    if (!this.out.write(buf)) await once(this.out, 'drain');
  }

  /** Writes bytes (after any gathered text); the caller must not reuse `buf`. */
  async bytesOut(buf: Buffer): Promise<void> {
    await this.flush();
    this.bytes += buf.length;
    if (!this.out.write(buf)) await once(this.out, 'drain');
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    this.out.end();
    await finished(this.out);
  }
}
