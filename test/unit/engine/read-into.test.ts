import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ByteReader } from '../../../lambda/engine/byte-reader.js';
import { type ScanResult, scan } from '../../../lambda/engine/index.js';
import { UnreadableFileError } from '../../../lambda/errors.js';
import { chunked } from '../../support/collect.js';
import { CORPUS_DIR } from '../../support/corpus.js';
import { response } from '../../support/sip-samples.js';

// A file is read into the engine's own buffers (TextScanner.room/commit, one reused buffer for a capture)
// instead of as chunks: where each read ends must change no count, exactly as chunk cuts change none.
const SEED = 20261204;

/**
 * A ByteReader over bytes in memory whose reads stop at the given sizes (then the rest at once), as a
 * file's reads may stop short; it is also the AsyncIterable the engine takes its first chunk from.
 */
const shortReads = (input: Buffer, sizes: readonly number[]): AsyncIterable<Uint8Array> & ByteReader => {
  let pos = 0;
  let read = 0;
  const readInto = async (buf: Buffer, offset: number, length: number): Promise<number> => {
    const want = sizes[read++] ?? length;
    const n = Math.min(want, length, input.length - pos);
    input.copy(buf, offset, pos, pos + n);
    pos += n;
    return n;
  };
  return {
    readInto,
    close: async () => {},
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const buf = Buffer.alloc(4096);
        const n = await readInto(buf, 0, buf.length);
        if (n === 0) return;
        yield buf.subarray(0, n);
      }
    },
  };
};

/** A source over `inner` whose reads after the first `okReads` fail as a disk error does (EIO). */
const failingAfter = (
  inner: AsyncIterable<Uint8Array> & ByteReader,
  okReads: number,
  path: string,
  close: () => Promise<void> = async () => {},
): AsyncIterable<Uint8Array> & ByteReader => {
  let reads = 0;
  return {
    [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator](),
    readInto: async (buf, offset, length) => {
      if (++reads > okReads) throw new UnreadableFileError(`${path}: cannot read: EIO`, { path });
      return inner.readInto(buf, offset, length);
    },
    close,
  };
};

const view = (r: Awaited<ReturnType<typeof scan>>) => [
  r.bytes,
  r.byCode,
  r.byMethod,
  r.requests,
  r.retransmissions,
  r.anomalies,
  r.unrecognizedBytes,
  r.series,
  r.kpis,
];

