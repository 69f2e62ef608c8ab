import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCase, deliveryPlan } from '../../../support/fuzz/check-case.js';
import { mutatedTransportFixture } from '../../../support/fuzz/generators.js';

// The fuzzer's properties (typed errors, time bound, chunk and gzip invariance) on the captures of
// WebSocket, SCTP and HEP, mutated: their parsers keep state across chunks (frames, fragments,
// HEP3 packets), so a chunk boundary anywhere must change nothing.
const SEED = Number(process.env.TRANSPORT_FUZZ_SEED ?? 7118);
const RUNS = Number(process.env.TRANSPORT_FUZZ_RUNS ?? 60);

describe('fuzz properties on the WebSocket, SCTP and HEP fixtures', () => {
  it('hold for the fixtures whole and mutated', async () => {
    // Prepare / Act
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(mutatedTransportFixture(), deliveryPlan, async (input, plan) => {
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
