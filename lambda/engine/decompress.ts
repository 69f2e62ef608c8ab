import type { InflateRaw } from 'node:zlib';
import { CorruptGzipError, TruncatedGzipError, UnreadableFileError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import { zlib } from './lazy-zlib.js';

/**
 * gzip (RFC 1952), member after member, as `gzip -d` reads it: a file may hold several members
 * (`cat a.gz b.gz`, or a log grown with `gzip -c more >> log.gz`). We parse each member's header
 * and trailer ourselves and hand only its deflate data to zlib's raw inflater.
 *
 * The inflater runs synchronously on the caller's thread, pulled by the reader, and writes into a buffer the
 * reader owns (or the caller's own: `readInto`). Node's zlib stream ran it on libuv's pool but handed out each
 * inflated MiB in a fresh buffer; V8 counts those as external memory and collected them late, so a gzip's scan
 * kept ~50 MiB more than its text's (a 10 GiB gzip peaked at 185 MiB against issue 17's 150) and ran 3-4 times as
 * many mark-compacts, which took more time than the overlap gave. Node has no public API that inflates a stream
 * into a given buffer; its own synchronous path (`zlib.inflateRawSync`) calls the handle's `writeSync`, which this
 * module calls too (checked at first use, with a clear error if a Node release ever drops it).
 *
 * The verdict is a function of the compressed bytes alone, never of how they were chunked or read:
 * - the deflate data is written to zlib in slices cut at fixed offsets from the member's start, and every write
 *   starts with an empty output window of INFLATE_CHUNK_BYTES, so even the output lost with a failing write is
 *   the same for every chunking and every reader;
 * - the member's end is where zlib says its deflate stream ended (input it did not consume), not where a
 *   chunk ended, so bytes after the last member are seen as what they are: zeros are padding,
 *   anything else is trailing garbage (an anomaly, as gzip(1) warns and ignores it).
 */

/** Output window of one inflate call: a read of at least this much is inflated in place, a smaller one is copied. */
export const INFLATE_CHUNK_BYTES = 1024 * 1024;
/** Compressed bytes per write, at fixed offsets from the member start. */
const WRITE_SLICE_BYTES = 1024 * 1024;

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

/** Compressed bytes asked of a ByteReader per read (and the queue's first size). */
const READ_BYTES = 1024 * 1024;

/**
 * Pull reader over the compressed bytes, kept in one buffer of its own (moved to its front as they are used, grown
 * only for a header longer than it): no buffer per chunk or per slice. After the input's chunks (for a local file,
 * the head the engine sniffed) it reads on with the ByteReader it was given, so a gzip's compressed bytes make no
 * garbage either.
 *
 * A view `peek` or `take` returns stays valid until the next `fill`.
 */
class ByteQueue {
  private buf: Buffer = Buffer.allocUnsafe(2 * READ_BYTES);
  private start = 0;
  private end = 0;
  /** Input offset of buf[start]: the bytes taken (or skipped) so far. */
  private at = 0;
  private done = false;
  /** The input's chunks are all read: the reader, if any, reads on. */
  private inputDone = false;
  /** `buf` is a chunk of the input's, read in place (never written to). */
  private borrowed = false;
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(
    input: AsyncIterable<Uint8Array>,
    private readonly reader?: ByteReader,
  ) {
    this.it = input[Symbol.asyncIterator]();
  }

  private get length(): number {
    return this.end - this.start;
  }

  /** Buffers at least `n` bytes, or all that is left; returns how many are buffered. */
  async fill(n: number): Promise<number> {
    while (this.length < n && !this.done) {
      if (this.inputDone) {
        if (this.reader === undefined) {
          this.done = true;
          break;
        }
        this.makeRoom(READ_BYTES);
        const got = await this.reader.readInto(this.buf, this.end, this.buf.length - this.end);
        if (got === 0) this.done = true;
        this.end += got;
        continue;
      }
      const r = await this.it.next();
      if (r.done) {
        this.inputDone = true;
        continue;
      }
      const c = r.value;
      if (this.length === 0 && c.byteLength > this.buf.length) {
        // a chunk larger than the buffer, nothing else buffered: read where it lies (a copy would hold it twice)
        this.buf = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
        this.start = 0;
        this.end = c.byteLength;
        this.borrowed = true;
        continue;
      }
      this.makeRoom(c.byteLength);
      this.buf.set(c, this.end);
      this.end += c.byteLength;
    }
    return this.length;
  }

  /** Room for `n` more bytes after the buffered ones: they move to the front, into a larger buffer if need be. */
  private makeRoom(n: number): void {
    if (!this.borrowed && this.buf.length - this.end >= n) return;
    const length = this.length;
    if (this.borrowed || length + n > this.buf.length) {
      // an input's chunk is never written to: what is left of it moves into a buffer of the queue's own
      const grown = Buffer.allocUnsafe(Math.max(this.borrowed ? 2 * READ_BYTES : 2 * this.buf.length, length + n));
      this.borrowed = false;
      this.buf.copy(grown, 0, this.start, this.end);
      this.buf = grown;
    } else this.buf.copyWithin(0, this.start, this.end);
    this.start = 0;
    this.end = length;
  }

  /** The first `n` buffered bytes (at most what is buffered), without taking them. */
  peek(n: number): Buffer {
    return this.buf.subarray(this.start, this.start + Math.min(n, this.length));
  }

  /** Input offset of the next byte to be taken. */
  get position(): number {
    return this.at;
  }

  /** Takes the first `n` buffered bytes. */
  take(n: number): Buffer {
    const out = this.peek(n);
    this.start += out.length;
    this.at += out.length;
    return out;
  }

  /** Drops the first `n` buffered bytes. */
  skip(n: number): void {
    const k = Math.min(n, this.length);
    this.start += k;
    this.at += k;
  }

  /** Gives back the last `n` bytes taken (what zlib did not consume after a member's end); no fill since. */
  giveBack(n: number): void {
    this.start -= n;
    this.at -= n;
  }

  /** Reads and drops everything left; returns whether any of it was not a zero byte. */
  async drainNonZero(): Promise<boolean> {
    let nonZero = false;
    for (;;) {
      if (!nonZero && this.peek(this.length).some((b) => b !== 0)) nonZero = true;
      this.at += this.length;
      this.start = this.end;
      if (this.done) return nonZero;
      await this.fill(1);
    }
  }

  /** Reads nothing more and ends the input's iteration (a stream left mid-way is destroyed, not left open). */
  stop(): void {
    this.done = true;
    this.it.return?.(undefined).catch(() => undefined);
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
      // only the first MAX_HEADER_BYTES are searched, however many are buffered: the verdict is the bytes' alone
      const z = q.peek(Math.min(got, MAX_HEADER_BYTES)).indexOf(0, from);
      if (z >= 0) {
        len = z + 1;
        break;
      }
      // a name or comment this long is damage, not a header (and re-reading it would be quadratic)
      if (got >= MAX_HEADER_BYTES) return 'not-gzip';
      from = got;
    }
  }
  if (flags & FHCRC) len += 2;
  if ((await q.fill(len)) < len) return 'truncated';
  return len;
};

