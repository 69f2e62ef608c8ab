/**
 * Metric planning: what a file's counts become in CloudWatch, and in which calls they are sent. Pure (no AWS SDK,
 * no fs, no env, no clock: times are passed in); it may import `contract/` and the engine's result types. The engine
 * counts, this folder plans what to publish, `adapters/cloudwatch-sink.ts` only sends. CloudWatch's limits live in
 * `cloudwatch-limits.ts` and nowhere else.
 */
export {
  MAX_DATUMS_PER_CALL,
  MAX_FUTURE_MS,
  MAX_PAST_MS,
  MAX_VALUES_PER_DATUM,
  PAYLOAD_BUDGET_BYTES,
} from './cloudwatch-limits.js';
export { floorMinute, type MetricDimension, type MetricPoint } from './metric-point.js';
export { fileFailedPoints, processingLagPoint } from './operational-points.js';
export { planBatches, planDigest } from './plan-batches.js';
export { choosePublishedPeers, type PeerMetricOptions } from './published-peers.js';
export {
  KNOWN_METHODS,
  KPI_DELAY_METRICS,
  type MetricPointOptions,
  type MetricPoints,
  toMetricPoints,
} from './to-metric-points.js';
