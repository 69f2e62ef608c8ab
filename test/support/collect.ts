import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { scan } from '../../lambda/engine/index.js';
import { MessageCounter } from '../../lambda/engine/message-counter.js';
import { SipFramer } from '../../lambda/engine/sip-framer.js';
import type { ScanResult } from '../../lambda/engine/tally.js';
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

/** A file of test/fixtures/, named from there: `readFixture('text/chan-sip-full.log')`. */
export const readFixture = (path: string): Buffer => readFileSync(new URL(`../fixtures/${path}`, import.meta.url));

/** The byClass (and retransmittedByClass) of a result that counted no response. */
export const NO_CLASSES = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };

/** Scans the input handed over in one chunk. */
export const scanWhole = (input: Buffer): Promise<ScanResult> => scan(chunked(input, []));

/** Scans text written one byte per character (latin1), in one chunk. */
export const scanText = (text: string): Promise<ScanResult> => scanWhole(Buffer.from(text, 'latin1'));

/** A result of the whole input, and the cuts whose result differs from it. */
export interface Replay<Cut> {
  readonly whole: ScanResult;
  readonly differing: Cut[];
}

/** Options of replayCutInTwo. */
export interface CutInTwoOptions {
  /** Cut at every `step`-th offset only (default 1: at every byte). */
  readonly step?: number;
  /** What to compare (default: the whole result). */
  readonly view?: (r: ScanResult) => unknown;
}

/** Whether a result equals `whole` in `view`; compared as JSON: fast enough for thousands of cuts, and key order counts too. */
const sameAs = (whole: ScanResult, view: (r: ScanResult) => unknown): ((r: ScanResult) => boolean) => {
  const expected = JSON.stringify(view(whole));
  return (r: ScanResult): boolean => JSON.stringify(view(r)) === expected;
};

/**
 * Scans the input whole, then cut in two at each offset from 1 to its end; returns the whole
 * result and the offsets whose result (or `view` of it) differs from the whole one.
 */
export const replayCutInTwo = async (input: Buffer, options: CutInTwoOptions = {}): Promise<Replay<number>> => {
  const { step = 1, view = (r: ScanResult): unknown => r } = options;
  const whole = await scanWhole(input);
  const same = sameAs(whole, view);
  const differing: number[] = [];
  for (let at = 1; at < input.length; at += step) {
    if (!same(await scan(chunked(input, [at])))) differing.push(at);
  }
  return { whole, differing };
};

/** Seed and runs of replayAtRandomCuts: the same cuts on every run of the tests. */
const RANDOM_CUTS_SEED = 3261;
const RANDOM_CUTS_RUNS = 150;

/**
 * Scans the input whole, then cut at 1 to `maxCuts` distinct offsets that fast-check draws (fixed
 * seed, 150 draws); returns the whole result and the cut lists whose result differs from it.
 */
export const replayAtRandomCuts = async (input: Buffer, maxCuts: number): Promise<Replay<number[]>> => {
  const whole = await scanWhole(input);
  const same = sameAs(whole, (r) => r);
  const cuts = fc.uniqueArray(fc.integer({ min: 1, max: input.length - 1 }), { minLength: 1, maxLength: maxCuts });
  const differing: number[][] = [];
  await fc.assert(
    fc.asyncProperty(cuts, async (at) => {
      if (!same(await scan(chunked(input, at)))) differing.push(at);
    }),
    { seed: RANDOM_CUTS_SEED, numRuns: RANDOM_CUTS_RUNS },
  );
  return { whole, differing };
};
