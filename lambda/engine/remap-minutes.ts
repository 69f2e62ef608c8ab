import { DelayHistogram, type DelayHistogramData } from './delay-histogram.js';
import type { KpiDelayMinute } from './kpis.js';
import { setKey } from './own-key.js';
import type { ScanResult } from './tally.js';

/**
 * Moves every per-minute row of a result (responses, KPIs and KPI delays) to the minute `remap` gives its
 * start, summing rows that land on the same minute. Used once per file, after the scan, when the
 * dates given to a log's partial times move back (see LogClock.finish).
 */
export const remapMinutes = (r: ScanResult, remap: (utcMs: number) => number): ScanResult => ({
  ...r,
  series: regroup(r.series, remap),
  kpis: {
    ...r.kpis,
    series: regroup(r.kpis.series, remap),
    delaySeries: regroup(r.kpis.delaySeries, remap, sumDelayMinutes),
    byPeer: Object.fromEntries(
      Object.entries(r.kpis.byPeer).map(([peer, p]) => [peer, { ...p, series: regroup(p.series, remap) }]),
    ),
  },
});

type Row = { readonly minute: string };

const regroup = <T extends Row>(
  rows: readonly T[],
  remap: (utcMs: number) => number,
  add: (a: T, b: T) => T = (a, b) => sum(a, b) as T,
): T[] => {
  const out = new Map<number, T>();
  for (const row of rows) {
    const ms = remap(Date.parse(row.minute));
    const moved = { ...row, minute: new Date(ms).toISOString() };
    const had = out.get(ms);
    out.set(ms, had === undefined ? moved : add(had, moved));
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
};

/** Sums two rows of nested counts field by field (strings, the minute, are kept). */
const sum = (a: unknown, b: unknown): unknown => {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    // Own keys only: a method or peer named "__proto__" or "constructor" is data here, not the prototype.
    for (const [k, v] of Object.entries(b as Record<string, unknown>))
      setKey(out, k, Object.hasOwn(out, k) ? sum(out[k], v) : v);
    return out;
  }
  return a;
};

/** Two histograms as one: counts and buckets add up, but the extremes are a min and a max, not a sum. */
const sumDelays = (a: DelayHistogramData, b: DelayHistogramData): DelayHistogramData => {
  const h = new DelayHistogram();
  h.merge(a);
  h.merge(b);
  return h.toData();
};

const sumDelayMinutes = (a: KpiDelayMinute, b: KpiDelayMinute): KpiDelayMinute => ({
  minute: a.minute,
  srd: sumDelays(a.srd, b.srd),
  sdd: sumDelays(a.sdd, b.sdd),
  rrd: sumDelays(a.rrd, b.rrd),
});
