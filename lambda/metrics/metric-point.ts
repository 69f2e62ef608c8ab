import type { DimensionName, MetricName, MetricUnit } from '../contract/metrics.js';

/** One dimension, named as CloudWatch names it. */
export interface MetricDimension {
  readonly Name: DimensionName;
  readonly Value: string;
}

/** One metric datum: our own type, the same shape as the SDK's MetricDatum (the sink only sends). */
export interface MetricPoint {
  readonly MetricName: MetricName;
  readonly Dimensions: readonly MetricDimension[];
  readonly Timestamp: Date;
  readonly Unit: MetricUnit;
  /** Distinct values (at most MAX_VALUES_PER_DATUM), each observed Counts[i] times. */
  readonly Values: readonly number[];
  readonly Counts: readonly number[];
}

const MS_PER_MINUTE = 60_000;

/** The start of the minute `ms` lies in: CloudWatch's finest standard resolution, and our datums' timestamps. */
export const floorMinute = (ms: number): number => Math.floor(ms / MS_PER_MINUTE) * MS_PER_MINUTE;
