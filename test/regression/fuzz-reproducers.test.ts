import { describe, expect, it } from 'vitest';
import { scan } from '../../lambda/engine/index.js';
import type { ScanResult } from '../../lambda/engine/tally.js';
import { SipMetricsError } from '../../lambda/errors.js';
import { chunked } from '../support/collect.js';
import { gzipPlanned, readReproducers } from '../support/fuzz-reproducers.js';

// Every input on which a fuzzer once broke a property of the engine (../shared/fuzz-reproducers):
// each must now hold. The verdict of a scan is its whole result, or the code of its error.

type Verdict = { readonly error: string } | { readonly result: Omit<ScanResult, 'bytes'> };

/** What a scan of these chunks ends with; `gzip` dropped from formats so plain and gzip compare. */
const verdictOf = async (chunks: AsyncIterable<Uint8Array>): Promise<Verdict> => {
  try {
    const { bytes: _bytes, ...result } = await scan(chunks);
    return { result: { ...result, formats: result.formats.filter((f) => f !== 'gzip') } };
  } catch (e) {
    if (e instanceof SipMetricsError) return { error: e.code };
    throw e;
  }
};

describe('fuzz reproducers', () => {
  for (const r of readReproducers()) {
    it(`${r.name} holds ${r.property}`, async () => {
      // Prepare
      const { input, plan } = r;

      // Act
      const whole = await verdictOf(chunked(input, []));
      const planned =
        plan.gzip === undefined
          ? await verdictOf(chunked(input, plan.cuts))
          : await verdictOf(chunked(gzipPlanned(input, plan.gzip), plan.cuts));

      // Assess
      expect(planned).toEqual(whole);
    });
  }
});
