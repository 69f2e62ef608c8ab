import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { constants, crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GunzipReader, gunzipChunks, INFLATE_CHUNK_BYTES } from '../../../lambda/engine/decompress.js';
import { scan } from '../../../lambda/engine/index.js';
import { CorruptGzipError, TruncatedGzipError } from '../../../lambda/errors.js';
import { chunked } from '../../support/collect.js';
import { response } from '../../support/sip-samples.js';

/** SHA-256 and length of everything a generator yields, read like a scanner busy for 50 ms with each of the first chunks. */
const digestSlowly = async (chunks: AsyncIterable<Buffer>): Promise<{ bytes: number; sha256: string }> => {
  const h = createHash('sha256');
  let bytes = 0;
  let seen = 0;
  for await (const c of chunks) {
    h.update(c);
    bytes += c.length;
    if (seen++ < 3) await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
  return { bytes, sha256: h.digest('hex') };
};

describe('gunzipChunks', () => {
  it('tells where each member starts, in the compressed input and in the inflated text, however the input is cut', async () => {
    // Prepare: three members, one with a file name and a comment in its header (gzip -N, as some shippers write)
    const texts = [response(200, 'OK').repeat(900), response(486, 'Busy Here').repeat(5), response(180, 'Ringing')];
    const named = gzipSync(texts[1] ?? '');
    const header = Buffer.from([0x1f, 0x8b, 8, 0x18, 0, 0, 0, 0, 0, 3]);
    const withName = Buffer.concat([header, Buffer.from('log.txt\0a comment\0'), named.subarray(10)]);
    const members = [gzipSync(texts[0] ?? ''), withName, gzipSync(texts[2] ?? '')];
    const gz = Buffer.concat(members);
    const want = [
      [0, 0],
      [members[0]?.length, texts[0]?.length],
      [(members[0]?.length ?? 0) + (members[1]?.length ?? 0), (texts[0]?.length ?? 0) + (texts[1]?.length ?? 0)],
    ];

    for (const cuts of [[gz.length], [1, 2, 3], [7, 1000], [members[0]?.length ?? 0, 3]]) {
      // Act
      const starts: number[][] = [];
      let text = '';
      for await (const c of gunzipChunks(chunked(gz, cuts), { onMember: (at, textAt) => starts.push([at, textAt]) }))
        text += c.toString('latin1');

      // Assess
      expect(starts).toEqual(want);
      expect(text).toBe(texts.join(''));
    }
  });

  it('inflates a member whose 1 MiB write inflates to far more than one output window, byte for byte', async () => {
    // Prepare: 24 MiB of one repeated response compresses ~1000:1, so one write yields all of it
    const text = Buffer.from(response(200, 'OK').repeat(Math.ceil((24 * 1024 * 1024) / response(200, 'OK').length)));
    const gz = Buffer.concat([gzipSync(text), gzipSync(text.subarray(0, 3 * 1024 * 1024))]);
    const want = createHash('sha256')
      .update(text)
      .update(text.subarray(0, 3 * 1024 * 1024))
      .digest('hex');

    // Act
    const got = await digestSlowly(gunzipChunks(chunked(gz, [5, 70_000])));

    // Assess
    expect(got).toEqual({ bytes: text.length + 3 * 1024 * 1024, sha256: want });
  });

  it('gives the scan the same counts as the plain text', async () => {
    // Prepare
    const one = response(486, 'Busy Here');
    const n = Math.ceil((12 * 1024 * 1024) / one.length);
    const text = Buffer.from(one.repeat(n));

    // Act
    const plain = await scan(chunked(text, [1_000_000]));
    const zipped = await scan(chunked(gzipSync(text), [3]));

    // Assess
    expect(zipped.responses).toBe(n);
    expect({ ...zipped, formats: [], bytes: 0 }).toEqual({ ...plain, formats: [], bytes: 0 });
  });
});

/** What a reader handed out: its bytes (SHA-256 and length) and the error that ended it, if any. */
interface ReadOutcome {
  bytes: number;
  sha256: string;
  error?: string;
}

/** Reads `gz` (cut into `cuts`) with `readInto` calls of the given lengths in turn, each at a changing offset. */
const readWithLengths = async (
  gz: Buffer,
  cuts: readonly number[],
  lengths: readonly number[],
  windowBytes?: number,
): Promise<ReadOutcome> => {
  const reader = new GunzipReader(chunked(gz, cuts), { windowBytes });
  const h = createHash('sha256');
  const buf = Buffer.alloc(4 * 1024 * 1024);
  let bytes = 0;
  try {
    for (let i = 0; ; i++) {
      const length = lengths[i % lengths.length] ?? 1;
      const offset = i % 3;
      const n = await reader.readInto(buf, offset, length);
      if (n === 0) break;
      expect(n).toBeLessThanOrEqual(length);
      h.update(buf.subarray(offset, offset + n));
      bytes += n;
    }
  } catch (e) {
    return { bytes, sha256: h.digest('hex'), error: `${(e as Error).name}: ${(e as Error).message}` };
  } finally {
    await reader.close();
  }
  return { bytes, sha256: h.digest('hex') };
};

/** Reads compressed chunks (a gzip cut by `chunked`, a stream) through gunzipChunks. */
const readAsChunks = async (input: AsyncIterable<Uint8Array>): Promise<ReadOutcome> => {
  const h = createHash('sha256');
  let bytes = 0;
  try {
    for await (const c of gunzipChunks(input)) {
      h.update(c);
      bytes += c.length;
    }
  } catch (e) {
    return { bytes, sha256: h.digest('hex'), error: `${(e as Error).name}: ${(e as Error).message}` };
  }
  return { bytes, sha256: h.digest('hex') };
};

const digestOf = (b: Buffer): ReadOutcome => ({
  bytes: b.length,
  sha256: createHash('sha256').update(b).digest('hex'),
});

/** `n` bytes of SIP-like text that compresses about as logs do (a counter keeps the lines apart). */
const logText = (n: number, seed: number): Buffer => {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < n; i++) {
    const line = `SIP/2.0 ${200 + ((i * 7 + seed) % 400)} Reason\r\nCall-ID: ${(i * 2_654_435_761 + seed) >>> 0}@host\r\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, n);
};

/** One gzip member of `data` written by hand, with the header fields RFC 1952 allows (FEXTRA, FNAME, FCOMMENT, FHCRC). */
const member = (
  data: Buffer,
  o: { level?: number; extra?: Buffer; name?: string; comment?: string; headerCrc?: boolean },
): Buffer => {
  const flags =
    (o.headerCrc ? 0x02 : 0) |
    (o.extra ? 0x04 : 0) |
    (o.name !== undefined ? 0x08 : 0) |
    (o.comment !== undefined ? 0x10 : 0);
  const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3])];
  if (o.extra) parts.push(Buffer.from([o.extra.length & 0xff, o.extra.length >> 8]), o.extra);
  for (const s of [o.name, o.comment]) if (s !== undefined) parts.push(Buffer.from(`${s}\0`, 'latin1'));
  if (o.headerCrc) {
    const crc = Buffer.alloc(2);
    crc.writeUInt16LE(crc32(Buffer.concat(parts)) & 0xffff);
    parts.push(crc);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  return Buffer.concat([...parts, deflateRawSync(data, { level: o.level ?? 6 }), trailer]);
};

/** Reads of every kind: shorter than a window (copied out of it), exactly one, and longer (inflated in place). */
const READS: readonly (readonly number[])[] = [
  [1, 2, 3, 60_000],
  [7, 4096, 65_537],
  [INFLATE_CHUNK_BYTES],
  [3 * 1024 * 1024, 100, INFLATE_CHUNK_BYTES + 1],
];
const CUTS: readonly (readonly number[])[] = [[], [3, 11, 12], [65_536, 1_048_576, 1_048_586, 2_000_000]];

/** What `gz` gives read as chunks and with every kind of read, each way cut in every way of CUTS. */
const readEveryWay = async (gz: Buffer): Promise<ReadOutcome[]> => [
  ...(await Promise.all(CUTS.map((cuts) => readAsChunks(chunked(gz, cuts))))),
  ...(await Promise.all(CUTS.flatMap((cuts) => READS.map((lengths) => readWithLengths(gz, cuts, lengths))))),
];

describe('GunzipReader', () => {
  it('hands out the bytes gunzip does, however the gzip is cut and read, with members ending on window bounds', async () => {
    // Prepare: members inflating to exactly one and two windows, an empty one, and odd sizes, at several levels
    const parts = [
      logText(INFLATE_CHUNK_BYTES, 1),
      Buffer.alloc(0),
      logText(2 * INFLATE_CHUNK_BYTES, 2),
      logText(3 * INFLATE_CHUNK_BYTES + 17, 3),
      Buffer.alloc(5 * INFLATE_CHUNK_BYTES, 0x41),
      logText(1_000, 4),
    ];
    const gz = Buffer.concat(parts.map((p, i) => gzipSync(p, { level: [1, 6, 9][i % 3] })));
    const want = digestOf(Buffer.concat(parts));

    // Act
    const outcomes = await readEveryWay(gz);

    // Assess
    expect(gunzipSync(gz).length).toBe(want.bytes);
    for (const o of outcomes) expect(o).toEqual(want);
  });

  it('hands out every byte before a cut, then TRUNCATED_GZIP, however the gzip is cut and read', async () => {
    // Prepare: the first member whole, the second cut in its deflate data
    const first = logText(1_500_000, 5);
    const second = logText(3 * INFLATE_CHUNK_BYTES, 6);
    const whole = Buffer.concat([gzipSync(first), gzipSync(second)]);
    const cut = whole.subarray(0, whole.length - 40_000);
    // what zlib itself inflates of the cut second member before it runs out
    const readable = gunzipSync(cut.subarray(gzipSync(first).length), { finishFlush: constants.Z_SYNC_FLUSH });
    const want = digestOf(Buffer.concat([first, readable]));

    // Act
    const outcomes = await readEveryWay(cut);

    // Assess
    expect(readable.length).toBeGreaterThan(INFLATE_CHUNK_BYTES);
    for (const o of outcomes) {
      expect(o).toEqual({
        ...want,
        error: `${TruncatedGzipError.name}: gzip stream is truncated after ${want.bytes} decompressed bytes`,
      });
    }
  });

  it('hands out the same bytes before the same CORRUPT_GZIP error however a damaged gzip is cut and read', async () => {
    // Prepare: 64 bytes of the deflate data overwritten 200 KB in (its inflated bytes there are far past a window)
    const gz = Buffer.from(gzipSync(logText(6 * INFLATE_CHUNK_BYTES, 7)));
    gz.fill(0xff, 200_000, 200_064);

    // Act
    const outcomes = await readEveryWay(gz);

    // Assess
    const first = outcomes[0] as ReadOutcome;
    expect(first.error).toMatch(
      new RegExp(`^${CorruptGzipError.name}: gzip stream is corrupt after ${first.bytes} decompressed bytes`),
    );
    expect(first.bytes).toBeGreaterThanOrEqual(INFLATE_CHUNK_BYTES);
    expect(first.bytes).toBeLessThan(6 * INFLATE_CHUNK_BYTES);
    for (const o of outcomes) expect(o).toEqual(first);
  });

  it('hands out all zlib holds when a write fills its window as the input runs out (windows of 1 to 4096 bytes)', async () => {
    // Prepare: zeros (a byte of deflate data inflates to hundreds), whole and cut at 200 places in the deflate data
    const zeros = Buffer.alloc(300_000);
    const gz = gzipSync(zeros, { level: 9 });
    const cuts = Array.from({ length: 200 }, (_, i) => 12 + Math.floor(((gz.length - 30) * i) / 200));

    // Act
    const whole = await Promise.all([1, 100, 4096].map((w) => readWithLengths(gz, [5], [w, 3 * w], w)));
    const cutOutcomes = await Promise.all(cuts.map((c) => readWithLengths(gz.subarray(0, c), [], [100], 100)));

    // Assess
    for (const o of whole) expect(o).toEqual(digestOf(zeros));
    cuts.forEach((c, i) => {
      const readable = gunzipSync(gz.subarray(0, c), { finishFlush: constants.Z_SYNC_FLUSH });
      expect(cutOutcomes[i]).toEqual({
        ...digestOf(readable),
        error: `${TruncatedGzipError.name}: gzip stream is truncated after ${readable.length} decompressed bytes`,
      });
    });
  });

  it('reads members with every header field (extra, name, comment, header CRC) and deflate data ending on a slice bound', async () => {
    // Prepare: stored deflate blocks of 1,048,421 bytes take exactly 1 MiB, the size of a write's slice
    const onSlice = Buffer.alloc(1_048_421, 0x61);
    expect(deflateRawSync(onSlice, { level: 0 }).length).toBe(1024 * 1024);
    const parts = [onSlice, logText(70_000, 8), onSlice, Buffer.alloc(0)];
    const gz = Buffer.concat([
      member(onSlice, { level: 0 }),
      member(parts[1] as Buffer, { extra: Buffer.alloc(65_535, 7), name: 'trace.log', comment: 'c', headerCrc: true }),
      member(onSlice, { level: 0, name: 'n'.repeat(300_000) }),
      member(Buffer.alloc(0), { comment: 'empty' }),
    ]);
    const want = digestOf(Buffer.concat(parts));

    // Act
    const outcomes = await readEveryWay(gz);

    // Assess
    expect(gunzipSync(gz).length).toBe(want.bytes);
    for (const o of outcomes) expect(o).toEqual(want);
  });

  it('judges a name longer than a header may be by its bytes, not by how many arrived at once', async () => {
    // Prepare: a first member whose name is 1.5 MiB (damage), and a good member followed by one with such a name
    const text = logText(10_000, 9);
    const longName = member(text, { name: 'x'.repeat(1_500_000) });
    const good = member(text, {});
    const steps = Array.from({ length: 40 }, (_, i) => (i + 1) * 65_536);
    const garbage: number[] = [];

    // Act
    const first = [await readAsChunks(chunked(longName, [])), await readAsChunks(chunked(longName, steps))];
    const second = [
      await readAsChunks(chunked(Buffer.concat([good, longName]), [])),
      await readAsChunks(chunked(Buffer.concat([good, longName]), steps)),
    ];
    for (const cuts of [[], steps]) {
      const reader = new GunzipReader(chunked(Buffer.concat([good, longName]), cuts), {
        onTrailingGarbage: () => garbage.push(cuts.length),
      });
      for await (const _ of reader);
    }

    // Assess
    for (const o of first) {
      expect(o).toEqual({
        ...digestOf(Buffer.alloc(0)),
        error: `${CorruptGzipError.name}: gzip stream is corrupt: not a gzip header`,
      });
    }
    for (const o of second) expect(o).toEqual(digestOf(text));
    expect(garbage).toEqual([0, steps.length]);
  });

  it('ends its input when it stops for an error, as a growing log’s gzip is read', async () => {
    // Prepare: a damaged gzip as a stream whose chunks the reader stops needing
    const bad = Buffer.from(gzipSync(logText(4 * INFLATE_CHUNK_BYTES, 11)));
    bad.fill(0xff, 12, 40);
    const input = Buffer.concat([bad, Buffer.alloc(4 * INFLATE_CHUNK_BYTES, 1)]);
    let pulled = 0;
    const body = Readable.from(
      (async function* () {
        for (let at = 0; at < input.length; at += 65_536) {
          pulled++;
          yield input.subarray(at, at + 65_536);
        }
      })(),
    );

    // Act
    const outcome = await readAsChunks(body);
    await new Promise<void>((resolve) => setImmediate(resolve));

    // Assess
    expect(outcome.error).toMatch(/^CorruptGzipError: /);
    expect(body.destroyed).toBe(true);
    expect(pulled).toBeLessThan(input.length / 65_536);
  });

  it('stops at close, and a read after an error throws it again', async () => {
    // Prepare
    const gz = gzipSync(logText(3 * INFLATE_CHUNK_BYTES, 10));
    const cut = gz.subarray(0, gz.length >> 1);
    const buf = Buffer.alloc(INFLATE_CHUNK_BYTES);

    // Act
    const closed = new GunzipReader(chunked(gz, [1000]));
    const before = await closed.readInto(buf, 0, 100);
    await closed.close();
    const after = await closed.readInto(buf, 0, 100);
    const failing = new GunzipReader(chunked(cut, []));
    const errors: string[] = [];
    // read to the cut, then three times more
    for (let extra = 0; extra < 4; ) {
      const n = await failing.readInto(buf, 0, 100_000).catch((e: Error) => errors.push(e.message));
      if (errors.length > 0) extra++;
      else expect(n).toBeGreaterThan(0);
    }

    // Assess
    expect([before, after]).toEqual([100, 0]);
    expect(errors.length).toBe(4);
    expect(new Set(errors).size).toBe(1);
    expect(errors[0]).toMatch(/^gzip stream is truncated after \d+ decompressed bytes$/);
  });

  it('inflates 256 MiB of a zip bomb in place, window by window, without a window of its own', async () => {
    // Prepare: 256 MiB of zeros compress to ~250 KB (four members of 64 MiB, kept alive to the end so that no GC
    // frees them while the figure is taken); windows of 32 MiB, read into a buffer of that size
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const quarter = gzipSync(zeros, { level: 9 });
    const bomb = Buffer.concat([quarter, quarter, quarter, quarter]);
    const windowBytes = 32 * 1024 * 1024;
    const reader = new GunzipReader(chunked(bomb, [100_000]), { windowBytes });
    const buf = Buffer.allocUnsafe(windowBytes);
    const before = process.memoryUsage().arrayBuffers;
    let bytes = 0;
    let peak = 0;

    // Act
    for (;;) {
      const n = await reader.readInto(buf, 0, buf.length);
      if (n === 0) break;
      bytes += n;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }

    // Assess: a window of its own would be 32 MiB more, an output buffer per window 256 MiB of garbage
    expect(bytes).toBe(256 * 1024 * 1024);
    expect(zeros.length).toBe(64 * 1024 * 1024);
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });
});
