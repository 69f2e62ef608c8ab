import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scanThroughEvents } from '../../../lambda/engine/pipeline/scan-through-events.js';
import { DEFAULT_TIME_BOUND, type Property } from '../../support/fuzz/check-case.js';
import { comparable, cutAt, type GzipPlan, gzipAs, outcomeOf } from '../../support/fuzz/invariance.js';

// Every minimized input on which an earlier engine broke a property (../shared/fuzz-reproducers,
// and the ones our own fuzzer saved in test/fixtures/fuzz-reproducers), replayed with the plan
// that broke it. See the README of each folder for the format.
const FOLDERS = [
  fileURLToPath(new URL('../../../../shared/fuzz-reproducers/', import.meta.url)),
  fileURLToPath(new URL('../../fixtures/fuzz-reproducers/', import.meta.url)),
];

interface Reproducer {
  readonly property: Property;
  readonly input: string;
  readonly plan: { readonly cuts: readonly number[]; readonly uint8?: boolean; readonly gzip?: GzipPlan };
}

const cases = FOLDERS.filter((d) => existsSync(d)).flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ dir, name: f.slice(0, -5), spec: JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as Reproducer })),
);

/** The input bytes of a reproducer (a `.gz` suffix is storage only). */
const inputOf = (dir: string, spec: Reproducer): Buffer => {
  const stored = existsSync(`${dir}${spec.input}`) ? `${dir}${spec.input}` : `${dir}${spec.input}.gz`;
  const raw = readFileSync(stored);
  return stored.endsWith('.gz') ? gunzipSync(raw) : raw;
};

describe('fuzz reproducers', () => {
  it('are all there', () => {
    expect(cases.length).toBeGreaterThanOrEqual(41);
  });

  for (const { dir, name, spec } of cases) {
    it(`${name} keeps its property`, async () => {
      // Prepare
      const input = inputOf(dir, spec);

      // Act
      const started = performance.now();
      const whole = await outcomeOf(cutAt(input, []));
      const ms = performance.now() - started;
      const other =
        spec.property === 'gzip-invariance'
          ? await outcomeOf(cutAt(gzipAs(input, spec.plan.gzip ?? { level: 6 }), spec.plan.cuts))
          : await outcomeOf(
              cutAt(input, spec.plan.cuts, spec.plan.uint8 === true),
              spec.property === 'pipeline-equivalence' ? scanThroughEvents : undefined,
            );

      // Assess
      expect(whole.ok || whole.typed, `${whole.ok ? '' : whole.message}`).toBe(true);
      expect(other.ok || other.typed, `${other.ok ? '' : other.message}`).toBe(true);
      expect(comparable(other)).toEqual(comparable(whole));
      expect(ms).toBeLessThan(DEFAULT_TIME_BOUND.baseMs + (DEFAULT_TIME_BOUND.msPerMb * input.length) / 1e6);
    }, 60_000);
  }
});
