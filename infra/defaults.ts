/**
 * Default settings of the deployed product, in one place: `config.ts` applies them to absent cdk.json keys,
 * the constructs use them for absent props, `alarm-rules.ts` for absent alarm settings, so the three cannot drift.
 * The function's own settings take their defaults from the contract (`lambda/contract/settings.ts`), which the
 * function reads too. Pure data: no aws-cdk-lib import, so the local stack (`npm start`) can use it too.
 */
import { FUNCTION_DEFAULTS, type MetricDetail } from '../lambda/contract/index.js';

export { METRIC_DETAILS, type MetricDetail } from '../lambda/contract/index.js';

/** Every accepted bucket encryption mode. */
export const BUCKET_ENCRYPTION_MODES = ['s3-managed', 'kms'] as const;

/** How the log bucket encrypts objects at rest. */
export type BucketEncryptionMode = (typeof BUCKET_ENCRYPTION_MODES)[number];

/** CloudWatch Logs retention values (days) that the service accepts. */
export const LOG_RETENTION_DAYS_VALUES: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Defaults of every setting; the README documents the same values. */
export const DEFAULTS = {
  stackName: 'SipMetrics',
  namespace: FUNCTION_DEFAULTS.namespace,
  keyPrefix: 'logs/',
  keySuffixes: [] as readonly string[],
  metricDetail: FUNCTION_DEFAULTS.metricDetail as MetricDetail,
  /** Peer map (name -> CIDR, IP or IP:port); empty: senders are keyed by IP. */
  peers: {} as Readonly<Record<string, readonly string[]>>,
  peerMetrics: FUNCTION_DEFAULTS.peerMetrics,
  peerTopN: FUNCTION_DEFAULTS.peerTopN,
  /** Publish the RFC 6076 KPI metrics (9 metrics, about USD 2.70 a month). */
  kpiMetrics: FUNCTION_DEFAULTS.kpiMetrics,
  /** Named peers that get their own 5xx/6xx spike alarms (needs peerMetrics). */
  peerAlarms: [] as readonly string[],
  /** IANA zone of the logs' local times (LOG_TIME_ZONE). */
  logTimeZone: FUNCTION_DEFAULTS.logTimeZone,
  /** Key prefix -> IANA zone, for buckets that collect logs from several sites (LOG_TIME_ZONES_BY_PREFIX). */
  logTimeZoneByPrefix: {} as Readonly<Record<string, string>>,
  bucketEncryption: 's3-managed' as BucketEncryptionMode,
  /** 0 keeps log objects forever. */
  logExpirationDays: 90,
  noncurrentVersionExpirationDays: 30,
  accessLogExpirationDays: 90,
  /** The function's LEDGER_TTL_DAYS. */
  ledgerRetentionDays: FUNCTION_DEFAULTS.ledgerTtlDays,
  retainData: true,
  // 1769 MB is exactly one vCPU: the engine is single-threaded, so more memory buys no speed, less buys less CPU
  functionMemoryMiB: 1769,
  functionTimeoutSeconds: 900,
  batchSize: 5,
  maxConcurrency: 10,
  functionLogRetentionDays: 30,
  alarmPeriodSeconds: 60,
  alarmDatapointsToAlarm: 3,
  // an hour of upload delay (log rotation) plus five minutes for queueing and processing
  alarmLatenessMinutes: 65,
  alarmMinResponses: 100,
  serverErrorThresholdPercent: 5,
  globalFailureThresholdPercent: 2,
  // one minute is enough at twice the spike thresholds and volume: 20 × 503 among 200 responses is no accident
  burstMinResponses: 200,
  serverErrorBurstThresholdPercent: 10,
  globalFailureBurstThresholdPercent: 5,
  // an ISA/SER ratio of fewer INVITEs a minute is noise
  kpiAlarmMinTransactions: 30,
  anomalyDetection: false,
  anomalyStdDevs: 3,
  queueAgeAlarmSeconds: 900,
} as const;

/** SQS keeps undeleted messages this long before dropping them; the DLQ catches them long before (3 receives). */
export const QUEUE_RETENTION_DAYS = 4;

/** The dead-letter queue keeps failed messages for the maximum SQS allows. */
export const DLQ_RETENTION_DAYS = 14;

/**
 * Receives before SQS moves a message to the DLQ: enough for transient errors, few enough to surface a poison file.
 * The function brings the first three retries forward (1, 5, 25 minutes at most: lambda/adapters/sqs-retry.ts); with
 * the default timeout the five deliveries come at 0, 1, 6, 31 and 121 minutes, where three came at 0, 90 and 180.
 */
export const MAX_RECEIVE_COUNT = 5;

/** AWS's recommendation for SQS event sources: visibility timeout at least 6× the function timeout. */
export { VISIBILITY_TIMEOUT_FACTOR } from '../lambda/contract/index.js';
