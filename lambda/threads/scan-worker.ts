/**
 * The worker thread of a two-core scan (scanInWorker, worker-scan.ts): takes the input chunks the main thread
 * sends, runs the scanning side on them (engine/pipeline/record-events.ts) and posts the recorded events back in batches. It waits
 * when MAX_BATCHES_IN_FLIGHT batches are not replayed yet, so a slow main thread bounds the memory, not the input.
 */
import { parentPort } from 'node:worker_threads';
import { recordScan } from '../engine/pipeline/record-events.js';
import { WakeUp } from '../engine/wake-up.js';
import { type FromWorker, MAX_BATCHES_IN_FLIGHT, type ToWorker } from './worker-protocol.js';

/** Thrown into the scan when the main thread could not read the input (it throws the original error itself). */
class InputFailed extends Error {}

const port = parentPort;
if (port === null) throw new Error('scan-worker.ts runs as a worker thread (see scanInWorker)');

const chunks: Buffer[] = [];
let ended = false;
let failed = false;
let unreplayed = 0;
/** Ends the scan's wait for input or for a replayed batch. */
const fromMain = new WakeUp();

const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

const recorded = recordScan((batch) => {
  unreplayed++;
  post({ type: 'batch', batch }, batch.buffer.byteLength > 0 ? [batch.buffer] : []);
});

port.on('message', (m: ToWorker) => {
  if (m.type === 'chunk') chunks.push(Buffer.from(m.buffer, 0, m.length));
  else if (m.type === 'end') ended = true;
  else if (m.type === 'input-failed') failed = true;
  else {
    unreplayed--;
    recorded.encoder.recycle(m.buffer);
  }
  fromMain.wake();
});

async function* input(): AsyncGenerator<Buffer> {
  for (;;) {
    while (unreplayed >= MAX_BATCHES_IN_FLIGHT) await fromMain.wait();
    const chunk = chunks.shift();
    if (chunk !== undefined) {
      post({ type: 'taken' });
      yield chunk;
      continue;
    }
    if (failed) throw new InputFailed('the input could not be read');
    if (ended) return;
    await fromMain.wait();
  }
}

const outcome = await recorded.run(input());
post({ type: 'done', outcome });
// nothing keeps the thread alive once the port is closed: it ends on its own (and the main thread terminates it)
port.close();
