import { Readable } from 'node:stream';
import { createGunzip, constants as zc } from 'node:zlib';
import { CorruptGzipError, TruncatedGzipError } from '../errors.js';

/** Output chunk size of the inflater: large chunks keep per-chunk overhead low in the scanner. */
export const INFLATE_CHUNK_BYTES = 256 * 1024;

/**
 * Inflates a gzip stream, member after member (RFC 1952 §2.2: a file may hold several members,
 * as `cat a.gz b.gz` makes). zlib runs on libuv's thread pool, so inflating overlaps with the
 * caller scanning the previous chunk on the main thread.
 */
export async function* gunzipChunks(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
  const source = Readable.from(input, { objectMode: false });
  source.on('error', (e) => gunzip.destroy(e));
  source.pipe(gunzip);
  let out = 0;
  try {
    for await (const chunk of gunzip) {
      out += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { errno?: number };
    if (err.code === 'Z_BUF_ERROR' || err.errno === zc.Z_BUF_ERROR || /unexpected end/i.test(err.message)) {
      throw new TruncatedGzipError(`gzip stream is truncated after ${out} decompressed bytes`, {
        decompressedBytes: out,
      });
    }
    if (err.code?.startsWith('Z_')) {
      throw new CorruptGzipError(`gzip stream is corrupt after ${out} decompressed bytes: ${err.message}`, {
        decompressedBytes: out,
      });
    }
    throw e;
  } finally {
    source.destroy();
  }
}
