import type { InflateRaw } from 'node:zlib';
import { CorruptGzipError, TruncatedGzipError } from '../errors.js';
import { zlib } from './lazy-zlib.js';
import { WakeUp } from './wake-up.js';

/**
 * gzip (RFC 1952), member after member, as `gzip -d` reads it: a file may hold several members
 * (`cat a.gz b.gz`, or a log grown with `gzip -c more >> log.gz`). We parse each member's header
 * and trailer ourselves and hand only its deflate data to zlib's raw inflater, which runs on
 * libuv's thread pool while the caller scans the previous output on the main thread.
 *
 * The verdict is a function of the compressed bytes alone, never of how they were chunked:
 * - the deflate data is written to zlib in slices cut at fixed offsets from the member's start,
 *   so even the output lost with a failing write is the same for every chunking;
 * - the member's end is where zlib says its deflate stream ended (`bytesWritten`), not where a
 *   chunk ended, so bytes after the last member are seen as what they are: zeros are padding,
 *   anything else is trailing garbage (an anomaly, as gzip(1) warns and ignores it).
 */

/**
 * Output chunk size of the inflater. Each chunk is one call on libuv's thread pool, and the next
 * call starts only when the main thread takes the last one's output: large chunks let zlib
 * inflate the next 1 MiB while the scanner works through the previous ones (larger chunks raised
 * peak RSS more than they saved).
 */
export const INFLATE_CHUNK_BYTES = 1024 * 1024;
/** Compressed bytes per write, at fixed offsets from the member start: few thread-pool round trips per file. */
const WRITE_SLICE_BYTES = 1024 * 1024;
/** Inflated bytes waiting for the scanner at which zlib is paused (a zip bomb's slice would otherwise inflate whole). */
const MAX_PENDING_OUTPUT_BYTES = 8 * 1024 * 1024;

const ID1 = 0x1f;
const ID2 = 0x8b;
const CM_DEFLATE = 8;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const TRAILER_BYTES = 8;
/** A member header longer than this (file name, comment) is taken for damage. */
const MAX_HEADER_BYTES = 1024 * 1024;

/** Pull reader over the compressed chunks, with the bytes not used yet kept in front. */
class ByteQueue {
  private readonly parts: Buffer[] = [];
  private length = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(input: AsyncIterable<Uint8Array>) {
    this.it = input[Symbol.asyncIterator]();
  }

  /** Buffers at least `n` bytes, or all that is left; returns how many are buffered. */
  async fill(n: number): Promise<number> {
    while (this.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      if (r.value.byteLength === 0) continue;
      const b = Buffer.isBuffer(r.value)
        ? r.value
        : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      this.parts.push(b);
      this.length += b.length;
    }
    return this.length;
  }

