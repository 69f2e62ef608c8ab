import { createRequire } from 'node:module';
import type * as Os from 'node:os';
import { type ScanOptions, type ScanResult, scan } from '../engine/index.js';
import type { FileInput } from './file-source.js';

/**
 * `--threads`: how many threads scan one input. 'auto': two (a worker thread scans, the main thread counts:
 * lambda/threads) for a local file of TWO_CORE_MIN_BYTES or more when the machine has AUTO_MIN_CORES cores or more,
 * else one; '1' and '2' force either, for any input.
 */
export const THREADS = ['auto', '1', '2'] as const;
export type Threads = (typeof THREADS)[number];

/**
 * From this size on a local file is scanned on two cores under 'auto'. Starting the worker (a second copy of the
 * engine to load and compile) costs about 0.1 s of CPU, and the pipeline shortens the scan by about a quarter when a
 * core is free: it pays from about 30 MiB on; 64 MiB keeps a margin (README, Speed, "Two cores").
 */
export const TWO_CORE_MIN_BYTES = 64 * 1024 * 1024;

/**
 * Cores 'auto' wants before it starts a worker. A one-thread scan already keeps more than one core busy (V8's
 * parallel and concurrent GC, the reads: 4.6 s CPU in 3.7 s on the 200 MiB text), so on a 2-vCPU machine the worker
 * finds no free core: measured there (idle), two threads took 0.98x the wall time of one on the text, 0.89x on
 * the gzip, 0.99x on the capture, for 1.6x the CPU and 10-25 MiB more RSS. With a third core the worker has one.
 */
export const AUTO_MIN_CORES = 3;

/** The cores Node may use, asked only of a file large enough for two: node:os is ~0.9 ms of a small scan's start-up. */
const machineCores = (): number => (createRequire(import.meta.url)('node:os') as typeof Os).availableParallelism();

/** Whether `input` is scanned on two cores under `threads` (`cores`: the machine's, by default). */
export const usesTwoCores = (threads: Threads, input: FileInput, cores?: number): boolean => {
  if (threads !== 'auto') return threads === '2';
  if (input.path === undefined || (input.size ?? 0) < TWO_CORE_MIN_BYTES) return false;
  return (cores ?? machineCores()) >= AUTO_MIN_CORES;
};

/** Scans one input on one or two threads (the same counts either way). */
export const scanWithThreads = async (threads: Threads, input: FileInput, opts: ScanOptions): Promise<ScanResult> => {
  if (!usesTwoCores(threads, input)) return scan(input.chunks(), opts);
  // loaded when two threads scan: node:worker_threads and the event pipeline cost every start-up ~6 ms otherwise
  const { scanInWorker } = await import('../threads/worker-scan.js');
  return scanInWorker(input.chunks(), opts);
};
