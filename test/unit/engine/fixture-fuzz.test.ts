import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCase, deliveryPlan } from '../../support/fuzz/check-case.js';
import { type FuzzInput, mutatedTextFixture, mutatedTransportFixture } from '../../support/fuzz/generators.js';

// The fuzzer's properties (typed errors, time bound, chunk and gzip invariance) on the test fixtures of what the
// shared corpus lacks, mutated: the captures of WebSocket, SCTP and HEP (their parsers keep state across chunks:
// frames, fragments, HEP3 packets) and windows of the text logs of chan_sip, FreeSWITCH, tcpdump's dumps, ngrep's
// dotted modes, SIPp short messages, sngrep and baresip. A chunk boundary anywhere must change nothing.
const RUNS = Number(process.env.FIXTURE_FUZZ_RUNS ?? 60);

describe('fuzz properties on the fixtures of what the corpus lacks', () => {
  it.each<[string, () => fc.Arbitrary<FuzzInput>, number]>([
    ['the WebSocket, SCTP and HEP captures, whole', mutatedTransportFixture, 7118],
    ['windows of the text fixtures', mutatedTextFixture, 3665],
  ])('hold for %s and mutated', async (_, inputs, seed) => {
    // Prepare / Act
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(inputs(), deliveryPlan, async (input, plan) => {
        const f = await checkCase(input, plan);
        if (f !== null)
          failures.push(`${f.property} ${JSON.stringify(input.describe)} ${JSON.stringify(f.plan).slice(0, 300)}`);
      }),
      { seed: Number(process.env.FIXTURE_FUZZ_SEED ?? seed), numRuns: RUNS },
    );

    // Assess
    expect(failures).toEqual([]);
  });
});