  /** The first `n` buffered bytes (at most what is buffered), without taking them. */
  peek(n: number): Buffer {
    const first = this.parts[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    const all = Buffer.concat(this.parts);
    this.parts.length = 0;
    if (all.length > 0) this.parts.push(all);
    return all.subarray(0, n);
  }

  /** Takes the first `n` buffered bytes. */
  take(n: number): Buffer {
    const out = this.peek(n);
    this.skip(out.length);
    return out;
  }

  /** Drops the first `n` buffered bytes. */
  skip(n: number): void {
    let left = n;
    while (left > 0) {
      const first = this.parts[0];
      if (first === undefined) break;
      if (first.length <= left) {
        this.parts.shift();
        left -= first.length;
        this.length -= first.length;
      } else {
        this.parts[0] = first.subarray(left);
        this.length -= left;
        left = 0;
      }
    }
  }

  /** Puts bytes back in front (what zlib did not consume after a member's end). */
  unshift(b: Buffer): void {
    if (b.length === 0) return;
    this.parts.unshift(b);
    this.length += b.length;
  }

  /** Reads and drops everything left; returns whether any of it was not a zero byte. */
  async drainNonZero(): Promise<boolean> {
    let nonZero = false;
    for (;;) {
      for (const p of this.parts) if (!nonZero && p.some((b) => b !== 0)) nonZero = true;
      this.parts.length = 0;
      this.length = 0;
      if (this.done) return nonZero;
      await this.fill(1);
    }
  }

  /** No byte is left, buffered or to come. */
  async atEnd(): Promise<boolean> {
    return (await this.fill(1)) === 0;
  }
}

/** Length of the member header at the front of the queue, or a reason it is not one. */
const readHeader = async (q: ByteQueue): Promise<number | 'not-gzip' | 'truncated'> => {
  const got = await q.fill(10);
  const h = q.peek(Math.min(got, 10));
  if (h.length >= 1 && h[0] !== ID1) return 'not-gzip';
  if (h.length >= 2 && h[1] !== ID2) return 'not-gzip';
  if (h.length >= 3 && h[2] !== CM_DEFLATE) return 'not-gzip';
  if (h.length < 10) return 'truncated';
  const flags = h[3] ?? 0;
  let len = 10;
  const need = async (n: number): Promise<Buffer | null> => ((await q.fill(n)) < n ? null : q.peek(n));
  if (flags & FEXTRA) {
    const b = await need(len + 2);
    if (b === null) return 'truncated';
    len += 2 + b.readUInt16LE(len);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    // a zero-terminated string; look for its end as bytes arrive
    let from = len;
    for (;;) {
      const got = await q.fill(from + 1);
      if (got <= from) return 'truncated';
      const z = q.peek(got).indexOf(0, from);
      if (z >= 0) {
        len = z + 1;
        break;
      }
      // a name or comment this long is damage, not a header (and re-reading it would be quadratic)
      if (got > MAX_HEADER_BYTES) return 'not-gzip';
      from = got;
    }
  }
  if (flags & FHCRC) len += 2;
  if ((await q.fill(len)) < len) return 'truncated';
  return len;
};

const zlibMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What one member inflated to so far, and what the members before it did. */
interface MemberOutput {
  readonly before: number;
  bytes: number;
  crc: number;
}

const truncated = (decompressedBytes: number): TruncatedGzipError =>
  new TruncatedGzipError(`gzip stream is truncated after ${decompressedBytes} decompressed bytes`, {
    decompressedBytes,
  });

/** Inflates one member's deflate data; yields its output; leaves the queue at the trailer. */
async function* inflateMember(q: ByteQueue, out: MemberOutput): AsyncGenerator<Buffer> {
  const { createInflateRaw, constants, crc32 } = zlib();
  const inflater: InflateRaw = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES, flush: constants.Z_SYNC_FLUSH });
  const produced: Buffer[] = [];
  let producedBytes = 0;
  let failure: unknown;
  let ended = false;
  let writeDone = false;
  /** Wakes the generator when zlib has news (output, a write's callback, an error, the end). */
  const news = new WakeUp();
  inflater.on('data', (c: Buffer) => {
    produced.push(c);
    producedBytes += c.length;
    // a zip bomb's slice inflates to ~1000x its size: zlib waits (between output chunks) until this is scanned
    if (producedBytes >= MAX_PENDING_OUTPUT_BYTES) inflater.pause();
    news.wake();
  });
  inflater.on('error', (e) => {
    failure = e;
    // zlib may never call back the write that failed
    news.wake();
  });
  inflater.on('end', () => {
    ended = true;
    news.wake();
  });
  const drain = function* (): Generator<Buffer> {
    while (produced.length > 0) {
      const c = produced.shift() as Buffer;
      producedBytes -= c.length;
      out.bytes += c.length;
      out.crc = crc32(c, out.crc);
      yield c;
    }
    // paused output is delivered (before any later error) as soon as the flow resumes
    if (inflater.isPaused()) inflater.resume();
  };
  /** Hands on output as it comes (zlib inflates the next chunk while the caller scans this one) until `done()`. */
  const pump = async function* (done: () => boolean): AsyncGenerator<Buffer> {
    for (;;) {
      yield* drain();
      if (done() || failure !== undefined) return;
      await news.wait();
    }
  };
  let fed = 0;
  let inputEnded = false;
  try {
    for (;;) {
      const n = await q.fill(WRITE_SLICE_BYTES);
      if (n === 0) {
        inputEnded = true;
        break;
      }
      const slice = q.take(Math.min(n, WRITE_SLICE_BYTES));
      fed += slice.length;
      writeDone = false;
      inflater.write(slice, () => {
        writeDone = true;
        news.wake();
      });
      yield* pump(() => writeDone);
      // zlib emits the write's output before its callback; one turn lets the last 'data' land
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (failure !== undefined) break;
      const consumed = inflater.bytesWritten;
      if (consumed < fed) {
        // the deflate stream ended inside this slice: the rest is the trailer and what follows
        q.unshift(slice.subarray(slice.length - (fed - consumed)));
        ended = true;
        break;
      }
    }
    if (inputEnded && failure === undefined && !ended) {
      inflater.end();
      yield* pump(() => ended);
    }
    yield* drain();
    if (failure !== undefined) {
      const msg = zlibMessage(failure);
      const total = out.before + out.bytes;
      if (/unexpected end/i.test(msg)) throw truncated(total);
      throw new CorruptGzipError(`gzip stream is corrupt after ${total} decompressed bytes: ${msg}`, {
        decompressedBytes: total,
      });
    }
    if (inputEnded) throw truncated(out.before + out.bytes);
  } finally {
    inflater.destroy();
  }
}

/**
 * Inflates a gzip stream of one or more members. Every byte inflated before an error is yielded
 * before the error is thrown. Bytes after the last member that are not another member are
 * reported through `onTrailingGarbage` (zeros are padding and say nothing).
 */
export async function* gunzipChunks(
  input: AsyncIterable<Uint8Array>,
  onTrailingGarbage?: () => void,
): AsyncGenerator<Buffer> {
  const q = new ByteQueue(input);
  let total = 0;
  for (let member = 0; ; member++) {
    if (member > 0 && (await q.atEnd())) return;
    const header = await readHeader(q);
    if (header === 'not-gzip') {
      if (member === 0)
        throw new CorruptGzipError('gzip stream is corrupt: not a gzip header', { decompressedBytes: 0 });
      if (await q.drainNonZero()) onTrailingGarbage?.();
      return;
    }
    if (header === 'truncated') throw truncated(total);
    q.skip(header);
    const m: MemberOutput = { before: total, bytes: 0, crc: 0 };
    yield* inflateMember(q, m);
    total += m.bytes;
    if ((await q.fill(TRAILER_BYTES)) < TRAILER_BYTES) throw truncated(total);
    const trailer = q.take(TRAILER_BYTES);
    // RFC 1952 §2.3.1: CRC-32 of the member's data, then its size modulo 2^32
    if (trailer.readUInt32LE(0) !== m.crc >>> 0 || trailer.readUInt32LE(4) !== m.bytes % 2 ** 32) {
      throw new CorruptGzipError(`gzip stream is corrupt after ${total} decompressed bytes: CRC or size mismatch`, {
        decompressedBytes: total,
      });
    }
  }
}
