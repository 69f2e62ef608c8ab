/**
 * An input that can read into a buffer the caller owns (a local file through `fs.read`). The engine
 * then reads a plain text log straight into its scanner's buffer, and a capture into one buffer it
 * reuses: no chunk per read, no copy of it, no garbage for the GC to find long after (issue 17: those
 * chunks, promoted to the old generation while a scan ran, were most of the peak RSS). Streams without
 * it (gzip output, S3 bodies, standard input) are read as chunks, as before.
 *
 * The same object is the input's AsyncIterable: the engine takes the first chunks to sniff the input,
 * then reads on with `readInto` from where they ended.
 */
export interface ByteReader {
  /** Reads up to `length` bytes into `buf` at `offset`, in stream order; resolves 0 at the end of the input. */
  readInto(buf: Buffer, offset: number, length: number): Promise<number>;
  /** Releases the input (a file descriptor) when the scan stops before its end. */
  close(): Promise<void>;
}

/** The input's ByteReader when it has one (the chunks of a local file do). */
export const byteReaderOf = (input: unknown): ByteReader | undefined =>
  typeof (input as Partial<ByteReader> | null)?.readInto === 'function' &&
  typeof (input as Partial<ByteReader>).close === 'function'
    ? (input as ByteReader)
    : undefined;
