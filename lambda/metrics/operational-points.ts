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

/**
 * The datums that count one file that could not be read: the total the alarm watches, and the same count by the
 * error's code (`TRUNCATED_GZIP`, `UNKNOWN_FORMAT`, `METRICS_REJECTED`, ...), so an operator sees why without the logs.
 */
export const fileFailedPoints = (nowMs: number, errorCode: string): MetricPoint[] => {
  const one = (Dimensions: MetricPoint['Dimensions']): MetricPoint => ({
    MetricName: 'FilesFailed',
    Dimensions,
    Timestamp: new Date(floorMinute(nowMs)),
    Unit: 'Count',
    Values: [1],
    Counts: [1],
  });
  return [one([]), one([{ Name: 'ErrorCode', Value: errorCode }])];
};
