import { z } from 'zod';
import { type PeerMap, parsePeerMap } from './engine/peers.js';
import { DEFAULT_PEER_TOP_N, type MetricDetail, type PeerMetricOptions } from './engine/to-metric-points.js';
import { ConfigError } from './errors.js';

export type { MetricDetail } from './engine/to-metric-points.js';

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
  /** Publish the RFC 6076 KPI metrics (KPI_METRICS, default true). */
  readonly kpiMetrics: boolean;
}

const intIn = (name: string, min: number, max: number, def: number) =>
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

const schema = z.object({
  // CloudWatch namespaces: 1-255 characters, no leading colon, not "AWS/" (reserved); see API_PutMetricData
  METRICS_NAMESPACE: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(255, { error: 'METRICS_NAMESPACE must be at most 255 characters' })
      .regex(/^[0-9A-Za-z.\-_/#:]+$/, { error: 'METRICS_NAMESPACE may hold only 0-9 A-Z a-z . - _ / # :' })
      .refine((s) => !s.startsWith('AWS/') && !s.startsWith(':'), {
        error: 'METRICS_NAMESPACE must not start with "AWS/" or ":"',
      })
      .default('SIP'),
  ),
  LEDGER_TABLE: z.preprocess(
    blankToUndefined,
    z.string({ error: 'LEDGER_TABLE is required' }).regex(/^[A-Za-z0-9_.-]{3,255}$/, {
      error: 'LEDGER_TABLE must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)',
    }),
  ),
  METRIC_DETAIL: z.preprocess(
    blankToUndefined,
    z
      .enum(['class', 'code', 'method'], {
        error: (iss) => `METRIC_DETAIL must be one of class, code, method, got "${String(iss.input)}"`,
      })
      .default('class'),
  ),
  // Lambda's longest timeout is 900 s: a lease longer than that only delays the takeover after a crash
  LEASE_SECONDS: z.preprocess(blankToUndefined, intIn('LEASE_SECONDS', 1, 43_200, 900)),
  PUBLISH_CONCURRENCY: z.preprocess(blankToUndefined, intIn('PUBLISH_CONCURRENCY', 1, 32, 4)),
  OBJECT_CONCURRENCY: z.preprocess(blankToUndefined, intIn('OBJECT_CONCURRENCY', 1, 64, 4)),
  PUBLISH_MAX_ATTEMPTS: z.preprocess(blankToUndefined, intIn('PUBLISH_MAX_ATTEMPTS', 1, 20, 6)),
  PUBLISH_TIMEOUT_MS: z.preprocess(blankToUndefined, intIn('PUBLISH_TIMEOUT_MS', 100, 120_000, 10_000)),
  // SQS keeps a message at most 14 days: a ledger item must outlive every redelivery of its object
  LEDGER_TTL_DAYS: z.preprocess(blankToUndefined, intIn('LEDGER_TTL_DAYS', 15, 3650, 30)),
  PEERS: z.preprocess(
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
          ctx.addIssue({ code: 'custom', message: 'PEERS must be JSON: {"name": ["CIDR", "IP", "IP:port", ...]}' });
          return;
        }
        const parsed = parsePeerMap(spec);
        if ('problems' in parsed)
          for (const p of parsed.problems) ctx.addIssue({ code: 'custom', message: `PEERS: ${p}` });
      }),
  ),
  PEER_METRICS: z.preprocess(
    blankToUndefined,
    z
      .enum(['true', 'false'], { error: (iss) => `PEER_METRICS must be true or false, got "${String(iss.input)}"` })
      .default('false'),
  ),
  PEER_TOP_N: z.preprocess(blankToUndefined, intIn('PEER_TOP_N', 0, 100, DEFAULT_PEER_TOP_N)),
  KPI_METRICS: z.preprocess(
    blankToUndefined,
    z
      .enum(['true', 'false'], { error: (iss) => `KPI_METRICS must be true or false, got "${String(iss.input)}"` })
      .default('true'),
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
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => i.message);
    throw new ConfigError(problems.join('; '), { problems });
  }
  const e = parsed.data;
  return {
    metricsNamespace: e.METRICS_NAMESPACE,
    ledgerTable: e.LEDGER_TABLE,
    metricDetail: e.METRIC_DETAIL,
    leaseSeconds: e.LEASE_SECONDS,
    publishConcurrency: e.PUBLISH_CONCURRENCY,
    objectConcurrency: e.OBJECT_CONCURRENCY,
    publishMaxAttempts: e.PUBLISH_MAX_ATTEMPTS,
    publishTimeoutMs: e.PUBLISH_TIMEOUT_MS,
    ledgerTtlDays: e.LEDGER_TTL_DAYS,
    // virtual-hosted addressing needs DNS for <bucket>.<host>, which local emulators do not have
    s3ForcePathStyle: Boolean(e.AWS_ENDPOINT_URL_S3 || e.AWS_ENDPOINT_URL),
    ...peerSettings(e.PEERS, e.PEER_METRICS === 'true', e.PEER_TOP_N),
    kpiMetrics: e.KPI_METRICS === 'true',
  };
};
