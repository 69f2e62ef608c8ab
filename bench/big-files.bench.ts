import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import type { ChildReport } from './bench-child.js';
import { GZIP_LEVEL, generateTrace, TRACE_SEED } from './generate-trace.js';
import { compareCounts, type GroundTruth } from './ground-truth.js';
import { runChild } from './measure.js';
import { markdownTable, plainTable, type ResultRow } from './report-table.js';

/**
 * `npm run bench:big`: peak RSS of the engine on inputs far larger than the default bench's (issue 17: "Peak RSS
 * <= 150 MiB on a 1 GB text file and a 10 GB gzip"). Generates, in bench/data/big/:
 * - a 1 GiB text trace (the default bench's generator and seed, so its dialogs and keys keep changing and the
 *   bounded retransmission and KPI tables fill up as they would on a real log), with its ground truth;
 * - a gzip holding that trace BIG_GZIP_COPIES times as many gzip members (what `cat a.gz a.gz ...` makes, and
 *   `gzip -d` reads), about 10 GiB once inflated, written member after member, never held.
 * Each is scanned once by the bench child (the engine, KPIs on, as `sip-metrics scan` reads a file), then the
 * files are deleted (BENCH_KEEP=1 keeps them for another run). Takes several minutes: not part of `npm run bench`.
 *
 * Environment: BENCH_BIG_MIB (default 1024) sets the text's size, BENCH_BIG_COPIES (default 10) the gzip's copies.
 */

const MIB = 1024 * 1024;
const TEXT_MIB = Number(process.env.BENCH_BIG_MIB ?? 1024);
const BIG_GZIP_COPIES = Math.max(1, Number(process.env.BENCH_BIG_COPIES ?? 10));
const KEEP = process.env.BENCH_KEEP === '1';
const DATA_DIR = fileURLToPath(new URL('../../bench/data/big/', import.meta.url));
const RSS_TARGET_MIB = 150;

/** The truth of the text repeated `copies` times: every count scales (retransmissions: see verdictOf). */
const repeated = (t: GroundTruth, copies: number, file: string, bytes: number): GroundTruth => ({
  ...t,
  file,
  bytes,
  messages: t.messages * copies,
  requests: t.requests * copies,
  responses: t.responses * copies,
  byClass: Object.fromEntries(Object.entries(t.byClass).map(([k, v]) => [k, v * copies])) as GroundTruth['byClass'],
  byCode: Object.fromEntries(Object.entries(t.byCode).map(([k, v]) => [k, v * copies])),
  retransmissions: {
    requests: t.retransmissions.requests * copies,
    responses: t.retransmissions.responses * copies,
  },
});

/** Compresses `textPath` once into one gzip member, then writes it `copies` times to `outPath` as one stream. */
const writeRepeatedGzip = async (textPath: string, outPath: string, copies: number): Promise<number> => {
  const member = `${outPath}.member`;
  await pipeline(
    createReadStream(textPath, { highWaterMark: MIB }),
    createGzip({ level: GZIP_LEVEL }),
    createWriteStream(member),
  );
  try {
    await pipeline(async function* () {
      for (let i = 0; i < copies; i++) yield* createReadStream(member, { highWaterMark: 4 * MIB });
    }, createWriteStream(outPath));
  } finally {
    await rm(member, { force: true });
  }
  return (await stat(outPath)).size;
};

/**
 * Whether the counts equal the truth. A repeated copy may see its first copy's resends as retransmissions when
 * the copy is smaller than the bounded retransmission memory (BENCH_BIG_MIB small): those are left out then.
 */
const verdictOf = (r: ChildReport, truth: GroundTruth, repeats: boolean): string => {
  if (r.error !== undefined) return `ERROR: ${r.error}`;
  if (r.counts === undefined) return '-';
  const diffs = compareCounts(r.counts, truth).filter((d) => !repeats || !d.startsWith('retransmitted'));
  return diffs.length === 0 ? 'ok' : `WRONG: ${diffs.slice(0, 3).join('; ')}`;
};

const rowOf = (path: string, bytes: number, r: ChildReport, truth: GroundTruth, inflatedMiB?: number): ResultRow => ({
  file: path.slice(DATA_DIR.length),
  sizeMiB: bytes / MIB,
  tool: 'engine scan()',
  runs: 1,
  seconds: r.processSeconds ?? r.seconds,
  maxRssMiB: r.maxRssMiB,
  vsReference:
    inflatedMiB === undefined ? '-' : `${(inflatedMiB / (r.processSeconds ?? r.seconds)).toFixed(0)} MiB/s inflated`,
  counts: verdictOf(r, truth, inflatedMiB !== undefined),
});

const main = async (): Promise<number> => {
  console.log(
    `sip-metrics big-file bench: ${TEXT_MIB} MiB of text, its gzip x${BIG_GZIP_COPIES}, Node ${process.version}, ` +
      `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}\n`,
  );
  await mkdir(DATA_DIR, { recursive: true });
  const textPath = join(DATA_DIR, `sip-trace-${TEXT_MIB}MiB.txt`);
  const gzPath = join(DATA_DIR, `sip-trace-${TEXT_MIB}MiB-x${BIG_GZIP_COPIES}.txt.gz`);
  const rows: ResultRow[] = [];
  let failed = false;
  try {
    console.log(`generating ${textPath} ...`);
    const text = await generateTrace(textPath, { seed: TRACE_SEED, targetBytes: TEXT_MIB * MIB });
    console.log(`  done in ${text.generationSeconds.toFixed(1)} s; scanning it`);
    const rText = await runChild('engine', textPath);
    rows.push(rowOf(textPath, text.bytes, rText, text));

    console.log(`writing ${gzPath} (${BIG_GZIP_COPIES} gzip members of it) ...`);
    const gzBytes = await writeRepeatedGzip(textPath, gzPath, BIG_GZIP_COPIES);
    // the text is not needed any more: do not keep two big files on disk at once
    if (!KEEP) await rm(textPath, { force: true });
    console.log(`  ${(gzBytes / MIB).toFixed(0)} MiB compressed; scanning it`);
    const gzTruth = repeated(text, BIG_GZIP_COPIES, gzPath, gzBytes);
    const rGzip = await runChild('engine', gzPath);
    rows.push(rowOf(gzPath, gzBytes, rGzip, gzTruth, (text.bytes * BIG_GZIP_COPIES) / MIB));
    failed = rows.some((r) => r.counts !== 'ok');
  } finally {
    if (!KEEP) await rm(DATA_DIR, { recursive: true, force: true });
  }
  const over = rows.filter((r) => (r.maxRssMiB ?? 0) > RSS_TARGET_MIB);
  console.log(`\n${plainTable(rows)}\n`);
  console.log(
    `peak RSS target <= ${RSS_TARGET_MIB} MiB: ${over.length === 0 ? 'met' : `MISSED on ${over.map((r) => r.file).join(', ')}`}`,
  );
  console.log(`load average (1 min) ${(loadavg()[0] ?? 0).toFixed(2)} on ${cpus().length} cores.`);
  console.log(`\nMarkdown:\n\n${markdownTable(rows)}\n`);
  if (failed) console.log('FAILED: the engine did not count every file exactly (see above).');
  return failed ? 1 : 0;
};

process.exitCode = await main();
