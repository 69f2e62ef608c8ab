import { gzipSync } from 'node:zlib';
import { scan } from '../../../lambda/engine/index.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { SipMetricsError } from '../../../lambda/errors.js';

/** What a scan ended with, in the fields that must not depend on chunking or compression. */
export type Outcome =
  | { readonly ok: true; readonly view: Record<string, unknown> }
  | { readonly ok: false; readonly code: string; readonly typed: boolean; readonly message: string };

/** The fields of a result that are a function of the (decompressed) bytes alone. */
export const invariantView = (r: ScanResult): Record<string, unknown> => ({
  messages: r.messages,
  requests: r.requests,
  responses: r.responses,
  accountedResponses: r.accountedResponses,
  byClass: r.byClass,
  byCode: r.byCode,
  byMethod: r.byMethod,
  requestsByMethod: r.requestsByMethod,
  retransmissions: r.retransmissions,
  retransmittedByClass: r.retransmittedByClass,
  anomalies: Object.fromEntries(Object.entries(r.anomalies).sort(([a], [b]) => a.localeCompare(b))),
  unrecognizedBytes: r.unrecognizedBytes,
  timedResponses: r.timedResponses,
  byPeer: r.byPeer,
  kpis: r.kpis,
  series: r.series,
  // 'gzip' says how the bytes arrived, not what they hold
  formats: r.formats.filter((f) => f !== 'gzip').sort(),
});

/** Yields `buf` cut at the sorted offsets `cuts` (as plain Uint8Array views when `uint8`). */
export async function* cutAt(buf: Uint8Array, cuts: readonly number[], uint8 = false): AsyncGenerator<Uint8Array> {
  let prev = 0;
  const wrap = (a: number, b: number): Uint8Array =>
    uint8 ? new Uint8Array(buf.buffer, buf.byteOffset + a, b - a) : Buffer.from(buf.buffer, buf.byteOffset + a, b - a);
  for (const c of [...cuts].sort((a, b) => a - b)) {
    if (c <= prev || c >= buf.length) continue;
    yield wrap(prev, c);
    prev = c;
  }
  yield wrap(prev, buf.length);
}

/** Scans the chunks (with scan(), or `scanWith`) and reduces the result (or the error) to an Outcome. */
export const outcomeOf = async (
  chunks: AsyncIterable<Uint8Array>,
  scanWith: (chunks: AsyncIterable<Uint8Array>) => Promise<ScanResult> = scan,
): Promise<Outcome> => {
  try {
    return { ok: true, view: invariantView(await scanWith(chunks)) };
  } catch (e) {
    if (e instanceof SipMetricsError) return { ok: false, code: e.code, typed: true, message: e.message };
    return { ok: false, code: e instanceof Error ? e.name : typeof e, typed: false, message: String(e) };
  }
};

/** How to gzip an input: level, and an optional offset where a second member starts. */
export interface GzipPlan {
  readonly level: number;
  readonly split?: number;
}

/** The input gzip-compressed as the plan says (two members when `split` is set). */
export const gzipAs = (input: Uint8Array, plan: GzipPlan): Buffer => {
  const opts = { level: plan.level };
  if (plan.split === undefined) return gzipSync(input, opts);
  return Buffer.concat([gzipSync(input.subarray(0, plan.split), opts), gzipSync(input.subarray(plan.split), opts)]);
};

/** Comparable form of an outcome: the message of an error may name chunk-dependent offsets, the code may not. */
export const comparable = (o: Outcome): unknown => (o.ok ? o.view : { code: o.code, typed: o.typed });
