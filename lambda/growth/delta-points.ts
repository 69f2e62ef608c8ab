import { bucketOf } from '../engine/delay-histogram.js';
import { MAX_VALUES_PER_DATUM, type MetricPoint } from '../engine/to-metric-points.js';

// the bytes of both scans are one figure of this processing, wherever the previous version's processing put its own
const keyOf = (p: MetricPoint): string =>
  `${p.MetricName === 'BytesProcessed' ? 0 : p.Timestamp.getTime()}\u0000${p.MetricName}\u0000${p.Dimensions.map((d) => `${d.Name}=${d.Value}`).join('\u0000')}`;

/**
 * The datums of `now` minus those of `before`, datum by datum (metric, dimensions, minute) and value by value: what a
 * resumed version adds to what the previous version published for the same bytes. Both must come from
 * toMetricPoints with the same options.
 * - Counts (every observation is 1): a count that went down (a message the previous version saw cut, say
 *   `CSeq: 1 INV`, now whole) is sent as observations of -1, so CloudWatch's Sum, which every alarm and widget
 *   reads, equals one upload of the whole file.
 * - Distributions (KPI delays, in milliseconds) are compared by histogram bucket, not by value: a bucket's observation
 *   is its midpoint clamped to the minute's minimum and maximum, so the same delay may be printed 89 by a version
 *   whose minute ended there and 89.153 by the next. Only buckets that gained observations are sent (with `now`'s
 *   value); one the previous version made and the new scan does not repeat cannot be taken back from a percentile,
 *   and stays.
 * - BytesProcessed is the difference (the new bytes); FilesProcessed is `now`'s own (one more file processed).
 */
export const deltaPoints = (now: readonly MetricPoint[], before: readonly MetricPoint[]): MetricPoint[] => {
  /** Per datum: the net count per value (per bucket for delays), and the value `now` sent for it. */
  const acc = new Map<string, { point: MetricPoint; byValue: Map<number, number>; sentAs: Map<number, number> }>();
  for (const [sign, points] of [
    [1, now],
    [-1, before],
  ] as const) {
    for (const p of points) {
      if (sign < 0 && p.MetricName === 'FilesProcessed') continue;
      const k = keyOf(p);
      const cur = acc.get(k) ?? { point: p, byValue: new Map<number, number>(), sentAs: new Map<number, number>() };
      const delays = p.Unit === 'Milliseconds';
      for (const [i, v] of p.Values.entries()) {
        const at = delays ? bucketOf(v) : v;
        if (sign > 0) cur.sentAs.set(at, v);
        cur.byValue.set(at, (cur.byValue.get(at) ?? 0) + sign * (p.Counts[i] ?? 1));
      }
      acc.set(k, cur);
    }
  }
  const out: MetricPoint[] = [];
  for (const k of [...acc.keys()].sort()) {
    const entry = acc.get(k);
    if (entry === undefined) continue;
    const { point, byValue, sentAs } = entry;
    let values: number[];
    let counts: number[];
    if (point.MetricName === 'BytesProcessed') {
      const d = [...byValue.entries()].reduce((n, [v, c]) => n + v * c, 0);
      [values, counts] = d === 0 ? [[], []] : [[d], [1]];
    } else if (point.Unit === 'Count' && [...byValue.keys()].every((v) => v === 1)) {
      // counts stay observations of ±1, so that datums of one key still merge by adding counts
      const d = byValue.get(1) ?? 0;
      [values, counts] = d === 0 ? [[], []] : [[Math.sign(d)], [Math.abs(d)]];
    } else {
      const added = [...byValue.entries()].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
      [values, counts] = [added.map(([at]) => sentAs.get(at) ?? at), added.map(([, c]) => c)];
    }
    for (let i = 0; i < values.length; i += MAX_VALUES_PER_DATUM) {
      out.push({
        ...point,
        Values: values.slice(i, i + MAX_VALUES_PER_DATUM),
        Counts: counts.slice(i, i + MAX_VALUES_PER_DATUM),
      });
    }
  }
  return out.sort((a, b) => a.Timestamp.getTime() - b.Timestamp.getTime());
};
