import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FileChunks } from '../../../lambda/cli/file-source.js';
import { type ScanOptions, scan } from '../../../lambda/engine/index.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { TruncatedGzipError, UnknownFormatError, UnreadableFileError } from '../../../lambda/errors.js';
import { scanInWorker } from '../../../lambda/threads/worker-scan.js';

/**
 * The two-core scan (a worker thread scans, the main thread counts) against scan() on real inputs: a text log, a
 * gzip, a pcap and a pcapng of the shared corpus, in odd chunk sizes and straight from a file, and its error paths.
 */

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url));

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** An error as plain data: class, code, message and context (partial counts included). */
const plainError = async (run: () => Promise<ScanResult>): Promise<unknown> => {
  try {
    await run();
  } catch (e) {
    const err = e as Error & { code?: string; context?: unknown };
    return { class: err.constructor.name, code: err.code, message: err.message, context: err.context };
  }
  return 'no error';
};

const CASES: readonly [string, number, ScanOptions][] = [
  ['mixed.pjsip-style.log', 4_099, { referenceMs: Date.UTC(2026, 10, 24, 18), timeZone: 'Europe/Berlin' }],
  ['mixed.ngrep.txt.gz', 777, {}],
  ['mixed.pcap', 65_537, {}],
  ['sipp.pcapng', 1_000_003, { kpis: false }],
  ['large.ngrep.txt.gz', 1 << 20, {}],
];

describe('scanInWorker', () => {
  for (const [file, size, opts] of CASES) {
    it(`counts ${file} in ${size}-byte chunks exactly as scan() does`, async () => {
      // Prepare
      const bytes = readFileSync(`${CORPUS}${file}`);
      const progress: number[] = [];

      // Act
      const direct = await scan(chunked(bytes, size), opts);
      const twoCores = await scanInWorker(chunked(bytes, size), { ...opts, onProgress: (n) => progress.push(n) });

      // Assess
      expect(twoCores).toEqual(direct);
      expect(JSON.stringify(twoCores)).toBe(JSON.stringify(direct));
      expect(direct.messages).toBeGreaterThan(1000);
      expect(progress.at(-1)).toBe(bytes.length);
    });
  }

  it('reads a file straight into the buffers it hands the worker, with the same counts', async () => {
    // Prepare
    const path = `${CORPUS}mixed.kamailio-sipdump.data`;

    // Act
    const direct = await scan(new FileChunks(path), { referenceMs: Date.UTC(2026, 0, 1) });
    const twoCores = await scanInWorker(new FileChunks(path), { referenceMs: Date.UTC(2026, 0, 1) });

    // Assess
    expect(JSON.stringify(twoCores)).toBe(JSON.stringify(direct));
    expect(twoCores.bytes).toBe(2_420_817);
  });

  it('throws the UnknownFormatError scan() throws, with the same message and partial counts', async () => {
    // Prepare
    const text = Buffer.from('hello there, no SIP in here\n'.repeat(5_000));

    // Act
    const direct = await plainError(() => scan(chunked(text, 1_001)));
    const twoCores = await plainError(() => scanInWorker(chunked(text, 1_001)));

    // Assess
    expect(twoCores).toEqual(direct);
    expect(twoCores).toMatchObject({
      class: UnknownFormatError.name,
      code: 'UNKNOWN_FORMAT',
      message:
        'no SIP found in any known format (first bytes 68 65 6c 6c 6f 20 74 68); expected pcap, pcapng, gzip or a SIP text log',
      context: { unrecognizedBytes: 140_000, partial: { bytes: 140_000, messages: 0, unrecognizedBytes: 140_000 } },
    });
  });

  it('throws the TruncatedGzipError scan() throws for a cut gzip, with what was counted before the cut', async () => {
    // Prepare
    const gz = readFileSync(`${CORPUS}mixed.ngrep.txt.gz`);
    const cut = gz.subarray(0, gz.length >> 1);

    // Act
    const direct = await plainError(() => scan(chunked(cut, 4_099)));
    const twoCores = await plainError(() => scanInWorker(chunked(cut, 4_099)));

    // Assess
    expect(twoCores).toEqual(direct);
    expect(JSON.stringify(twoCores)).toBe(JSON.stringify(direct));
    expect(twoCores).toMatchObject({
      class: TruncatedGzipError.name,
      code: 'TRUNCATED_GZIP',
      message: 'gzip stream is truncated after 867916 decompressed bytes',
      context: { decompressedBytes: 867_916, partial: { bytes: 65_346, messages: 1_664 } },
    });
  });

  it('throws the input’s own read error, after counting what was read before it', async () => {
    // Prepare
    const text = readFileSync(`${CORPUS}sipp-uac-invite.messages.log`);
    const failing = async function* (): AsyncGenerator<Uint8Array> {
      yield* chunked(text.subarray(0, 300_000), 65_536);
      throw new UnreadableFileError('x.log: cannot read: disk gone', { path: 'x.log' });
    };

    // Act
    const direct = await plainError(() => scan(failing()));
    const twoCores = await plainError(() => scanInWorker(failing()));

    // Assess
    expect(twoCores).toEqual(direct);
    expect(twoCores).toMatchObject({
      code: 'UNREADABLE_FILE',
      context: { path: 'x.log', partial: { bytes: 300_000 } },
    });
  });

  it('counts an empty input as zero messages, as scan() does', async () => {
    // Prepare
    const empty = async function* (): AsyncGenerator<Uint8Array> {};

    // Act
    const direct = await scan(empty());
    const twoCores = await scanInWorker(empty());

    // Assess
    expect(twoCores).toEqual(direct);
    expect(twoCores.messages).toBe(0);
  });

  it('is exact on a gzip whose members and chunks fall anywhere', async () => {
    // Prepare
    const text = readFileSync(`${CORPUS}mixed.kamailio-proxy.log`);
    const twoMembers = Buffer.concat([gzipSync(text.subarray(0, 70_001)), gzipSync(text.subarray(70_001))]);

    // Act
    const direct = await scan(chunked(twoMembers, 333));
    const twoCores = await scanInWorker(chunked(twoMembers, 333));

    // Assess
    expect(JSON.stringify(twoCores)).toBe(JSON.stringify(direct));
  });
});

describe('scanInWorker when the worker dies', () => {
  it('fails with the worker’s error, never returns zeros, and ends', async () => {
    // Prepare: a heap too small for the worker to load the engine and scan, yet enough to start a thread: with
    // 2 MB, Node 22's V8 runs out while it deserialises the isolate and ends the whole process (measured: 3-8 MB
    // fail the worker alone on Node 22, 2-6 MB on Node 20)
    const bytes = readFileSync(`${CORPUS}mixed.pcap`);

    // Act
    const outcome = await scanInWorker(chunked(bytes, 65_536), {
      workerLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 },
    }).then(
      (r) => ({ result: r }),
      (e: unknown) => ({ error: e as Error & { code?: string } }),
    );

    // Assess
    expect('result' in outcome).toBe(false);
    if (!('error' in outcome)) return;
    expect([outcome.error.name, outcome.error.code]).toEqual(['Error', 'ERR_WORKER_OUT_OF_MEMORY']);
  });
});
