/**
 * A scan whose scanning side and counting side talk only through event batches, on one thread: the exactness guard
 * of the pipeline (test/unit/engine/pipeline/events-equivalence.test.ts compares it with scan() on every corpus file).
 */
import type { ScanOptions, ScanResult } from '../index.js';
import { recordScan } from './record-events.js';
import { EventReplayer } from './replay-events.js';

/** Remembers the first error the input itself threw: that one, not its serialized copy, is what scan() throws. */
export class InputWatch {
  failed = false;
  error: unknown;

  /** `chunks`, noting an error they throw (and throwing it on). */
  async *watch(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    try {
      for await (const c of chunks) yield c;
    } catch (e) {
      this.failed = true;
      this.error = e;
      throw e;
    }
  }
}

/** scan(), with every call from the scanning side to the counting side encoded into batches and replayed. */
export const scanThroughEvents = async (
  chunks: AsyncIterable<Uint8Array>,
  opts: ScanOptions = {},
): Promise<ScanResult> => {
  const replayer = new EventReplayer(opts);
  const recorded = recordScan((batch) => {
    replayer.replay(batch);
    recorded.encoder.recycle(batch.buffer);
  });
  const input = new InputWatch();
  const outcome = await recorded.run(input.watch(chunks));
  return replayer.finish(outcome, input.failed ? { error: input.error } : undefined);
};