const truncated = (decompressedBytes: number): TruncatedGzipError =>
  new TruncatedGzipError(`gzip stream is truncated after ${decompressedBytes} decompressed bytes`, {
    decompressedBytes,
  });

/** The part of zlib's native handle its synchronous path uses (lib/zlib.js, processChunkSync). */
interface SyncZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
}
interface SyncInflater {
  readonly handle: SyncZlibHandle;
  /** Output room and input left after the last write (zlib's write state). */
  readonly state: Uint32Array;
  readonly stream: InflateRaw;
}

/** A raw inflater driven through the handle's synchronous writes; undefined if this Node's zlib has none. */
const syncInflater = (): SyncInflater | undefined => {
  const stream = zlib().createInflateRaw();
  // the error is read from `errored` right after the write; the event that follows must not go unhandled
  stream.on('error', () => undefined);
  const internals = stream as unknown as { _handle?: Partial<SyncZlibHandle>; _writeState?: unknown };
  const handle = internals._handle;
  const state = internals._writeState;
  if (typeof handle?.writeSync !== 'function' || !(state instanceof Uint32Array) || state.length < 2) {
    stream.destroy();
    return undefined;
  }
  return { handle: handle as SyncZlibHandle, state, stream };
};

/** A synchronous raw inflater; a coded error, before a byte is inflated, on a Node whose zlib has none. */
const requireSyncInflater = (): SyncInflater => {
  const z = syncInflater();
  if (z !== undefined) return z;
  throw new UnreadableFileError(
    `gzip input cannot be read on this Node (${process.version}): its zlib has no synchronous handle (Node 20.15 to 24 have one)`,
  );
};

