import { floorMinute, type MetricPoint } from './metric-point.js';

/** The datum that measures upload-to-done time of one file. */
export const processingLagPoint = (uploadTimeMs: number, doneMs: number): MetricPoint => ({
  MetricName: 'ProcessingLagSeconds',
  Dimensions: [],
  Timestamp: new Date(floorMinute(doneMs)),
  Unit: 'Seconds',
  Values: [Math.max(0, Math.round((doneMs - uploadTimeMs) / 1000))],
  Counts: [1],
});

/** The datum that counts one file that could not be read. */
export const fileFailedPoint = (nowMs: number): MetricPoint => ({
  MetricName: 'FilesFailed',
  Dimensions: [],
  Timestamp: new Date(floorMinute(nowMs)),
  Unit: 'Count',
  Values: [1],
  Counts: [1],
});