describe('reading into the engine’s buffers', () => {
  for (const file of ['mixed.ngrep.txt', 'mixed.pjsip-style.log', 'mixed.pcap', 'sipp.pcapng', 'mixed.ngrep.txt.gz']) {
    it(`counts ${file} as its chunks do, wherever the reads stop`, async () => {
      // Prepare
      const input = readFileSync(`${CORPUS_DIR}${file}`);
      const whole = view(await scan(chunked(input, [])));

      // Act / Assess
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 70_000 }), { maxLength: 30 }), async (sizes) => {
          expect(view(await scan(shortReads(input, sizes)))).toEqual(whole);
        }),
        { seed: SEED, numRuns: 15 },
      );
    });
  }

  for (const file of ['large.ngrep.txt.gz', 'large.pcap.gz']) {
    it(`counts ${file} read on through the file's reads as in chunks, its compressed bytes counted once`, async () => {
      // Prepare: MiBs of compressed bytes, so the inflater's queue reads most of them through readInto
      const input = readFileSync(`${CORPUS_DIR}${file}`);
      const whole = view(await scan(chunked(input, [65_536])));
      const progress: number[] = [];

      // Act
      const r = await scan(shortReads(input, [1, 1_048_583, 3, 70_001, 2_000_000]), {
        onProgress: (n) => progress.push(n),
      });

      // Assess
      expect(input.length).toBeGreaterThan(3_000_000);
      expect(view(r)).toEqual(whole);
      expect(r.bytes).toBe(input.length);
      expect(progress.at(-1)).toBe(input.length);
      expect(progress.every((n, i) => i === 0 || n > (progress[i - 1] ?? 0))).toBe(true);
    });
  }

  it('throws a source’s read error that came while its head was sniffed, after counting the head (no silent end)', async () => {
    // Prepare: a source that, like a local file, yields its head as chunks, fails on the next, and once failed is
    // closed (its reads return 0); the head (one response, 30 KB) is less than the engine sniffs for line prefixes
    const one = response(200, 'OK');
    const head = Buffer.from(one.repeat(Math.ceil(30_000 / one.length)));
    const failed = new UnreadableFileError('log.txt: cannot read: EIO', { path: 'log.txt' });
    let closed = false;
    const source: AsyncIterable<Uint8Array> & ByteReader = {
      async *[Symbol.asyncIterator]() {
        yield head;
        closed = true;
        throw failed;
      },
      readInto: async () => (closed ? 0 : Promise.reject(new Error('read before the head'))),
      close: async () => {},
    };

    // Act
    const error = await scan(source).then(
      () => undefined,
      (e: UnreadableFileError) => e,
    );

    // Assess
    expect(error).toBe(failed);
    expect((error?.context.partial as ScanResult | undefined)?.responses).toBe(Math.ceil(30_000 / one.length));
  });

  it('counts a text log read one byte at a time as in one chunk', async () => {
    // Prepare: past the first 4096-byte chunk, every read brings one byte
    const input = readFileSync(`${CORPUS_DIR}sipp-uac-invite.messages.log`).subarray(0, 40_000);
    const whole = view(await scan(chunked(input, [])));

    // Act
    const r = await scan(shortReads(input, new Array<number>(input.length).fill(1)));

    // Assess
    expect(view(r)).toEqual(whole);
    expect(r.bytes).toBe(40_000);
  });

  it('counts a log larger than the scanner’s buffer as in one chunk, scanning between reads', async () => {
    // Prepare: 20 MB of text, so the owned buffer (CARRY_BUFFER_BYTES) fills and is scanned several times
    const one = readFileSync(`${CORPUS_DIR}mixed.ngrep.txt`);
    const input = Buffer.concat(new Array<Buffer>(Math.ceil(20e6 / one.length)).fill(one));
    const whole = view(await scan(chunked(input, [])));

    // Act
    const r = await scan(shortReads(input, [5, 1_000_003, 7, 3_999_999, 1, 65_536, 12_345_678]));

    // Assess
    expect(view(r)).toEqual(whole);
    expect(r.bytes).toBe(input.length);
  });

  it('scans ahead only the bytes already read, and finds markers cut by a read', async () => {
    // Prepare: 5 MB stretches of ngrep output (no marker in them) between pieces of an Asterisk pjsip log (its
    // headers are found by the '<--- ' marker, whose search resumes where the last scan found none), read by a source
    // that, like a read on libuv's pool, writes its bytes only after the scan between reads has run (garbage in the
    // room until then), and whose reads end inside the markers
    const ngrep = readFileSync(`${CORPUS_DIR}mixed.ngrep.txt`);
    const stretch = Buffer.concat(new Array<Buffer>(Math.ceil(5e6 / ngrep.length)).fill(ngrep));
    const pjsip = readFileSync(`${CORPUS_DIR}mixed.pjsip-style.log`);
    const input = Buffer.concat([stretch, pjsip, stretch, pjsip, stretch, pjsip, stretch, pjsip, stretch]);
    const whole = view(await scan(chunked(input, [])));
    const cuts: number[] = [];
    for (let p = input.indexOf('<--- '); p >= 0; p = input.indexOf('<--- ', p + 1))
      cuts.push(p + 1 + (cuts.length % 4));
    const garbage = Buffer.from('<--- Received SIP response (555 bytes) from UDP:10.9.9.9:5060 --->\nSIP/2.0 503 x\n');
    let pos = 0;
    let cut = 0;
    const late: AsyncIterable<Uint8Array> & ByteReader = {
      async *[Symbol.asyncIterator]() {
        pos = 4096;
        yield input.subarray(0, pos);
      },
      close: async () => {},
      readInto: async (buf, offset, length) => {
        while ((cuts[cut] ?? Number.POSITIVE_INFINITY) <= pos) cut++;
        const n = Math.min(length, (cuts[cut] ?? input.length) - pos, input.length - pos);
        for (let i = offset; i < offset + length; i += garbage.length)
          garbage.copy(buf, i, 0, Math.min(garbage.length, offset + length - i));
        await new Promise((resolve) => setImmediate(resolve));
        input.copy(buf, offset, pos, pos + n);
        pos += n;
        return n;
      },
    };

    // Act
    const r = await scan(late);

    // Assess
    expect(view(r)).toEqual(whole);
    expect(r.bytes).toBe(input.length);
    expect(r.formats).toEqual(['ngrep', 'pjsip']);
    expect(cuts.length).toBeGreaterThan(100);
  });

  it('counts a capture read while the next read runs, and reports a failed read after what came before it', async () => {
    // Prepare: the shared capture read in 100,000-byte reads, whose fourth read fails (a disk error) while the
    // third one's bytes are being counted
    const input = readFileSync(`${CORPUS_DIR}mixed.pcap`);
    const failing = failingAfter(shortReads(input, [4096, 100_000, 100_000, 100_000]), 3, 'trace.pcap');
    // what the bytes before the failed read count to on their own (a capture cut there)
    const before = await scan(chunked(input.subarray(0, 4096 + 3 * 100_000), []));

    // Act
    const err = await scan(failing).catch((e: unknown) => e);

    // Assess: the read error, with the counts of every byte read before it
    expect(err).toBeInstanceOf(UnreadableFileError);
    const partial = (err as UnreadableFileError).context.partial as { bytes: number; responses: number };
    expect(partial.bytes).toBe(4096 + 3 * 100_000);
    expect(partial.responses).toBe(before.responses);
    expect(partial.responses).toBeGreaterThan(0);
  });

  it('reports the read error with its partial counts when closing the source fails as well', async () => {
    // Prepare: a log whose second read fails (a disk error) and whose close then fails too
    const input = readFileSync(`${CORPUS_DIR}mixed.ngrep.txt`);
    const failing = failingAfter(shortReads(input, [4096]), 1, 'trace.log', async () => {
      throw new Error('EBADF: close failed');
    });

    // Act
    const err = await scan(failing).catch((e: unknown) => e);

    // Assess: the read error, not the close error, and what was read before it is counted
    expect(err).toBeInstanceOf(UnreadableFileError);
    expect((err as UnreadableFileError).message).toBe('trace.log: cannot read: EIO');
    const partial = (err as UnreadableFileError).context.partial as { bytes: number; responses: number };
    expect(partial.bytes).toBeGreaterThan(0);
    expect(partial.bytes).toBeLessThan(input.length);
    expect(partial.responses).toBeGreaterThan(0);
  });
});
