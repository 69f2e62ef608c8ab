import { z } from 'zod';
import {
  FUNCTION_DEFAULTS as D,
  FUNCTION_ENV as ENV,
  hasReservedNamespacePrefix,
  FUNCTION_LIMITS as L,
  METRIC_DETAILS,
  type MetricDetail,
  NAMESPACE_CHARACTERS,
  NAMESPACE_MAX_CHARS,
} from './contract/index.js';
import { type PeerMap, parsePeerMap } from './engine/peers.js';
import { ConfigError } from './errors.js';
import { type LogTimeZones, parseLogTimeZones } from './log-time-zones.js';
import type { PeerMetricOptions } from './metrics/published-peers.js';

export type { MetricDetail } from './contract/index.js';

/** Typed configuration of the Lambda function, read once at cold start. */
export interface Config {
  /** CloudWatch namespace of every metric (METRICS_NAMESPACE). */
  readonly metricsNamespace: string;
  /** DynamoDB table of the exactly-once ledger (LEDGER_TABLE). */
  readonly ledgerTable: string;
  /** Extra `Responses` dimensions (METRIC_DETAIL). */
  readonly metricDetail: MetricDetail;
  /** Claim lease when the Lambda context does not tell the remaining time (LEASE_SECONDS). */
  readonly leaseSeconds: number;
  /** PutMetricData calls in flight per object (PUBLISH_CONCURRENCY). */
  readonly publishConcurrency: number;
  /** Objects of one SQS batch processed at the same time (OBJECT_CONCURRENCY). */
  readonly objectConcurrency: number;
  /** Attempts per PutMetricData call, first one included; the SDK backs off between them (PUBLISH_MAX_ATTEMPTS). */
  readonly publishMaxAttempts: number;
  /** Socket timeout of one PutMetricData attempt (PUBLISH_TIMEOUT_MS). */
  readonly publishTimeoutMs: number;
  /** Days a ledger item is kept before DynamoDB TTL removes it (LEDGER_TTL_DAYS). */
  readonly ledgerTtlDays: number;
  /** True when an S3 endpoint is configured (local emulators): use path-style addressing. */
  readonly s3ForcePathStyle: boolean;
  /** Names for sender addresses (PEERS, JSON `{"name": ["CIDR", "IP", "IP:port"]}`); undefined: keyed by IP. */
  readonly peers?: PeerMap;
  /** Publish Responses by Peer (PEER_METRICS=true), with the top PEER_TOP_N unnamed senders per file. */
  readonly peerMetrics?: PeerMetricOptions;
  /** Publish the RFC 6076 KPI metrics (KPI_METRICS, default true); off, the scans do not track them either. */
  readonly kpiMetrics: boolean;
  /** Zone of the logs' local times (LOG_TIME_ZONE, default UTC), with overrides by key prefix (LOG_TIME_ZONES_BY_PREFIX, JSON `{"pbx-berlin/": "Europe/Berlin"}`). */
  readonly logTimeZones: LogTimeZones;
  /**
   * URL of the queue that delivers the S3 notifications (RETRY_QUEUE_URL): a failed message's next delivery is
   * brought forward on it (adapters/sqs-retry.ts). Unset (the local stack, direct invocations): the queue's own
   * visibility timeout decides.
   */
  readonly retryQueueUrl?: string;
}

const intIn = (name: string, { min, max }: { readonly min: number; readonly max: number }, def: number) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, { error: (iss) => `${name} must be a whole number, got "${String(iss.input)}"` })
    .default(String(def))
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `${name} must be >= ${min}` })
        .max(max, { error: `${name} must be <= ${max}` }),
    );

const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** One whole-number setting, with its variable name, limits and default from the contract. */
const whole = (key: keyof typeof L) => z.preprocess(blankToUndefined, intIn(ENV[key], L[key], D[key]));

/** One boolean setting: the strings `true` or `false`. */
const flag = (name: string, def: boolean) =>
  z
    .enum(['true', 'false'], { error: (iss) => `${name} must be true or false, got "${String(iss.input)}"` })
    .default(String(def) as 'true' | 'false');

