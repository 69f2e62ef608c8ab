import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type ScanOptions, scan } from '../../../../lambda/engine/index.js';
import { scanThroughEvents } from '../../../../lambda/engine/pipeline/scan-through-events.js';
import type { ScanResult } from '../../../../lambda/engine/tally.js';

/**
 * The guard of the two-core scan (lambda/engine/pipeline): every call the scanning side makes to the counting side,
 * encoded into event batches and replayed, gives exactly what scan() gives. Over every shared corpus file, every
 * test fixture and every fuzz reproducer, read in odd chunk sizes, with default options and with a reference time
 * and a zone (so the file clock places local, year-less and time-of-day stamps), results compared whole (KPIs,
 * series, byPeer, anomalies, retransmissions) and as JSON (key order included); errors by class, code, message and
 * partial counts.
 */

const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));
const SHARED = here('../../../../../shared/');
const FIXTURES = here('../../../fixtures/');

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'expected' ? [] : filesUnder(p);
    return /\.(md|json|py|sh|mjs|ts|cfg|xml)$/.test(d.name) && !/\.(log|txt)\./.test(d.name) ? [] : [p];
  });

/** Inputs: [name, bytes]. The reproducers' `.bin.gz` is storage only (their README): inflated first. */
const inputs = (): [string, Buffer][] => {
  const corpus = filesUnder(join(SHARED, 'corpus')).map((p): [string, Buffer] => [
    p.slice(SHARED.length),
    readFileSync(p),
  ]);
  const fixtures = filesUnder(FIXTURES)
    .filter((p) => statSync(p).size > 0)
    .map((p): [string, Buffer] => [p.slice(FIXTURES.length - 'fixtures/'.length), readFileSync(p)]);
  const reproducers = readdirSync(join(SHARED, 'fuzz-reproducers'))
    .filter((f) => f.endsWith('.bin') || f.endsWith('.bin.gz'))
    .map((f): [string, Buffer] => {
      const raw = readFileSync(join(SHARED, 'fuzz-reproducers', f));
      return [`fuzz-reproducers/${f}`, f.endsWith('.gz') ? gunzipSync(raw) : raw];
    });
  return [...corpus, ...fixtures, ...reproducers];
};

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

type Outcome = { readonly ok: true; readonly result: ScanResult } | { readonly ok: false; readonly error: unknown };

const outcome = async (run: () => Promise<ScanResult>): Promise<Outcome> => {
  try {
    return { ok: true, result: await run() };
  } catch (error) {
    return { ok: false, error };
  }
};

/** An outcome as plain data: the result, or the error's class, code, message and context (partial counts included). */
const plain = (o: Outcome): unknown => {
  if (o.ok) return o.result;
  const e = o.error as Error & { code?: string; context?: unknown };
  return { class: e.constructor.name, name: e.name, code: e.code, message: e.message, context: e.context };
};

const OPTIONS: readonly [string, ScanOptions][] = [
  ['default options', {}],
  ['a reference time and zone', { referenceMs: Date.UTC(2026, 10, 24, 18, 0, 0), timeZone: 'America/New_York' }],
];
const ODD_CHUNKS = [65_537, 4_099, 1 << 20, 777];

describe('scan through event batches', () => {
  const all = inputs();

  it('covers the corpus, the fixtures and the reproducers', () => {
    expect(all.filter(([n]) => n.startsWith('corpus/')).length).toBe(12);
    expect(all.filter(([n]) => n.startsWith('fuzz-reproducers/')).length).toBeGreaterThanOrEqual(41);
    expect(all.filter(([n]) => n.startsWith('fixtures/')).length).toBeGreaterThanOrEqual(30);
  });

  for (const [label, opts] of OPTIONS) {
    it(`gives exactly scan()'s results and errors with ${label}`, async () => {
      for (const [i, [name, bytes]] of all.entries()) {
        // Prepare
        const size = ODD_CHUNKS[i % ODD_CHUNKS.length] ?? 4_099;

        // Act
        const direct = await outcome(() => scan(chunked(bytes, size), opts));
        const replayed = await outcome(() => scanThroughEvents(chunked(bytes, size), opts));

        // Assess
        expect(plain(replayed), name).toEqual(plain(direct));
        expect(JSON.stringify(plain(replayed)), name).toBe(JSON.stringify(plain(direct)));
      }
    }, 600_000);
  }
});