/** The member being inflated: its inflater, the slice of deflate data being written, its output so far. */
interface Member {
  readonly z: SyncInflater;
  slice: Buffer;
  sliceAt: number;
  /** zlib said the deflate stream ended (it left input unconsumed): the trailer is next. */
  ended: boolean;
  /** The last write left output room: zlib holds nothing more for the input it was given. */
  drained: boolean;
  bytes: number;
  crc: number;
}

/** Options of a GunzipReader. */
export interface GunzipOptions {
  /** Told when bytes that are neither a member nor zero padding follow the last member. */
  readonly onTrailingGarbage?: () => void;
  /**
   * Told where each member starts: its header's offset in the compressed input and the inflated bytes before it
   * (a growing gzip log resumes at a member, lambda/growth).
   */
  readonly onMember?: (compressedAt: number, inflatedAt: number) => void;
  /** Reads the compressed bytes that follow the input's chunks (a local file after its head: no buffer per chunk). */
  readonly reader?: ByteReader;
  /** Output window of each write. @default INFLATE_CHUNK_BYTES */
  readonly windowBytes?: number;
}

/**
 * Inflates a gzip stream of one or more members, pulled: each read inflates on the caller's thread, so
 * memory stays one output window whatever the input (a zip bomb's slice inflates a window at a time).
 * Read it as an AsyncIterable of fresh Buffers or with `readInto` (straight into the caller's buffer), from the
 * same position. Every byte inflated before an error is handed out before the error is thrown. Bytes after the
 * last member that are not another member are reported through `onTrailingGarbage` (zeros are padding).
 */
export class GunzipReader implements ByteReader, AsyncIterable<Buffer> {
  private readonly q: ByteQueue;
  private member: Member | undefined;
  private members = 0;
  /** Bytes inflated by the members before the current one. */
  private before = 0;
  private done = false;
  /** What stopped the reader, thrown again by every later read. */
  private failure: unknown;
  /** The output window when the caller's buffer is smaller than one (its bytes not handed out yet follow). */
  private window: Buffer | undefined;
  private windowAt = 0;
  private windowEnd = 0;

  private readonly onTrailingGarbage: (() => void) | undefined;
  private readonly onMember: ((compressedAt: number, inflatedAt: number) => void) | undefined;
  /** Bytes of one write's output window (INFLATE_CHUNK_BYTES but in tests). */
  private readonly windowBytes: number;

  /** @param input the compressed bytes (with `options.reader`, the first of them: the reader reads on after its end) */
  constructor(input: AsyncIterable<Uint8Array>, options: GunzipOptions = {}) {
    this.q = new ByteQueue(input, options.reader);
    this.onTrailingGarbage = options.onTrailingGarbage;
    this.onMember = options.onMember;
    this.windowBytes = options.windowBytes ?? INFLATE_CHUNK_BYTES;
  }

