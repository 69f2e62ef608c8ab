import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { chunked } from '../../support/collect.js';
import { expectedFor, normaliseByMethod } from '../../support/corpus.js';
import { checkCase, deliveryPlan, type Failure } from '../../support/fuzz/check-case.js';
import {
  anyInput,
  corpusBytes,
  type FuzzInput,
  gzipMutation,
  magicBytes,
  TOKEN_SOUP_MAX,
  tokenSoup,
  windowWithLongLine,
} from '../../support/fuzz/generators.js';

// A short seeded run of the fuzzer's properties (`npm run fuzz` runs the same ones for long):
// every input gives a result or a SipMetricsError, within a per-MB time bound, and the same result
// in one chunk, in random chunks (1 byte to 64 KiB) and gzip-compressed (levels 1/6/9, one or two
// members). A failure prints the property, the input kind and the plan that broke it.
const SEED = 20261124;

/** Runs checkCase over `numRuns` draws of `inputs`; returns the failures (expected: none). */
const failuresOf = async (inputs: fc.Arbitrary<FuzzInput>, numRuns: number): Promise<string[]> => {
  const failures: string[] = [];
  await fc.assert(
    fc.asyncProperty(inputs, deliveryPlan, async (input, plan) => {
      const f: Failure | null = await checkCase(input, plan);
      if (f !== null)
        failures.push(
          `${f.property} ${input.kind} ${JSON.stringify(input.describe)} ${JSON.stringify(f.plan).slice(0, 200)}`,
        );
    }),
    { seed: SEED, numRuns },
  );
  return failures;
};

describe('fuzz properties (typed errors, time bound, chunk and gzip invariance)', () => {
  it('hold for mutated corpus windows, token soup, magic-number noise and damaged gzip', async () => {
    // Prepare / Act
    const failures = await failuresOf(anyInput({ maxWindow: 8192, longLines: false }), 400);

    // Assess
    expect(failures).toEqual([]);
  });

  it('hold for windows with a line just under, at or just over the line limit', async () => {
    // Prepare / Act
    const failures = await failuresOf(windowWithLongLine(4096), 8);

    // Assess
    expect(failures).toEqual([]);
  });

  it('hold for token soup', async () => {
    // Prepare / Act
    const failures = await failuresOf(tokenSoup(TOKEN_SOUP_MAX), 400);

    // Assess
    expect(failures).toEqual([]);
  });

  it('hold for random bytes behind gzip, pcap and pcapng magic numbers', async () => {
    // Prepare / Act
    const failures = await failuresOf(magicBytes(4096), 100);

    // Assess
    expect(failures).toEqual([]);
  });

  it('hold for cut, bit-flipped and junk-trailed gzip', async () => {
    // Prepare / Act
    const failures = await failuresOf(gzipMutation({ maxWindow: 8192, longLines: false }), 100);

    // Assess
    expect(failures).toEqual([]);
  });
});

describe('whole corpus files with junk lines around them', () => {
  // junk that no format reads: a word no log header or SIP line starts with, then printable noise
  const junkLines = fc.array(
    fc.stringMatching(/^[a-z0-9 ,;=]{0,60}$/).map((s) => `junk-line ${s}\n`),
    {
      maxLength: 5,
    },
  );

  for (const file of ['sipp-uac-invite.messages.log', 'mixed.kamailio-proxy.log', 'mixed.pjsip-style.log']) {
    it(`counts ${file} exactly whatever junk lines come before and after it`, async () => {
      // Prepare
      const body = corpusBytes(file);
      const expected = expectedFor(file);

      // Act / Assess
      await fc.assert(
        fc.asyncProperty(junkLines, junkLines, async (before, after) => {
          const input = Buffer.concat([Buffer.from(before.join('')), body, Buffer.from(after.join(''))]);
          const r = await scan(chunked(input, [Math.floor(input.length / 3)]));
          expect([r.responses, r.byCode, normaliseByMethod(r.byMethod)]).toEqual([
            expected.responses,
            expected.responses_by_code,
            normaliseByMethod(expected.responses_by_method),
          ]);
        }),
        { seed: SEED, numRuns: 3 },
      );
    });
  }
});
