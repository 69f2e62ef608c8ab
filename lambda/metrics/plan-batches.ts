import { createHash } from 'node:crypto';
import { MAX_DATUMS_PER_CALL, PAYLOAD_BUDGET_BYTES } from './cloudwatch-limits.js';
import type { MetricPoint } from './metric-point.js';

/** Room for `{"Namespace":"...","MetricData":[]}` around the datums. */
const ENVELOPE_BYTES = 512;
/** ProcessingLagSeconds changes value between attempts: plan it at its largest so batches stay the same. */
const LAG_DATUM_BYTES = 160;

/** Bytes one datum adds to the JSON body (timestamps travel as epoch seconds in AWS JSON 1.0). */
const datumBytes = (p: MetricPoint): number => {
  if (p.MetricName === 'ProcessingLagSeconds') return LAG_DATUM_BYTES;
  return Buffer.byteLength(JSON.stringify({ ...p, Timestamp: p.Timestamp.getTime() / 1000 })) + 1;
};

/** Splits datums into batches of at most `maxDatums` datums and `maxBytes` bytes, keeping their order. */
export const planBatches = (
  points: readonly MetricPoint[],
  maxDatums = MAX_DATUMS_PER_CALL,
  maxBytes = PAYLOAD_BUDGET_BYTES,
): MetricPoint[][] => {
  const batches: MetricPoint[][] = [];
  let cur: MetricPoint[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const p of points) {
    const n = datumBytes(p);
    if (cur.length > 0 && (cur.length >= maxDatums || bytes + n > maxBytes)) {
      batches.push(cur);
      cur = [];
      bytes = ENVELOPE_BYTES;
    }
    cur.push(p);
    bytes += n;
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
};

/** A digest of what the batches hold (ProcessingLagSeconds' value excluded: it is measured per attempt). */
export const planDigest = (batches: readonly (readonly MetricPoint[])[]): string => {
  const h = createHash('sha256');
  for (const b of batches) {
    h.update('[');
    for (const p of b) {
      const stable = p.MetricName === 'ProcessingLagSeconds' ? { MetricName: p.MetricName } : p;
      h.update(JSON.stringify(stable));
    }
    h.update(']');
  }
  return h.digest('base64url').slice(0, 22);
};
