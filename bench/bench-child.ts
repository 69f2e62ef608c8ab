import { createReadStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { FileChunks } from '../lambda/cli/file-source.js';
import { CLI_DEFAULT_DETAIL } from '../lambda/cli/result-detail.js';
import { keepYoungGenerationSmall } from '../lambda/cli/young-generation.js';
import { FUNCTION_V8_FLAGS } from '../lambda/contract/index.js';
import { INFLATE_CHUNK_BYTES } from '../lambda/engine/decompress.js';
import { FULL_DETAIL, scan } from '../lambda/engine/index.js';
import { scanInWorker } from '../lambda/threads/worker-scan.js';
import type { CountedResult } from './ground-truth.js';
import { countStatusLines } from './naive-count.js';

/**
 * One timed run in a process of its own, so that its peak RSS (getrusage's ru_maxrss) belongs to
 * that run alone: `node dist/bench/bench-child.js engine|engine-no-kpis|engine-two-cores|engine-two-cores-no-kpis|naive|inflate
 * FILE`. Prints one JSON
 * ChildReport on stdout. The clock covers the work only, not Node's start-up.
 */

/**
 * Which piece of work a child runs; `engine-no-kpis` is the engine with the RFC 6076 KPIs off (their cost);
 * `engine-two-cores` the scan on two threads (scanInWorker, lambda/threads: `sip-metrics scan --threads 2`).
 */
export type ChildMode =
  | 'engine'
  | 'engine-no-kpis'
  | 'engine-two-cores'
  | 'engine-two-cores-no-kpis'
  | 'naive'
  | 'inflate';

/** What a child reports back. */
export interface ChildReport {
  /** The work alone, measured inside the child (no Node start-up). */
  readonly seconds: number;
  /** The whole child process as a user sees it, Node's start-up included (measured by the parent). */
  readonly processSeconds?: number;
  /** Peak resident set size of the child, MiB. */
  readonly maxRssMiB: number;
  /** CPU time (user + system) of the whole child, every thread, Node's start-up included. */
  readonly cpuSeconds?: number;
  /** engine: the counts that matter. */
  readonly counts?: CountedResult;
  /** naive: status lines counted; inflate: bytes inflated. */
  readonly value?: number;
  /** The run failed; the message says why. */
  readonly error?: string;
}

const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * A child started with the function's V8 flags is the bench's `(as the Lambda)` row (runChild with FUNCTION_V8_FLAGS):
 * it scans as the function does, keeping the whole detail the function publishes; otherwise as the `sip-metrics`
 * command.
 */
const AS_LAMBDA = FUNCTION_V8_FLAGS.every((f) => process.execArgv.includes(f));

const run = async (mode: string, file: string): Promise<Omit<ChildReport, 'seconds' | 'maxRssMiB'>> => {
  switch (mode) {
    case 'engine':
    case 'engine-no-kpis':
    case 'engine-two-cores':
    case 'engine-two-cores-no-kpis': {
      // read as the CLI reads a file (into the engine's own buffers), so the RSS and time are the CLI's
      const twoCores = mode.startsWith('engine-two-cores');
      const r = await (twoCores ? scanInWorker : scan)(new FileChunks(file), {
        kpis: !mode.endsWith('no-kpis'),
        // as the Lambda, everything it publishes; as `sip-metrics scan --json FILE`, what that prints (no per-minute
        // series, no per-peer KPIs)
        detail: AS_LAMBDA ? FULL_DETAIL : CLI_DEFAULT_DETAIL,
      });
      const { formats, bytes, messages, requests, responses, byClass, byCode, retransmissions, anomalies } = r;
      return {
        counts: {
          formats,
          bytes,
          messages,
          requests,
          responses,
          byClass,
          byCode,
          retransmissions,
          anomalies,
          unrecognizedBytes: r.unrecognizedBytes,
        },
      };
    }
    case 'naive':
      return { value: await countStatusLines(file) };
    case 'inflate': {
      // the engine's own inflate settings, so the ratio measures what scanning adds to inflating
      const gunzip = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }).pipe(
        createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }),
      );
      let n = 0;
      gunzip.on('data', (c: Buffer) => {
        n += c.length;
      });
      await finished(gunzip);
      return { value: n };
    }
    default:
      throw new Error(
        `unknown mode "${mode}"; expected engine, engine-no-kpis, engine-two-cores(-no-kpis), naive or inflate`,
      );
  }
};

const [mode = '', file = ''] = process.argv.slice(2);
// the engine as the CLI runs it, young generation included (young-generation.ts, which leaves a child given the
// function's semi-space flag to it, as it leaves a user's)
if (mode.startsWith('engine')) await keepYoungGenerationSmall();
const started = performance.now();
let outcome: Omit<ChildReport, 'seconds' | 'maxRssMiB'>;
try {
  outcome = await run(mode, file);
} catch (e) {
  outcome = { error: e instanceof Error ? e.message : String(e) };
}
const report: ChildReport = {
  seconds: (performance.now() - started) / 1000,
  // ru_maxrss is in KiB on Linux
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
  cpuSeconds: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6,
  ...outcome,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
