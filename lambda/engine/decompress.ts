import { Readable } from 'node:stream';
import { createGunzip, constants as zc } from 'node:zlib';
import { CorruptGzipError, TruncatedGzipError } from '../errors.js';

/** Output chunk size of the inflater: large chunks keep per-chunk overhead low in the scanner. */
export const INFLATE_CHUNK_BYTES = 256 * 1024;
/** Compressed bytes per write to the inflater (bounds what an error can cost, see gunzipChunks). */
const WRITE_SLICE_BYTES = 64 * 1024;

/** Cuts input chunks into slices of at most WRITE_SLICE_BYTES. */
async function* slices(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const c of input) {
    for (let i = 0; i < c.byteLength; i += WRITE_SLICE_BYTES) yield c.subarray(i, i + WRITE_SLICE_BYTES);
  }
}

/** Inflated chunks queued ahead of the scanner before the inflater is paused. */
const MAX_QUEUED_CHUNKS = 8;

const toGzipError = (e: unknown, out: number): Error => {
  const err = e as NodeJS.ErrnoException & { errno?: number };
  if (err.code === 'Z_BUF_ERROR' || err.errno === zc.Z_BUF_ERROR || /unexpected end/i.test(err.message ?? '')) {
    return new TruncatedGzipError(`gzip stream is truncated after ${out} decompressed bytes`, {
      decompressedBytes: out,
    });
  }
  if (typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return new CorruptGzipError(`gzip stream is corrupt after ${out} decompressed bytes: ${err.message}`, {
      decompressedBytes: out,
    });
  }
  return err instanceof Error ? err : new Error(String(e));
};

/**
 * Inflates a gzip stream, member after member (RFC 1952 §2.2: a file may hold several members,
 * as `cat a.gz b.gz` makes). zlib runs on libuv's thread pool, so inflating overlaps with the
 * caller scanning the previous chunk on the main thread. Every byte inflated before an error is
 * yielded before the error is thrown (a Readable's async iterator would drop them).
 */
export async function* gunzipChunks(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  // Z_SYNC_FLUSH after every write: all that a write inflates is emitted before the next write,
  // so an error (a cut or damaged member) loses at most what the failing slice would have given.
  const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES, flush: zc.Z_SYNC_FLUSH });
  const source = Readable.from(slices(input), { objectMode: false });
  const queue: Buffer[] = [];
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  source.on('error', (e) => gunzip.destroy(e));
  gunzip.on('data', (c: Buffer) => {
    queue.push(c);
    if (queue.length >= MAX_QUEUED_CHUNKS) gunzip.pause();
    notify();
  });
  gunzip.on('end', () => {
    ended = true;
    notify();
  });
  gunzip.on('error', (e) => {
    failure = e;
    ended = true;
    notify();
  });
  source.pipe(gunzip);
  let out = 0;
  try {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        if (queue.length < MAX_QUEUED_CHUNKS / 2) gunzip.resume();
        out += next.length;
        yield next;
        continue;
      }
      if (ended) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    // Bytes after the last member that are not another member are an error (CORRUPT_GZIP), as
    // zlib reports them. Not ignored like gzip(1) does: zlib drops the output of the write that
    // failed, so what came out before the junk would depend on where the input was cut.
    if (failure !== undefined) throw toGzipError(failure, out);
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}
