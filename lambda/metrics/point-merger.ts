import type { MetricName, MetricUnit } from '../contract/metrics.js';
import { MAX_VALUES_PER_DATUM } from './cloudwatch-limits.js';
import type { MetricDimension, MetricPoint } from './metric-point.js';

/** Accumulates datums by (name, dimensions, timestamp): one datum per key, counts summed per value. */
export class PointMerger {
  private readonly byKey = new Map<
    string,
    {
      name: MetricName;
      dims: MetricDimension[];
      ts: number;
      unit: MetricUnit;
      values: Map<number, number>;
    }
  >();

  add(name: MetricName, dims: MetricDimension[], ts: number, unit: MetricUnit, value: number, count: number): void {
    if (count <= 0) return;
    const key = `${ts}\u0000${name}\u0000${dims.map((d) => `${d.Name}=${d.Value}`).join('\u0000')}`;
    let p = this.byKey.get(key);
    if (!p) {
      p = { name, dims, ts, unit, values: new Map() };
      this.byKey.set(key, p);
    }
    p.values.set(value, (p.values.get(value) ?? 0) + count);
  }

  /** Datums in a stable order (timestamp, name, dimensions), so equal inputs give equal batches. */
  toPoints(): MetricPoint[] {
    const keys = [...this.byKey.keys()].sort((a, b) => {
      const ta = Number(a.slice(0, a.indexOf('\u0000')));
      const tb = Number(b.slice(0, b.indexOf('\u0000')));
      return ta - tb || (a < b ? -1 : a > b ? 1 : 0);
    });
    const out: MetricPoint[] = [];
    for (const k of keys) {
      const p = this.byKey.get(k);
      if (!p) continue;
      const values = [...p.values.keys()].sort((x, y) => x - y);
      for (let i = 0; i < values.length; i += MAX_VALUES_PER_DATUM) {
        const vs = values.slice(i, i + MAX_VALUES_PER_DATUM);
        out.push({
          MetricName: p.name,
          Dimensions: p.dims,
          Timestamp: new Date(p.ts),
          Unit: p.unit,
          Values: vs,
          Counts: vs.map((v) => p.values.get(v) ?? 0),
        });
      }
    }
    return out;
  }
}
