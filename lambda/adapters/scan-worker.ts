import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { scanLaterSegment } from '../engine/segment-scan.js';
import { FILE_CHUNK_BYTES } from './file-source.js';

/** What the main thread asks of the worker: scan bytes [start, end) of a file. */
export interface ScanWorkerJob {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/** Progress is posted every this many bytes read. */
const PROGRESS_EVERY_BYTES = 16 * 1024 * 1024;

const job = workerData as ScanWorkerJob;
let read = 0;
let reported = 0;

async function* chunks(): AsyncGenerator<Buffer> {
  // createReadStream's `end` is inclusive
  for await (const c of createReadStream(job.path, {
    start: job.start,
    end: job.end - 1,
    highWaterMark: FILE_CHUNK_BYTES,
  })) {
    const b = c as Buffer;
    read += b.length;
    if (read - reported >= PROGRESS_EVERY_BYTES) {
      reported = read;
      parentPort?.postMessage({ kind: 'progress', bytes: read });
    }
    yield b;
  }
}

const later = await scanLaterSegment(chunks());
parentPort?.postMessage({ kind: 'done', later });
