import { MessageCounter } from '../../lambda/engine/message-counter.js';
import { SipFramer } from '../../lambda/engine/sip-framer.js';
import { Tally } from '../../lambda/engine/tally.js';

/** A framer wired to a real counter and tally, as the engine wires them. */
export const framerWithTally = (): { framer: SipFramer; tally: Tally } => {
  const tally = new Tally();
  const framer = new SipFramer(new MessageCounter(tally));
  return { framer, tally };
};

/** Yields a buffer cut at the given offsets (sorted, within bounds). */
export async function* chunked(buf: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    if (c <= prev || c >= buf.length) continue;
    yield buf.subarray(prev, c);
    prev = c;
  }
  yield buf.subarray(prev);
}
