import { availableParallelism } from 'node:os';
import { type ScanOptions, type ScanResult, scan } from '../engine/index.js';
import { scanInWorker } from '../threads/worker-scan.js';
import type { FileInput } from './file-source.js';

/**
 * `--threads`: how many threads scan one input. 'auto': two (a worker thread scans, the main thread counts:
 * lambda/threads) for a local file of TWO_CORE_MIN_BYTES or more when the machine has two cores or more,
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

/** Whether `input` is scanned on two cores under `threads`. */
export const usesTwoCores = (threads: Threads, input: FileInput, cores = availableParallelism()): boolean => {
  if (threads !== 'auto') return threads === '2';
  return input.path !== undefined && (input.size ?? 0) >= TWO_CORE_MIN_BYTES && cores >= 2;
};

/** Scans one input on one or two threads (the same counts either way). */
export const scanWithThreads = (threads: Threads, input: FileInput, opts: ScanOptions): Promise<ScanResult> =>
  usesTwoCores(threads, input) ? scanInWorker(input.chunks(), opts) : scan(input.chunks(), opts);
