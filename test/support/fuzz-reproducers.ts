import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

/** The shared fuzz reproducers: ../shared/fuzz-reproducers beside the repository (CI puts it there). */
export const REPRODUCERS_DIR = fileURLToPath(new URL('../../../shared/fuzz-reproducers/', import.meta.url));

/** How one reproducer hands its bytes to the engine (see the folder's README). */
export interface ReproducerPlan {
  /** Offsets where chunks start (of the compressed bytes when `gzip` is set). */
  readonly cuts: readonly number[];
  /** Compress the input first: at this level, in two members split at `split` when given. */
  readonly gzip?: { readonly level: number; readonly split?: number };
}

/** One saved case: the property it broke, its input bytes and its plan. */
export interface Reproducer {
  readonly name: string;
  readonly property: 'chunk-invariance' | 'gzip-invariance' | 'typed-errors-only';
  readonly input: Buffer;
  readonly plan: ReproducerPlan;
}

const PROPERTIES = ['chunk-invariance', 'gzip-invariance', 'typed-errors-only'] as const;

const isProperty = (p: unknown): p is Reproducer['property'] =>
  typeof p === 'string' && (PROPERTIES as readonly string[]).includes(p);

/** Reads every reproducer of a folder (ours or the shared one), sorted by name. */
export const readReproducers = (dir: string = REPRODUCERS_DIR): Reproducer[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const meta: unknown = JSON.parse(readFileSync(`${dir}${f}`, 'utf8'));
      if (typeof meta !== 'object' || meta === null) throw new Error(`${f}: not a JSON object`);
      const { property, input, plan } = meta as { property?: unknown; input?: unknown; plan?: ReproducerPlan };
      if (!isProperty(property) || typeof input !== 'string' || plan === undefined) {
        throw new Error(`${f}: needs property, input and plan`);
      }
      const stored = readFileSync(`${dir}${input}`);
      // the .gz of a reproducer's file name is storage only: the input is what it inflates to
      const bytes = input.endsWith('.bin.gz') ? gunzipSync(stored) : stored;
      return {
        name: f.replace(/\.json$/, ''),
        property,
        input: bytes,
        plan: { cuts: plan.cuts ?? [], gzip: plan.gzip },
      };
    });

/** The bytes a gzip plan gives: one member, or two split at `split`. */
export const gzipPlanned = (input: Buffer, gzip: NonNullable<ReproducerPlan['gzip']>): Buffer => {
  const { level, split } = gzip;
  if (split === undefined) return gzipSync(input, { level });
  return Buffer.concat([gzipSync(input.subarray(0, split), { level }), gzipSync(input.subarray(split), { level })]);
};
