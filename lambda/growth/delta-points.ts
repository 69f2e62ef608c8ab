import type { MetricPoint } from '../engine/to-metric-points.js';

const keyOf = (p: MetricPoint): string =>
  `${p.Timestamp.getTime()}\u0000${p.MetricName}\u0000${p.Dimensions.map((d) => `${d.Name}=${d.Value}`).join('\u0000')}`;

const sumOf = (p: MetricPoint): number => p.Values.reduce((n, v, i) => n + v * (p.Counts[i] ?? 1), 0);

/**
 * The datums of `now` minus those of `before`, datum by datum (metric, dimensions, minute): what a resumed version
 * adds to what the previous version published for the same bytes. Both must come from toMetricPoints with the same
 * options. A count that went down (a message the previous version saw cut, say `CSeq: 1 INV`, now whole) is sent
 * as observations of -1: CloudWatch's Sum, which every alarm and widget reads, then equals one upload of the whole
 * file. FilesProcessed is `now`'s own (this version is one more file processed).
 */
export const deltaPoints = (now: readonly MetricPoint[], before: readonly MetricPoint[]): MetricPoint[] => {
  const acc = new Map<string, { point: MetricPoint; sum: number }>();
  for (const [sign, points] of [
    [1, now],
    [-1, before],
  ] as const) {
    for (const p of points) {
      if (sign < 0 && p.MetricName === 'FilesProcessed') continue;
      const k = keyOf(p);
      const cur = acc.get(k) ?? { point: p, sum: 0 };
      cur.sum += sign * sumOf(p);
      acc.set(k, cur);
    }
  }
  const out: MetricPoint[] = [];
  for (const k of [...acc.keys()].sort()) {
    const { point, sum } = acc.get(k) ?? { point: undefined, sum: 0 };
    if (point === undefined || sum === 0) continue;
    // counts stay observations of ±1 so that datums of one key still merge by adding counts; bytes are one value
    const unitValue = point.Unit === 'Count';
    out.push({
      ...point,
      Values: [unitValue ? Math.sign(sum) : sum],
      Counts: [unitValue ? Math.abs(sum) : 1],
    });
  }
  return out.sort((a, b) => a.Timestamp.getTime() - b.Timestamp.getTime());
};
