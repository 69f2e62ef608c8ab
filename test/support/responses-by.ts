import type { RecordedDatum } from '../../local/loopback-cloudwatch.js';

/**
 * Sums the `Responses` datums that carry exactly the dimensions Class and `dim`:
 * class -> value of `dim` -> responses.
 */
export const responsesBy = (
  datums: readonly RecordedDatum[],
  dim: 'Code' | 'Method' | 'Peer',
): Record<string, Record<string, number>> => {
  const out: Record<string, Record<string, number>> = {};
  for (const d of datums) {
    const keys = Object.keys(d.dimensions).sort();
    if (d.metricName !== 'Responses' || keys.join() !== ['Class', dim].sort().join()) continue;
    const cls = d.dimensions.Class ?? '';
    const v = d.dimensions[dim] ?? '';
    const perClass = out[cls] ?? {};
    out[cls] = perClass;
    perClass[v] = (perClass[v] ?? 0) + d.values.reduce((n, x, i) => n + x * (d.counts[i] ?? 1), 0);
  }
  return out;
};
