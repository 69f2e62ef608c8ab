import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { detectContainer, SNIFF_BYTES } from '../engine/detect-format.js';
import {
  canMerge,
  continueSequentially,
  findSplitPoint,
  type LaterSegment,
  mergeSegments,
  scanEarlierSegment,
} from '../engine/segment-scan.js';
import type { ScanResult } from '../engine/tally.js';
import { FILE_CHUNK_BYTES } from './file-source.js';
import type { ScanWorkerJob } from './scan-worker.js';

/**
 * Scans a large plain text log on two cores: this thread takes the first half, a worker thread
 * the second, and the engine merges them into exactly what a sequential scan gives
 * (engine/segment-scan.ts). Gzip (one inflate stream) and captures are read sequentially.
 */

/** Below this, starting a worker costs more than it saves. */
export const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;
/** Bytes read around the middle of the file to find a split point. */
const SPLIT_WINDOW_BYTES = 1024 * 1024;

const readAt = async (path: string, offset: number, length: number): Promise<Buffer> => {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
};

/**
 * The worker: compiled JavaScript normally; when this module runs from TypeScript source (tests
 * through tsx), a tiny ES module that registers tsx first and then imports the .ts worker.
 */
const startWorker = (job: ScanWorkerJob): Worker => {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./scan-worker.js', import.meta.url), { workerData: job });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./scan-worker.ts', import.meta.url).href;
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: job });
};

const runWorker = (
  job: ScanWorkerJob,
  onProgress: (bytes: number) => void,
): { result: Promise<LaterSegment>; stop: () => Promise<number> } => {
  const worker = startWorker(job);
  const result = new Promise<LaterSegment>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: { kind: 'progress'; bytes: number } | { kind: 'done'; later: LaterSegment }) => {
      if (m.kind === 'progress') onProgress(m.bytes);
      else {
        settled = true;
        resolve(m.later);
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`scan worker exited with code ${code} before finishing`));
    });
  });
  return {
    result,
    stop: () => {
      result.catch(() => undefined); // a stopped worker's result is not wanted
      return worker.terminate();
    },
  };
};

/**
 * Scans `path` on two cores when it is a plain text log of at least PARALLEL_MIN_BYTES with a safe
 * split point; returns null when it is not (the caller then scans sequentially).
 */
export const scanFileInParallel = async (
  path: string,
  size: number,
  onProgress?: (bytesRead: number) => void,
  minBytes: number = PARALLEL_MIN_BYTES,
): Promise<ScanResult | null> => {
  if (size < minBytes) return null;
  const head = await readAt(path, 0, SNIFF_BYTES);
  if (detectContainer(head) !== 'text') return null;
  const windowStart = Math.floor(size / 2);
  const split = findSplitPoint(await readAt(path, windowStart, SPLIT_WINDOW_BYTES), windowStart);
  if (split === null || split <= 0 || split >= size) return null;
  const splitAt: number = split;

  let mainRead = 0;
  let workerRead = 0;
  const report = (): void => onProgress?.(mainRead + workerRead);
  const later = runWorker({ path, start: splitAt, end: size }, (n) => {
    workerRead = n;
    report();
  });
  async function* firstPart(): AsyncGenerator<Buffer> {
    for await (const c of createReadStream(path, { start: 0, end: splitAt - 1, highWaterMark: FILE_CHUNK_BYTES })) {
      mainRead += (c as Buffer).length;
      report();
      yield c as Buffer;
    }
  }
  let earlier: Awaited<ReturnType<typeof scanEarlierSegment>>;
  try {
    earlier = await scanEarlierSegment(firstPart());
  } catch (e) {
    await later.stop();
    throw e;
  }
  let result: ScanResult;
  if (canMerge(earlier)) {
    result = mergeSegments(earlier, await later.result, head);
  } else {
    // rare: the split fell inside a TCP message; finish on this thread, exactly as sequentially
    await later.stop();
    async function* secondPart(): AsyncGenerator<Buffer> {
      for await (const c of createReadStream(path, { start: splitAt, highWaterMark: FILE_CHUNK_BYTES })) {
        mainRead += (c as Buffer).length;
        report();
        yield c as Buffer;
      }
    }
    result = await continueSequentially(earlier, secondPart(), head);
  }
  onProgress?.(size);
  return result;
};
