/**
 * `npm run fuzz -- --cases N --seed S [--max-window BYTES] [--out DIR]`: a long property run of the
 * engine over the generators of test/support/fuzz (mutated corpus windows with long lines, token
 * soup, random bytes behind magic numbers, damaged gzip). Runs in batches of 1,000 cases with
 * seeds S, S+1, ...; a failing case is shrunk by fast-check, saved as a reproducer into DIR
 * (default test/fixtures/fuzz-reproducers, replayed by the suite) and the run goes on.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { checkCase, deliveryPlan, type Failure, saveReproducer } from '../test/support/fuzz/check-case.js';
import { anyInput, type FuzzInput } from '../test/support/fuzz/generators.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000_007) },
    'max-window': { type: 'string', default: String(64 * 1024) },
    out: { type: 'string', default: 'test/fixtures/fuzz-reproducers' },
  },
});
const cases = Number(values.cases);
const seed = Number(values.seed);
const maxWindow = Number(values['max-window']);
const BATCH = 1000;

const failures = new Map<string, string>();
let done = 0;
const started = Date.now();
console.log(`fuzz: ${cases} cases, seed ${seed}, windows up to ${maxWindow} bytes, reproducers into ${values.out}`);
for (let batch = 0; done < cases; batch++) {
  const runs = Math.min(BATCH, cases - done);
  let last: { input: FuzzInput; failure: Failure } | undefined;
  const result = await fc.check(
    fc.asyncProperty(anyInput({ maxWindow, longLines: true }), deliveryPlan, async (input, plan) => {
      const failure = await checkCase(input, plan);
      if (failure !== null) last = { input, failure };
      return failure === null;
    }),
    { seed: seed + batch, numRuns: runs, endOnFailure: false },
  );
  done += result.numRuns;
  if (result.failed && result.counterexample !== null) {
    // fast-check replays the shrunk counterexample last: `last` holds its input and failure
    const [input, plan] = result.counterexample;
    const failure = (await checkCase(input, plan)) ?? last?.failure;
    if (failure) {
      const name = saveReproducer(values.out, input, failure, { seed: seed + batch, case: done });
      failures.set(name, failure.property);
      console.log(`FAIL ${failure.property} (batch seed ${seed + batch}, ${input.kind}) saved as ${name}`);
    }
  }
  const s = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`${done}/${cases} cases, ${failures.size} failing, ${s} s`);
}
console.log(`fuzz done: ${done} cases, seed ${seed}, ${failures.size} reproducers saved`);
process.exit(failures.size > 0 ? 1 : 0);
