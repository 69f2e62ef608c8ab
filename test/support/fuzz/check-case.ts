import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { gzipSync } from 'node:zlib';
import { scanThroughEvents } from '../../../lambda/engine/pipeline/scan-through-events.js';
import type { DeliveryPlan, FuzzInput } from './generators.js';
import { deliveryPlan, planFor } from './generators.js';
import { comparable, cutAt, gzipAs, type Outcome, outcomeOf } from './invariance.js';

/** The properties every input must keep. */
export type Property =
  | 'typed-errors-only'
  | 'time-bound'
  | 'chunk-invariance'
  | 'gzip-invariance'
  /** The two-thread pipeline's encode -> replay (lambda/engine/pipeline) gives what scan() gives. */
  | 'pipeline-equivalence';

/** A broken property, with what is needed to replay it. */
export interface Failure {
  readonly property: Property;
  readonly plan: { readonly cuts: readonly number[]; readonly uint8?: boolean; readonly gzip?: DeliveryPlan['gzip'] };
  readonly detail: Record<string, unknown>;
}

/** Time a scan may take: a fixed allowance plus so much per MB (generous: the machine is shared). */
export interface TimeBound {
  readonly baseMs: number;
  readonly msPerMb: number;
}

/** Per-MB bound of the suite and of `npm run fuzz`: about 50 times the engine's normal speed. */
export const DEFAULT_TIME_BOUND: TimeBound = { baseMs: 2000, msPerMb: 2000 };

type DrawnPlan = Parameters<typeof planFor>[1];

export { deliveryPlan };

const untyped = (o: Outcome): boolean => !o.ok && !o.typed;
const describeOutcome = (o: Outcome): unknown => (o.ok ? o.view : { code: o.code, message: o.message });

/** Checks one input against every property; returns the first one broken, or null. */
export const checkCase = async (
  input: FuzzInput,
  drawn: DrawnPlan,
  bound: TimeBound = DEFAULT_TIME_BOUND,
): Promise<Failure | null> => {
  const bytes = input.bytes;
  const started = performance.now();
  const whole = await outcomeOf(cutAt(bytes, []));
  const ms = performance.now() - started;
  if (untyped(whole)) return { property: 'typed-errors-only', plan: { cuts: [] }, detail: { error: whole } };
  const allowedMs = bound.baseMs + (bound.msPerMb * bytes.length) / 1e6;
  if (ms > allowedMs) return { property: 'time-bound', plan: { cuts: [] }, detail: { ms, allowedMs } };

  const plan = planFor(bytes.length, drawn);
  const cut = await outcomeOf(cutAt(bytes, plan.cuts, plan.uint8));
  if (untyped(cut)) return { property: 'typed-errors-only', plan, detail: { error: cut } };
  if (!isDeepStrictEqual(comparable(cut), comparable(whole))) {
    return {
      property: 'chunk-invariance',
      plan: { cuts: plan.cuts, uint8: plan.uint8 },
      detail: { oneChunk: describeOutcome(whole), randomChunks: describeOutcome(cut) },
    };
  }

  // the same chunks with the scanning side's calls recorded and replayed, as the two-thread scan does
  const replayed = await outcomeOf(cutAt(bytes, plan.cuts, plan.uint8), scanThroughEvents);
  if (!isDeepStrictEqual(comparable(replayed), comparable(cut))) {
    return {
      property: 'pipeline-equivalence',
      plan: { cuts: plan.cuts, uint8: plan.uint8 },
      detail: { scan: describeOutcome(cut), replayed: describeOutcome(replayed) },
    };
  }

  // gzip of gzip is not a log (the engine inflates one layer): compare plain inputs only
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return null;
  const gz = gzipAs(bytes, plan.gzip);
  const gzCuts = planFor(gz.length, drawn).cuts;
  const zipped = await outcomeOf(cutAt(gz, gzCuts, plan.uint8));
  if (untyped(zipped)) return { property: 'typed-errors-only', plan: { cuts: gzCuts, gzip: plan.gzip }, detail: {} };
  if (!isDeepStrictEqual(comparable(zipped), comparable(whole))) {
    return {
      property: 'gzip-invariance',
      plan: { cuts: gzCuts, gzip: plan.gzip },
      detail: { plain: describeOutcome(whole), gzip: describeOutcome(zipped) },
    };
  }
  return null;
};

/** Saves a failing case as NAME.json + NAME.bin (or .bin.gz, storage only, when large) in `dir`; returns NAME. */
export const saveReproducer = (
  dir: string,
  input: FuzzInput,
  failure: Failure,
  meta: { readonly seed: number; readonly case: number },
): string => {
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(input.bytes).update(JSON.stringify(failure.plan)).digest('hex');
  const name = `${failure.property}-${hash.slice(0, 10)}`;
  const large = input.bytes.length > 64 * 1024;
  const file = `${name}.bin${large ? '.gz' : ''}`;
  writeFileSync(`${dir}/${file}`, large ? gzipSync(input.bytes, { level: 9 }) : input.bytes);
  const spec = {
    property: failure.property,
    seed: meta.seed,
    input: `${name}.bin`,
    case: { case: meta.case, kind: input.kind, ...input.describe },
    plan: failure.plan,
    bytes: input.bytes.length,
    detail: failure.detail,
  };
  writeFileSync(`${dir}/${name}.json`, `${JSON.stringify(spec, null, 1)}\n`);
  return name;
};