  async readInto(buf: Buffer, offset: number, length: number): Promise<number> {
    if (length <= 0) return 0;
    if (this.windowAt === this.windowEnd) {
      const w = this.windowBytes;
      if (length >= w) return this.inflate(buf.subarray(offset, offset + w));
      this.window ??= Buffer.allocUnsafe(w);
      this.windowAt = 0;
      this.windowEnd = 0;
      this.windowEnd = await this.inflate(this.window);
    }
    const n = Math.min(length, this.windowEnd - this.windowAt);
    (this.window as Buffer).copy(buf, offset, this.windowAt, this.windowAt + n);
    this.windowAt += n;
    return n;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        // a fresh buffer per chunk (a consumer may keep one); a window mostly empty is not kept whole
        const out = Buffer.allocUnsafe(this.windowBytes);
        const n = await this.readInto(out, 0, out.length);
        if (n === 0) return;
        yield n * 4 >= out.length ? out.subarray(0, n) : Buffer.from(out.subarray(0, n));
      }
    } finally {
      // read to its end, stopped early or failed: the member's zlib handle goes now, not at a GC
      await this.close();
    }
  }

  /**
   * Stops: later reads return 0 (the error that stopped a read is thrown again), zlib's memory is freed and the
   * input's iteration ended.
   */
  async close(): Promise<void> {
    this.done = true;
    this.q.stop();
    this.windowAt = 0;
    this.windowEnd = 0;
    this.member?.z.stream.destroy();
    this.member = undefined;
  }

  /**
   * Inflates the next output into `out` (a whole, empty window); 0 at the end of the last member. An error ends the
   * reader: it is thrown again by every later read.
   */
  private async inflate(out: Buffer): Promise<number> {
    if (this.failure !== undefined) throw this.failure;
    try {
      return await this.inflateNext(out);
    } catch (e) {
      this.failure = e;
      await this.close();
      throw e;
    }
  }

  private async inflateNext(out: Buffer): Promise<number> {
    while (!this.done) {
      const m = this.member ?? (await this.nextMember());
      if (m === undefined) break;
      if (m.ended) {
        await this.endMember(m);
        continue;
      }
      // a write that filled its window may hold more output for the same input: the next one is given no new input
      if (m.sliceAt === m.slice.length && m.drained && !(await this.nextSlice(m)))
        throw truncated(this.before + m.bytes);
      // closed while the input was read: its zlib handle is gone, and a write to it would abort the process
      if (this.done) break;
      const n = this.write(m, out);
      if (n > 0) return n;
    }
    this.done = true;
    return 0;
  }

  /** One write of the member's current slice into `out`; returns the bytes inflated. */
  private write(m: Member, out: Buffer): number {
    const { handle, state, stream } = m.z;
    const inLength = m.slice.length - m.sliceAt;
    handle.writeSync(zlib().constants.Z_SYNC_FLUSH, m.slice, m.sliceAt, inLength, out, 0, out.length);
    const failure = stream.errored;
    if (failure !== null) {
      const msg = failure.message;
      const total = this.before + m.bytes;
      if (/unexpected end/i.test(msg)) throw truncated(total);
      throw new CorruptGzipError(`gzip stream is corrupt after ${total} decompressed bytes: ${msg}`, {
        decompressedBytes: total,
      });
    }
    const room = state[0] ?? 0;
    const inLeft = state[1] ?? 0;
    const n = out.length - room;
    m.sliceAt += inLength - inLeft;
    // output room left with input not taken: the deflate stream ended (its trailer and what follows are in the slice)
    if (room > 0 && inLeft > 0) m.ended = true;
    m.drained = room > 0;
    if (n > 0) {
      m.bytes += n;
      m.crc = zlib().crc32(out.subarray(0, n), m.crc);
    }
    return n;
  }

  /** Takes the member's next slice of deflate data; false when the input ended first. */
  private async nextSlice(m: Member): Promise<boolean> {
    const n = await this.q.fill(WRITE_SLICE_BYTES);
    if (n === 0) return false;
    m.slice = this.q.take(Math.min(n, WRITE_SLICE_BYTES));
    m.sliceAt = 0;
    return true;
  }

  /** Reads the next member's header; undefined after the last member (trailing bytes judged). */
  private async nextMember(): Promise<Member | undefined> {
    const q = this.q;
    if (this.members > 0 && (await q.atEnd())) return undefined;
    const header = await readHeader(q);
    if (header === 'not-gzip') {
      if (this.members === 0)
        throw new CorruptGzipError('gzip stream is corrupt: not a gzip header', { decompressedBytes: 0 });
      if (await q.drainNonZero()) this.onTrailingGarbage?.();
      return undefined;
    }
    if (header === 'truncated') throw truncated(this.before);
    if (this.done) return undefined;
    const z = requireSyncInflater();
    this.onMember?.(q.position, this.before);
    q.skip(header);
    this.members++;
    this.member = { z, slice: Buffer.alloc(0), sliceAt: 0, ended: false, drained: true, bytes: 0, crc: 0 };
    return this.member;
  }

  /** Checks the trailer of a member whose deflate stream ended (RFC 1952 §2.3.1: CRC-32, then size mod 2^32). */
  private async endMember(m: Member): Promise<void> {
    const q = this.q;
    // what zlib did not consume is the trailer and what follows (the slice is the last bytes taken)
    q.giveBack(m.slice.length - m.sliceAt);
    m.z.stream.destroy();
    this.member = undefined;
    this.before += m.bytes;
    const total = this.before;
    if ((await q.fill(TRAILER_BYTES)) < TRAILER_BYTES) throw truncated(total);
    const trailer = q.take(TRAILER_BYTES);
    if (trailer.readUInt32LE(0) !== m.crc >>> 0 || trailer.readUInt32LE(4) !== m.bytes % 2 ** 32) {
      throw new CorruptGzipError(`gzip stream is corrupt after ${total} decompressed bytes: CRC or size mismatch`, {
        decompressedBytes: total,
      });
    }
  }
}

/** The inflated bytes of a gzip stream as chunks (GunzipReader read as an AsyncIterable). */
export const gunzipChunks = (
  input: AsyncIterable<Uint8Array>,
  options: Pick<GunzipOptions, 'onTrailingGarbage' | 'onMember'> = {},
): AsyncIterable<Buffer> => new GunzipReader(input, options);
