/**
 * The input the warm-scan benches share (bench:instructions, bench:ab): the first 20 MB of the bench's text trace,
 * scanned from memory in fixed chunks so that every run meets the bytes in the same order.
 */
import { closeSync, existsSync, openSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The default input: this much of the bench trace (a cut last message is fine: the scan says so and goes on). */
const SLICE_BYTES = 20_000_000;
const BENCH_TRACE = fileURLToPath(new URL('../../bench/data/sip-trace-200MiB.txt', import.meta.url));

/** Chunks of the input a child scans: the same cuts every time. */
const CHUNK_BYTES = 1 << 20;

/** `bytes` in CHUNK_BYTES pieces. */
export async function* chunksOf(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) yield bytes.subarray(at, at + CHUNK_BYTES);
}

/**
 * The first SLICE_BYTES of the bench trace, written once to the temporary folder (named by the trace's size and
 * time, so a trace generated again is sliced again; written under another name first, so a cut write is never reused).
 */
export const benchSlice = (): string => {
  if (!existsSync(BENCH_TRACE))
    throw new Error(`no ${BENCH_TRACE}: run npm run bench once to generate it, or give a FILE`);
  const { size, mtimeMs } = statSync(BENCH_TRACE);
  const slice = join(tmpdir(), `sip-metrics-bench-${SLICE_BYTES}-${size}-${Math.floor(mtimeMs)}.txt`);
  if (!existsSync(slice)) {
    const bytes = Buffer.alloc(SLICE_BYTES);
    const fd = openSync(BENCH_TRACE, 'r');
    const n = readSync(fd, bytes, 0, SLICE_BYTES, 0);
    closeSync(fd);
    writeFileSync(`${slice}.part`, bytes.subarray(0, n));
    renameSync(`${slice}.part`, slice);
  }
  return slice;
};
