/**
 * The function's settings: each one's environment variable, default and limits. The stack writes them
 * (`infra/function-environment.ts`), the function reads them (`lambda/config.ts`), the stack's own config checks its
 * values against the same limits (`infra/config.ts`), so a name or a default changes in one place.
 */
import type { MetricDetail } from './metrics.js';

/** The environment variable of each setting. */
export const FUNCTION_ENV = {
  namespace: 'METRICS_NAMESPACE',
  ledgerTable: 'LEDGER_TABLE',
  metricDetail: 'METRIC_DETAIL',
  leaseSeconds: 'LEASE_SECONDS',
  publishConcurrency: 'PUBLISH_CONCURRENCY',
  objectConcurrency: 'OBJECT_CONCURRENCY',
  publishMaxAttempts: 'PUBLISH_MAX_ATTEMPTS',
  publishTimeoutMs: 'PUBLISH_TIMEOUT_MS',
  ledgerTtlDays: 'LEDGER_TTL_DAYS',
  peers: 'PEERS',
  peerMetrics: 'PEER_METRICS',
  peerTopN: 'PEER_TOP_N',
  kpiMetrics: 'KPI_METRICS',
  logTimeZone: 'LOG_TIME_ZONE',
  logTimeZonesByPrefix: 'LOG_TIME_ZONES_BY_PREFIX',
  retryQueueUrl: 'RETRY_QUEUE_URL',
} as const;

/**
 * The queue's visibility timeout is this many times the function timeout (AWS's advice for SQS event sources); the
 * stack sets it so, and the function, which knows its timeout from LEASE_SECONDS, never asks for a longer wait.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** The name of one of the function's environment variables. */
export type FunctionEnvName = (typeof FUNCTION_ENV)[keyof typeof FUNCTION_ENV];

/** What an absent (or blank) variable means, in the order of the README's configuration table. */
export const FUNCTION_DEFAULTS = {
  namespace: 'SIP',
  metricDetail: 'class' as MetricDetail,
  publishConcurrency: 4,
  objectConcurrency: 4,
  publishMaxAttempts: 6,
  publishTimeoutMs: 10_000,
  // Lambda's longest timeout is 900 s: a lease longer than that only delays the takeover after a crash
  leaseSeconds: 900,
  // must outlive a DLQ redrive (14 days) plus the queue's own retention, or a redriven duplicate is counted twice
  ledgerTtlDays: 30,
  peerMetrics: false,
  /** Publish the RFC 6076 KPI metrics (9 metrics, about USD 2.70 a month). */
  kpiMetrics: true,
  peerTopN: 10,
  logTimeZone: 'UTC',
} as const;

/** Inclusive bounds of the whole-number settings. */
export const FUNCTION_LIMITS = {
  leaseSeconds: { min: 1, max: 43_200 },
  publishConcurrency: { min: 1, max: 32 },
  objectConcurrency: { min: 1, max: 64 },
  publishMaxAttempts: { min: 1, max: 20 },
  publishTimeoutMs: { min: 100, max: 120_000 },
  // SQS keeps a message at most 14 days: a ledger item must outlive every redelivery of its object
  ledgerTtlDays: { min: 15, max: 3650 },
  peerTopN: { min: 0, max: 100 },
} as const;

/**
 * V8 flags the function's Node runs with (in its NODE_OPTIONS, after `--enable-source-maps`). A young generation of
 * at most 2 MiB semi-spaces instead of V8's 16 MiB: a scan allocates short-lived objects steadily, so V8 grows the
 * young generation to its maximum (32 MiB committed, ~14 MiB of it in use at the end of a 200 MiB scan). Measured
 * (2026-12-05, whole processes, Node 22.23 as in Lambda and Node 20.20): 4 MiB semi-spaces took 22-28 MiB off the
 * peak RSS of the bench's text, gzip and capture and were as fast or faster (Node 22 text 2.20 -> 1.97 s, gzip
 * 2.48 -> 2.42 s). Since the readers stopped making two objects per log header (fifteenth session: 126 -> 75 MB
 * allocated per 200 MiB), 2 MiB cost no time either: Node 22, three or four runs each, text 1.715 -> 1.703 s and
 * 131 -> 124 MiB, gzip 2.395 -> 2.347 s and 167 -> 151 MiB, capture 1.857 -> 1.824 s and 132 -> 131 MiB (1 MiB:
 * slower). The bench runs the engine with them too (its `(as the Lambda)` rows).
 */
export const FUNCTION_V8_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
