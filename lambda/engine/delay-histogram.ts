/**
 * A bounded streaming summary of delays: count, exact mean, and percentiles from fixed
 * logarithmic buckets. Each bucket spans a factor of 1.01, so a reported percentile is within
 * 0.5 % of the true sample value (bucket midpoint, clamped to the exact minimum and maximum).
 * Memory is one number per occupied bucket: at most ~2,800 buckets cover 1 µs to 1 day. The occupied buckets are
 * two sorted typed arrays (8 bytes a bucket, no Map): a scan keeps three per minute and three for the file (the
 * answering peers' delays are in kpi-peers.ts's flat tables).
 */

import { sparseRecord } from './sparse-record.js';

/** Relative width of one bucket: a percentile is the bucket's geometric midpoint, within ±0.5 %. */
export const BUCKET_RATIO = 1.01;
const LOG_RATIO = Math.log(BUCKET_RATIO);
/** Delays below one microsecond share bucket 0 (reported as the exact minimum). */
const MIN_US = 1;

/** count, mean, p50, p90, p99 in milliseconds; the percentiles are null when count is 0. */
export interface DelaySummary {
  readonly count: number;
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
}

/** A mergeable, JSON-safe form of the histogram (bucket index -> count). */
export interface DelayHistogramData {
  readonly count: number;
  readonly sumMs: number;
  readonly minMs: number | null;
  readonly maxMs: number | null;
  readonly buckets: Record<string, number>;
}

/** The bucket of a delay (also of an observation delayObservations made: a bucket's midpoint clamped into it). */
export const bucketOf = (ms: number): number => {
  const us = ms * 1000;
  if (us < MIN_US) return 0;
  return 1 + Math.floor(Math.log(us / MIN_US) / LOG_RATIO);
};

/** The bucket a delay falls in (negative delays as 0), to add one delay to several histograms with one logarithm. */
export const delayBucket = (ms: number): number => bucketOf(Math.max(0, ms));

/** Geometric midpoint of a bucket, in ms. */
const midpointOf = (bucket: number): number => {
  if (bucket === 0) return 0;
  const lowUs = MIN_US * BUCKET_RATIO ** (bucket - 1);
  return (lowUs * Math.sqrt(BUCKET_RATIO)) / 1000;
};

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** The arrays of a histogram with no delay yet (never written: the first insertion replaces them). */
const NO_KEYS = new Int32Array(0);
const NO_COUNTS = new Float64Array(0);

/** Streaming delay statistics with bounded memory. */
export class DelayHistogram {
  private count = 0;
  private sumMs = 0;
  private minMs = Number.POSITIVE_INFINITY;
  private maxMs = Number.NEGATIVE_INFINITY;
  /**
   * Occupied bucket indexes, ascending, in the first `used` slots; `counts` beside them. Empty until the first
   * delay: a scan makes three histograms per answering peer and per minute, most of them never filled, and a
   * typed array is a dear allocation.
   */
  private keys = NO_KEYS;
  private counts = NO_COUNTS;
  private used = 0;

  /** Adds one delay; negative delays (clock steps in a log) are clamped to 0. `bucket`: delayBucket(ms), if known. */
  add(ms: number, bucket?: number): void {
    const v = Math.max(0, ms);
    this.count++;
    this.sumMs += v;
    if (v < this.minMs) this.minMs = v;
    if (v > this.maxMs) this.maxMs = v;
    this.addToBucket(bucket ?? bucketOf(v), 1);
  }

  /** Adds n to a bucket, inserting it in order (binary search: delays mostly repeat buckets already seen). */
  private addToBucket(b: number, n: number): void {
    let lo = 0;
    let hi = this.used;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] ?? 0) < b) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.used && this.keys[lo] === b) {
      this.counts[lo] = (this.counts[lo] ?? 0) + n;
      return;
    }
    if (this.used === this.keys.length) {
      const size = Math.max(4, this.used * 2);
      const keys = new Int32Array(size);
      keys.set(this.keys);
      this.keys = keys;
      const counts = new Float64Array(size);
      counts.set(this.counts);
      this.counts = counts;
    }
    this.keys.copyWithin(lo + 1, lo, this.used);
    this.counts.copyWithin(lo + 1, lo, this.used);
    this.keys[lo] = b;
    this.counts[lo] = n;
    this.used++;
  }

  /** Adds another histogram's data (the later part of a file scanned apart). */
  merge(d: DelayHistogramData): void {
    this.count += d.count;
    this.sumMs += d.sumMs;
    if (d.minMs !== null && d.minMs < this.minMs) this.minMs = d.minMs;
    if (d.maxMs !== null && d.maxMs > this.maxMs) this.maxMs = d.maxMs;
    for (const [k, n] of Object.entries(d.buckets)) this.addToBucket(Number(k), n);
  }

  /** Nearest-rank percentile (q in 0..1), from the buckets, clamped to the exact extremes. */
  percentile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.used; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.maxMs, Math.max(this.minMs, midpointOf(this.keys[i] ?? 0)));
    }
    return this.maxMs;
  }

  /** count, mean, p50, p90, p99 in ms, rounded to the microsecond. */
  summary(): DelaySummary {
    const pct = (q: number): number | null => {
      const v = this.percentile(q);
      return v === null ? null : round3(v);
    };
    return {
      count: this.count,
      mean: this.count === 0 ? null : round3(this.sumMs / this.count),
      p50: pct(0.5),
      p90: pct(0.9),
      p99: pct(0.99),
    };
  }

  /** Plain data for merging and transfer between threads. */
  toData(): DelayHistogramData {
    const buckets = sparseRecord<number>();
    // by number: the same own key as its decimal string, without making that string first
    for (let i = 0; i < this.used; i++) buckets[this.keys[i] ?? 0] = this.counts[i] ?? 0;
    return {
      count: this.count,
      sumMs: this.sumMs,
      minMs: this.count === 0 ? null : this.minMs,
      maxMs: this.count === 0 ? null : this.maxMs,
      buckets,
    };
  }
}

/**
 * The histogram as observations for CloudWatch's Values/Counts: each occupied bucket's midpoint (clamped to the
 * exact extremes, rounded to the microsecond) with its count, so CloudWatch's own percentiles land within the
 * bucket's ±0.5 %.
 */
export const delayObservations = (d: DelayHistogramData): { values: number[]; counts: number[] } => {
  const byValue = new Map<number, number>();
  for (const [k, n] of Object.entries(d.buckets)) {
    const v = round3(Math.min(d.maxMs ?? 0, Math.max(d.minMs ?? 0, midpointOf(Number(k)))));
    byValue.set(v, (byValue.get(v) ?? 0) + n);
  }
  const values = [...byValue.keys()].sort((a, b) => a - b);
  return { values, counts: values.map((v) => byValue.get(v) ?? 0) };
};