const schema = z.object({
  // CloudWatch namespaces: 1-255 characters, no leading colon, not "AWS/" (reserved); see API_PutMetricData
  [ENV.namespace]: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(NAMESPACE_MAX_CHARS, { error: `${ENV.namespace} must be at most ${NAMESPACE_MAX_CHARS} characters` })
      .regex(NAMESPACE_CHARACTERS, { error: `${ENV.namespace} may hold only 0-9 A-Z a-z . - _ / # :` })
      .refine((s) => !hasReservedNamespacePrefix(s), {
        error: `${ENV.namespace} must not start with "AWS/" or ":"`,
      })
      .default(D.namespace),
  ),
  [ENV.ledgerTable]: z.preprocess(
    blankToUndefined,
    z.string({ error: `${ENV.ledgerTable} is required` }).regex(/^[A-Za-z0-9_.-]{3,255}$/, {
      error: `${ENV.ledgerTable} must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)`,
    }),
  ),
  [ENV.metricDetail]: z.preprocess(
    blankToUndefined,
    z
      .enum(METRIC_DETAILS, {
        error: (iss) => `${ENV.metricDetail} must be one of ${METRIC_DETAILS.join(', ')}, got "${String(iss.input)}"`,
      })
      .default(D.metricDetail),
  ),
  [ENV.leaseSeconds]: whole('leaseSeconds'),
  [ENV.publishConcurrency]: whole('publishConcurrency'),
  [ENV.objectConcurrency]: whole('objectConcurrency'),
  [ENV.publishMaxAttempts]: whole('publishMaxAttempts'),
  [ENV.publishTimeoutMs]: whole('publishTimeoutMs'),
  [ENV.ledgerTtlDays]: whole('ledgerTtlDays'),
  [ENV.peers]: z.preprocess(
    blankToUndefined,
    z
      .string()
      .optional()
      .superRefine((v, ctx) => {
        if (v === undefined) return;
        let spec: unknown;
        try {
          spec = JSON.parse(v);
        } catch {
          ctx.addIssue({
            code: 'custom',
            message: `${ENV.peers} must be JSON: {"name": ["CIDR", "IP", "IP:port", ...]}`,
          });
          return;
        }
        const parsed = parsePeerMap(spec);
        if ('problems' in parsed)
          for (const p of parsed.problems) ctx.addIssue({ code: 'custom', message: `${ENV.peers}: ${p}` });
      }),
  ),
  [ENV.peerMetrics]: z.preprocess(blankToUndefined, flag(ENV.peerMetrics, D.peerMetrics)),
  [ENV.peerTopN]: whole('peerTopN'),
  [ENV.kpiMetrics]: z.preprocess(blankToUndefined, flag(ENV.kpiMetrics, D.kpiMetrics)),
  [ENV.retryQueueUrl]: z.preprocess(
    blankToUndefined,
    z.url({ protocol: /^https?$/, error: `${ENV.retryQueueUrl} must be an SQS queue URL (https://sqs...)` }).optional(),
  ),
  AWS_ENDPOINT_URL: z.string().optional(),
  AWS_ENDPOINT_URL_S3: z.string().optional(),
});

const peerSettings = (
  json: string | undefined,
  metrics: boolean,
  topN: number,
): Pick<Config, 'peers' | 'peerMetrics'> => {
  const parsed = json === undefined ? undefined : parsePeerMap(JSON.parse(json));
  const peers = parsed === undefined || 'problems' in parsed ? undefined : parsed;
  return {
    ...(peers ? { peers } : {}),
    ...(metrics ? { peerMetrics: { names: peers?.names ?? [], topN } } : {}),
  };
};

/** Reads and validates the environment; throws one ConfigError that lists every problem. */
export const readConfig = (env: Readonly<Record<string, string | undefined>>): Config => {
  const parsed = schema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => i.message);
  const zones = logTimeZonesOf(env);
  if ('problems' in zones) problems.push(...zones.problems);
  if (!parsed.success || 'problems' in zones) throw new ConfigError(problems.join('; '), { problems });
  const e = parsed.data;
  return {
    metricsNamespace: e[ENV.namespace],
    ledgerTable: e[ENV.ledgerTable],
    metricDetail: e[ENV.metricDetail],
    leaseSeconds: e[ENV.leaseSeconds],
    publishConcurrency: e[ENV.publishConcurrency],
    objectConcurrency: e[ENV.objectConcurrency],
    publishMaxAttempts: e[ENV.publishMaxAttempts],
    publishTimeoutMs: e[ENV.publishTimeoutMs],
    ledgerTtlDays: e[ENV.ledgerTtlDays],
    // virtual-hosted addressing needs DNS for <bucket>.<host>, which local emulators do not have
    s3ForcePathStyle: Boolean(e.AWS_ENDPOINT_URL_S3 || e.AWS_ENDPOINT_URL),
    ...peerSettings(e[ENV.peers], e[ENV.peerMetrics] === 'true', e[ENV.peerTopN]),
    kpiMetrics: e[ENV.kpiMetrics] === 'true',
    logTimeZones: zones.zones,
    ...(e[ENV.retryQueueUrl] === undefined ? {} : { retryQueueUrl: e[ENV.retryQueueUrl] }),
  };
};

/** LOG_TIME_ZONE and LOG_TIME_ZONES_BY_PREFIX, each problem named after its variable. */
const logTimeZonesOf = (
  env: Readonly<Record<string, string | undefined>>,
): { readonly zones: LogTimeZones } | { readonly problems: string[] } => {
  const zone = env[ENV.logTimeZone]?.trim() || D.logTimeZone;
  const json = env[ENV.logTimeZonesByPrefix]?.trim() || '{}';
  let byPrefix: unknown;
  try {
    byPrefix = JSON.parse(json);
  } catch {
    return { problems: [`${ENV.logTimeZonesByPrefix} must be JSON: {"key/prefix/": "Europe/Berlin", ...}`] };
  }
  const r = parseLogTimeZones(zone, byPrefix);
  if ('zones' in r) return r;
  return {
    problems: r.problems.map((p) =>
      p.startsWith(`"${zone}" is not`) ? `${ENV.logTimeZone}: ${p}` : `${ENV.logTimeZonesByPrefix}: ${p}`,
    ),
  };
};
