import { describe, expect, it } from 'vitest';
import { MAX_DATUMS_PER_CALL } from '../../../lambda/metrics/cloudwatch-limits.js';
import type { MetricPoint } from '../../../lambda/metrics/metric-point.js';
import { planBatches, planDigest } from '../../../lambda/metrics/plan-batches.js';

const point = (i: number, value = '2xx'): MetricPoint => ({
  MetricName: 'Responses',
  Dimensions: [{ Name: 'Class', Value: value }],
  Timestamp: new Date(Date.UTC(2026, 10, 24, 0, i)),
  Unit: 'Count',
  Values: [1],
  Counts: [i + 1],
});

describe('planBatches', () => {
  it('splits 2,500 datums into calls of 1,000, 1,000 and 500 in their order', () => {
    // Prepare
    const points = Array.from({ length: 2500 }, (_, i) => point(i));

    // Act
    const batches = planBatches(points);

    // Assess
    expect(batches.map((b) => b.length)).toEqual([MAX_DATUMS_PER_CALL, MAX_DATUMS_PER_CALL, 500]);
    expect(batches.flat()).toEqual(points);
  });

  it('starts a new call before the payload budget is exceeded', () => {
    // Prepare: each datum is about 1 KiB of JSON
    const points = Array.from({ length: 10 }, (_, i) => point(i, 'x'.repeat(1000)));

    // Act
    const batches = planBatches(points, 1000, 4 * 1024);

    // Assess
    expect(batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
  });
});

describe('planDigest', () => {
  it('ignores the value of ProcessingLagSeconds but nothing else', () => {
    // Prepare
    const lag = (s: number): MetricPoint => ({
      MetricName: 'ProcessingLagSeconds',
      Dimensions: [],
      Timestamp: new Date(s * 1000),
      Unit: 'Seconds',
      Values: [s],
      Counts: [1],
    });

    // Act
    const a = planDigest([[point(1), lag(5)]]);
    const b = planDigest([[point(1), lag(900)]]);
    const c = planDigest([[point(2), lag(5)]]);
    const d = planDigest([[point(1)], [lag(5)]]);

    // Assess
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(d).not.toBe(a);
  });
});
