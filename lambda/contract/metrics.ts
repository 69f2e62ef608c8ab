/** Every metric name of the contract the alarms and the dashboard use. */
export type MetricName =
  | 'Responses'
  | 'RetransmittedResponses'
  | 'FilesProcessed'
  | 'BytesProcessed'
  | 'ParseAnomalies'
  /** Responses with no time of their own (no log time, no Date header), stamped at the upload minute. */
  | 'UntimedResponses'
  | 'FilesFailed'
  | 'ProcessingLagSeconds'
  | 'InviteTransactions'
  | 'SessionRequestDelay'
  | 'SessionDisconnectDelay'
  | 'RegistrationRequestDelay';

/** CloudWatch units used by this product. */
export type MetricUnit = 'Count' | 'Bytes' | 'Seconds' | 'Milliseconds';

/** Every dimension name the function publishes, as CloudWatch names it. */
export type DimensionName = 'Class' | 'Code' | 'Method' | 'Peer' | 'Outcome' | 'ErrorCode' | 'Anomaly';

/**
 * The `Outcome` dimension of `InviteTransactions`, each a numerator of an RFC 6076 ratio (the dimensionless total
 * is the denominator): SER = Established / (total − Redirected), SEER = Effective / (total − Redirected),
 * ISA = Ineffective / total, SCR = Completed / total. Sums, so metric math gives exact ratios over any period.
 * Each maps to the engine's KPI count it publishes (checked in `metrics/to-metric-points.ts`).
 */
export const KPI_OUTCOMES = {
  Redirected: 'redirected',
  Established: 'established',
  Effective: 'effective',
  Ineffective: 'ineffective',
  Completed: 'completed',
} as const;

/** One value of the `Outcome` dimension. */
export type KpiOutcome = keyof typeof KPI_OUTCOMES;

/** Every accepted `METRIC_DETAIL` (the function's setting, the stack's `metricDetail`), in documentation order. */
export const METRIC_DETAILS = ['class', 'code', 'method'] as const;

/** Which `Responses` breakdowns are published besides the per-class one: per status code, or per CSeq method. */
export type MetricDetail = (typeof METRIC_DETAILS)[number];

/** API_PutMetricData: a namespace is 1 to 255 characters. */
export const NAMESPACE_MAX_CHARS = 255;

/** API_PutMetricData: the characters a namespace may hold. */
export const NAMESPACE_CHARACTERS = /^[0-9A-Za-z.\-_/#:]+$/;

/** API_PutMetricData: "AWS/" is reserved for AWS services, and a namespace may not start with a colon. */
export const hasReservedNamespacePrefix = (namespace: string): boolean =>
  namespace.startsWith('AWS/') || namespace.startsWith(':');

/** Whether CloudWatch accepts this namespace for our metrics (the stack and the function judge alike). */
export const isValidNamespace = (namespace: string): boolean =>
  namespace.length >= 1 &&
  namespace.length <= NAMESPACE_MAX_CHARS &&
  NAMESPACE_CHARACTERS.test(namespace) &&
  !hasReservedNamespacePrefix(namespace);
