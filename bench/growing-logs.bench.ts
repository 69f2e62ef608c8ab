import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scan } from '../lambda/engine/index.js';
import { countGrowing, type KeyProgress } from '../lambda/growth/growing-scan.js';

/**
 * Growing logs: a pjsip log grown to TOTAL_MB in STEP_MB steps, each version counted by countGrowing (what the
 * handler does between its ranged GetObject and the metrics). Reports, per version, the bytes read beyond the new
 * ones, and checks that the versions add up to one scan of the final file. The log is generated as it is read
 * (the corpus pjsip log repeated), so a 1 GB log needs no 1 GB buffer. Usage:
 *   npx tsx bench/growing-logs.bench.ts [TOTAL_MB=1000] [STEP_MB=100] [--no-whole]
 * `--no-whole` skips the reference scan of the final file (the totals are then checked against the corpus count of
 * each whole copy of the log only when the total is a multiple of it).
 */

const MB = 1_000_000;
const CHUNK = 1024 * 1024;
const totalBytes = Number(process.argv[2] ?? 1000) * MB;
const stepBytes = Number(process.argv[3] ?? 100) * MB;
const unit = readFileSync(join(import.meta.dirname, '..', '..', 'shared', 'corpus', 'mixed.pjsip-style.log'));

/** Bytes [from, to) of the endless log: the corpus file over and over. */
async function* logBytes(from: number, to: number): AsyncGenerator<Uint8Array> {
  for (let pos = from; pos < to; ) {
    const off = pos % unit.length;
    const n = Math.min(CHUNK, unit.length - off, to - pos);
    yield unit.subarray(off, off + n);
    pos += n;
  }
}

const main = async (): Promise<void> => {
  let progress: KeyProgress | undefined;
  let responses = 0;
  let maxExtra = 0;
  const started = performance.now();
  console.log('version  size MB  new MB  read MB  extra KiB  resumed from  ms');
  for (let size = stepBytes, v = 1, prev = 0; prev < totalBytes; size = Math.min(totalBytes, size + stepBytes), v++) {
    const t0 = performance.now();
    const end = size;
    const c = await countGrowing(async (from) => logBytes(from, end), size, progress);
    responses += c.counted.responses - (c.minus?.responses ?? 0);
    const extra = c.bytesRead - (size - prev);
    if (v > 1) maxExtra = Math.max(maxExtra, extra);
    console.log(
      [
        String(v).padStart(7),
        (size / MB).toFixed(0).padStart(8),
        ((size - prev) / MB).toFixed(0).padStart(7),
        (c.bytesRead / MB).toFixed(1).padStart(8),
        (extra / 1024).toFixed(0).padStart(10),
        String(c.readFrom ?? '-').padStart(13),
        (performance.now() - t0).toFixed(0).padStart(5),
      ].join(' '),
    );
    progress = c.progress;
    prev = size;
  }
  const growingMs = performance.now() - started;
  if (process.argv.includes('--no-whole')) {
    console.log(
      `responses: ${responses} over the versions; largest extra read ${(maxExtra / 1024).toFixed(0)} KiB; ` +
        `all versions ${(growingMs / 1000).toFixed(1)} s`,
    );
    return;
  }
  const t1 = performance.now();
  const whole = await scan(logBytes(0, totalBytes));
  console.log(
    `responses: ${responses} over the versions, ${whole.responses} in one scan of the final file; ` +
      `largest extra read ${(maxExtra / 1024).toFixed(0)} KiB; all versions ${(growingMs / 1000).toFixed(1)} s, ` +
      `one scan of the final file ${((performance.now() - t1) / 1000).toFixed(1)} s`,
  );
  if (responses !== whole.responses) process.exitCode = 1;
};

await main();
