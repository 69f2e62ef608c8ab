// Handler throughput: a large gzip file from the local S3 (s3rver) through the real handler (DynamoDB ledger on
// dynalite, PutMetricData to the loopback CloudWatch), against the engine alone reading the same file from disk.
// The emulators run in a child process (bench/emulators-process.ts), as AWS runs on other machines: the handler's
// thread pays for the SDK, the socket and the engine, not for s3rver serving the object.
// Run: npm run build && node --expose-gc dist/bench/handler.bench.js   (or: npx tsx bench/handler.bench.ts)
// BENCH_ROUNDS (default 3): runs of each path, alternating; the median is reported.
// BENCH_COPIES (default 8): copies of the gzip text log concatenated into one multi-member gzip; the capture is
// used once, as concatenated pcap files are not one capture.
// It asserts that both paths count the same responses, never that a run was fast.
import { createReadStream, createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { scan } from '../lambda/engine/index.js';
import { lambdaContext } from '../test/support/lambda-context.js';
import { s3Event } from '../test/support/s3-event.js';
import { startEmulatorProcess } from './emulators-process.js';

const CORPUS_DIR = fileURLToPath(new URL('../../shared/corpus/', import.meta.url));
const corpusDir = existsSync(CORPUS_DIR)
  ? CORPUS_DIR
  : fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const COPIES = Number(process.env.BENCH_COPIES ?? 8);
/** Rounds per path, alternating engine and handler; the median is reported (JIT and GC make single runs noisy). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RSS_SAMPLE_MS = 20;

// Node 20 is supported (README): the SDK's notice that its future releases need Node 22 would break up the bench
// table (the SDK reads this when a client is built, after the imports have run)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface Run {
  readonly seconds: number;
  readonly responses: number;
  readonly peakRssMb: number;
}

/** Samples the resident set size while `fn` runs. */
const measured = async (fn: () => Promise<number>): Promise<Run> => {
  (globalThis as { gc?: () => void }).gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, RSS_SAMPLE_MS);
  const t0 = performance.now();
  try {
    const responses = await fn();
    return { seconds: (performance.now() - t0) / 1000, responses, peakRssMb: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
};

/** The run of median duration. */
const median = (runs: readonly Run[]): Run => {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const mid = sorted[Math.floor(sorted.length / 2)];
  if (mid === undefined) throw new Error('no runs');
  return mid;
};

/** Writes `copies` copies of a gzip file one after the other: a valid multi-member gzip (RFC 1952 §2.2). */
const concatenate = async (src: string, copies: number, dest: string): Promise<number> => {
  const one = readFileSync(src);
  async function* repeated(): AsyncGenerator<Buffer> {
    for (let i = 0; i < copies; i++) yield one;
  }
  await pipeline(repeated(), createWriteStream(dest));
  return one.length * copies;
};

const main = async (): Promise<void> => {
  const files = ['large.ngrep.txt.gz'];
  files.push('large.pcap.gz');
  const emu = await startEmulatorProcess('bench-logs', 'bench-ledger');
  Object.assign(process.env, emu.env);
  const { handler } = await import('../lambda/handler.js');
  const rows: string[] = [];
  try {
    for (const file of files) {
      const copies = file.includes('.pcap') ? 1 : COPIES;
      const path = join(tmpdir(), `sip-metrics-bench-${copies}x-${file}`);
      const bytes = await concatenate(join(corpusDir, file), copies, path);
      const engineRuns: Run[] = [];
      const handlerRuns: Run[] = [];
      let calls = 0;
      for (let round = 0; round < ROUNDS; round++) {
        // a fresh key per round: the ledger would skip a second delivery of the same object as a duplicate
        const obj = await emu.put(`bench/${round}/${copies}x-${file}`, path, bytes);
        engineRuns.push(
          await measured(async () => (await scan(createReadStream(path, { highWaterMark: 1 << 20 }))).responses),
        );
        await emu.reset();
        const run = await measured(async () => {
          await handler(s3Event(obj), lambdaContext());
          return 0;
        });
        // the sum is asked after the clock stopped: it is the emulators' work
        handlerRuns.push({ ...run, responses: await emu.sum('Responses') });
        calls = await emu.accepted();
      }
      const engine = median(engineRuns);
      const viaHandler = median(handlerRuns);
      rmSync(path, { force: true });
      if (viaHandler.responses !== engine.responses) {
        throw new Error(
          `${file}: handler published ${viaHandler.responses} responses, the engine counted ${engine.responses}`,
        );
      }
      const mb = bytes / 1e6;
      const row = (name: string, r: Run): string =>
        `| ${name} | ${file} x${copies} | ${mb.toFixed(1)} | ${r.seconds.toFixed(2)} | ${(mb / r.seconds).toFixed(1)} | ${r.peakRssMb} | ${r.responses} |`;
      rows.push(row('engine alone (local file)', engine));
      rows.push(row('handler (S3 -> engine -> CloudWatch)', viaHandler));
      rows.push(
        `| handler / engine | | | | **${(engine.seconds / viaHandler.seconds).toFixed(2)}x** | | ${calls} PutMetricData call(s) per file |`,
      );
    }
  } finally {
    await emu.stop();
  }
  console.log('| path | input | MB (gzip) | s | MB/s (gzip) | peak RSS MB | responses |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
};

await main();
