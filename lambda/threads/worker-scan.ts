/**
 * A scan on two cores: the main thread reads the input and hands it to a worker thread, which sniffs, gunzips and
 * scans it (the scanning side) and posts back what it found as event batches; the main thread replays them into the
 * counts (the counting side: clock, retransmission judge, KPIs, tally) while the worker goes on. Same contract and
 * same results as scan() (exact by construction: see engine/pipeline/event-batch.ts and test/unit/engine/pipeline/).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { byteReaderOf } from '../engine/byte-reader.js';
import type { ScanOptions, ScanResult } from '../engine/index.js';
import type { ScanOutcome } from '../engine/pipeline/record-events.js';
import { EventReplayer } from '../engine/pipeline/replay-events.js';
import { WakeUp } from '../engine/wake-up.js';
import { type FromWorker, MAX_CHUNKS_IN_FLIGHT, READ_BYTES, type ToWorker } from './worker-protocol.js';

/** Options of a scan on two cores: scan()'s, less the text scanner and gzip member hooks (they live in the worker). */
export type WorkerScanOptions = Omit<ScanOptions, 'onTextScanner' | 'onGzipMember'> & {
  /** Heap limits of the worker thread (Node's Worker resourceLimits); a worker past them dies, and the scan fails. */
  readonly workerLimits?: ResourceLimits;
};

/**
 * The worker's entry: scan-worker.js beside this module (dist/, and the CLI bundle, where scripts/bundle-cli.ts
 * writes it beside cli-main.cjs), or scan-worker.ts in a source run (tsx, vitest), loaded through tsx.
 */
const startWorker = (resourceLimits: ResourceLimits | undefined): Worker => {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', self), { resourceLimits });
  // tsx's ESM entry (the CommonJS one, which require.resolve names, registers its hooks from a wrong path)
  const tsx = pathToFileURL(
    createRequire(self)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = new URL('./scan-worker.ts', self).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(self)}))`,
    { eval: true, resourceLimits },
  );
};

/** An input chunk as a buffer the worker may own: a copy (the caller may reuse or keep its own). */
const ownedCopy = (c: Uint8Array): ArrayBuffer => {
  const out = new ArrayBuffer(c.byteLength);
  new Uint8Array(out).set(c);
  return out;
};

/**
 * scan() on two cores: the input is read here and scanned in a worker thread, the counts are made here. Errors are
 * scan()'s (same class, code, message, `context.partial`); a worker that dies is an error, never zeros. The worker
 * is ended whatever happens.
 */
export const scanInWorker = async (
  chunks: AsyncIterable<Uint8Array>,
  opts: WorkerScanOptions = {},
): Promise<ScanResult> => {
  const replayer = new EventReplayer(opts);
  const worker = startWorker(opts.workerLimits);
  let inFlight = 0;
  let stopped = false;
  /** Wakes the pump when the worker may take more (or stopped). */
  const credit = new WakeUp();
  const send = (m: ToWorker, transfer: ArrayBuffer[] = []): void => {
    if (!stopped) worker.postMessage(m, transfer);
  };

  const finished = new Promise<ScanOutcome>((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'taken') {
        inFlight--;
        credit.wake();
      } else if (m.type === 'batch') {
        try {
          replayer.replay(m.batch);
        } catch (e) {
          reject(e);
          return;
        }
        if (m.batch.buffer.byteLength > 0) send({ type: 'ack', buffer: m.batch.buffer }, [m.batch.buffer]);
        else send({ type: 'ack', buffer: m.batch.buffer });
      } else {
        resolve(m.outcome);
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      // after 'done' this changes nothing (the promise is settled)
      reject(new Error(`the scan worker stopped (exit code ${code}) before the scan ended`));
    });
  }).finally(() => {
    stopped = true;
    credit.wake();
  });

  /** Waits until the worker may take one more chunk (false: it stopped). */
  const mayPost = async (): Promise<boolean> => {
    while (inFlight >= MAX_CHUNKS_IN_FLIGHT && !stopped) {
      await credit.wait();
    }
    return !stopped;
  };
  const post = (buffer: ArrayBuffer, length: number): void => {
    inFlight++;
    send({ type: 'chunk', buffer, length }, [buffer]);
  };

  let inputError: { readonly error: unknown } | undefined;
  const pump = async (): Promise<void> => {
    const reader = byteReaderOf(chunks);
    try {
      if (reader !== undefined) {
        // a file: read straight into buffers the worker will own (no chunk copied)
        while (await mayPost()) {
          const buffer = new ArrayBuffer(READ_BYTES);
          const n = await reader.readInto(Buffer.from(buffer), 0, READ_BYTES);
          if (n === 0) break;
          post(buffer, n);
        }
      } else {
        for await (const c of chunks) {
          if (!(await mayPost())) break;
          if (c.byteLength > 0) post(ownedCopy(c), c.byteLength);
        }
      }
      send({ type: 'end' });
    } catch (error) {
      inputError = { error };
      send({ type: 'input-failed' });
    } finally {
      await reader?.close();
    }
  };

  try {
    const pumping = pump();
    const outcome = await finished;
    // a scan that ended well read the input to its end; one that failed need not wait for a slow input's next chunk
    // (the pump stops at it, and closes a file it reads, on its own)
    if (outcome.ok) await pumping;
    // the scan's own error is the one to report: a failure to close the input after it is not
    else pumping.catch(() => undefined);
    return replayer.finish(outcome, inputError);
  } finally {
    await worker.terminate();
  }
};
