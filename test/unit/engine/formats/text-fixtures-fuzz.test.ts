import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCase, deliveryPlan } from '../../../support/fuzz/check-case.js';
import { mutatedTextFixture } from '../../../support/fuzz/generators.js';

// The fuzzer's properties (typed errors, time bound, chunk and gzip invariance) on windows of the text
// fixtures whose formats the shared corpus lacks (chan_sip, FreeSWITCH, tcpdump dumps, ngrep's dotted
// modes, SIPp short messages, sngrep), mutated: each reader must give the same verdict however cut.
const SEED = Number(process.env.TEXT_FIXTURE_FUZZ_SEED ?? 3665);
const RUNS = Number(process.env.TEXT_FIXTURE_FUZZ_RUNS ?? 60);

describe('fuzz properties on the text fixtures of the formats the corpus lacks', () => {
  it('hold for windows of the fixtures, whole and mutated', async () => {
    // Prepare / Act
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(mutatedTextFixture(), deliveryPlan, async (input, plan) => {
        const f = await checkCase(input, plan);
        if (f !== null)
          failures.push(`${f.property} ${JSON.stringify(input.describe)} ${JSON.stringify(f.plan).slice(0, 300)}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );

    // Assess
    expect(failures).toEqual([]);
  });
});
