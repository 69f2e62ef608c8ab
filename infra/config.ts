/**
 * cdk.json context -> typed StackConfig, validated once; every problem is reported in one error.
 * Pure (no aws-cdk-lib): the local stack (`npm start`) reads cdk.json through the same function, so both judge
 * alarms with the same thresholds.
 */
import { z } from 'zod';
import { FUNCTION_LIMITS, isValidNamespace } from '../lambda/contract/index.js';
import { type PeerMapSpec, parsePeerMap } from '../lambda/engine/peers.js';
import { isTimeZone } from '../lambda/engine/time-zone.js';
import { SipMetricsError } from '../lambda/errors.js';
import {
  evaluationPeriodsFor,
  type KpiAlarmSettings,
  MAX_EVALUATION_RANGE_SECONDS,
  type SpikeAlarmSettings,
} from './alarm-rules.js';
import {
  BUCKET_ENCRYPTION_MODES,
  type BucketEncryptionMode,
  DEFAULTS,
  LOG_RETENTION_DAYS_VALUES,
  METRIC_DETAILS,
  type MetricDetail,
} from './defaults.js';

/** Every key of ours in cdk.json starts with this, so a typo in one of them can be reported. */
export const CONTEXT_PREFIX = 'sipMetrics:';

/** The validated settings of one deployment. */
export interface StackConfig {
  readonly stackName: string;
  /** CloudWatch namespace the function publishes to and the alarms read. */
  readonly namespace: string;
  /** Objects under this prefix are processed; the function may read nothing else. */
  readonly keyPrefix: string;
  /** Only keys ending in one of these are processed; empty means every key under the prefix. */
  readonly keySuffixes: readonly string[];
  readonly metricDetail: MetricDetail;
  /** Names for sender addresses (the function's PEERS). */
  readonly peers: PeerMapSpec;
  /** Publish Responses by (Class, Peer) (PEER_METRICS), with the top `peerTopN` unnamed senders per file. */
  readonly peerMetrics: boolean;
  readonly peerTopN: number;
  /** Publish the RFC 6076 KPI metrics (KPI_METRICS). */
  readonly kpiMetrics: boolean;
  /** Peers of `peers` with their own 5xx/6xx spike alarms (needs `peerMetrics`). */
  readonly peerAlarms: readonly string[];
  /** IANA zone of the logs' local times (the function's LOG_TIME_ZONE). */
  readonly logTimeZone: string;
  /** Key prefix -> IANA zone overrides (the function's LOG_TIME_ZONES_BY_PREFIX). */
  readonly logTimeZoneByPrefix: Readonly<Record<string, string>>;
  readonly bucketEncryption: BucketEncryptionMode;
  /** Log objects expire after this many days; 0 keeps them forever. */
  readonly logExpirationDays: number;
  readonly noncurrentVersionExpirationDays: number;
  readonly accessLogExpirationDays: number;
  /** Ledger records expire (DynamoDB TTL) after this many days. */
  readonly ledgerRetentionDays: number;
  /** Keep the buckets, the ledger and the log groups when the stack is deleted. */
  readonly retainData: boolean;
  readonly functionMemoryMiB: number;
  readonly functionTimeoutSeconds: number;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly functionLogRetentionDays: number;
  /** Subscribed to the alarm topic when set (the address must confirm the subscription). */
  readonly alarmEmail: string | undefined;
  /** How late a datum may reach CloudWatch and still move the spike alarms. */
  readonly alarmLatenessMinutes: number;
  readonly spikeAlarms: SpikeAlarmSettings;
  /** ISA and SER alarms; each only when its threshold is set. */
  readonly kpiAlarms: KpiAlarmSettings;
  readonly anomalyDetection: boolean;
  readonly anomalyStdDevs: number;
  readonly queueAgeAlarmSeconds: number;
}

/** cdk.json context that does not make a valid deployment; `problems` lists every one. */
export class StackConfigError extends SipMetricsError {
  constructor(readonly problems: readonly string[]) {
    super('CONFIG', `Invalid cdk.json context: ${problems.join('; ')}`, { problems });
  }
}

// `cdk deploy -c key=value` passes every value as a string: accept "5", "true" and "a,b" where JSON would carry
// a number, a boolean or a list, so both ways of configuring work.
const fromCliNumber = (v: unknown): unknown =>
  typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
const fromCliBoolean = (v: unknown): unknown => (v === 'true' ? true : v === 'false' ? false : v);
const fromCliList = (v: unknown): unknown =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
    : v;

const parseJsonOr = (v: string): unknown => {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

const wholeNumber = (min: number, max: number): z.ZodType<number> =>
  z.preprocess(fromCliNumber, z.number().int().min(min).max(max));
const decimal = (minExclusive: number, maxExclusive: number): z.ZodType<number> =>
  z.preprocess(fromCliNumber, z.number().gt(minExclusive).lt(maxExclusive));
const flag: z.ZodType<boolean> = z.preprocess(fromCliBoolean, z.boolean());

// IAM would read * and ? in the object ARN as wildcards and widen the function's read permission
const keyPart = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[^*?]+$/);

/** One context key: its schema, its default and what a valid value looks like (the error message). */
interface KeySpec<T> {
  readonly schema: z.ZodType<T>;
  readonly fallback: T;
  readonly expected: string;
}

const spec = <T>(schema: z.ZodType<T>, fallback: T, expected: string): KeySpec<T> => ({ schema, fallback, expected });

const KEYS = {
  stackName: spec(
    z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/),
    DEFAULTS.stackName as string,
    'must start with a letter and hold only letters, digits and hyphens (at most 128)',
  ),
  namespace: spec(
    // the function validates METRICS_NAMESPACE the same way at cold start: reject here what it would reject there
    z.string().refine(isValidNamespace),
    DEFAULTS.namespace as string,
    'must be 1-255 of A-Z a-z 0-9 . - _ / # : and must not start with "AWS/" or ":"',
  ),
  keyPrefix: spec(
    keyPart.refine((s) => !s.startsWith('/')),
    DEFAULTS.keyPrefix as string,
    'must be a non-empty S3 key prefix without * or ? and without a leading /',
  ),
  keySuffixes: spec(
    z.preprocess(fromCliList, z.array(keyPart)),
    DEFAULTS.keySuffixes,
    'must be a list of non-empty key suffixes without * or ? (JSON array, or comma-separated on the command line)',
  ),
  metricDetail: spec(z.enum(METRIC_DETAILS), DEFAULTS.metricDetail, `must be one of ${METRIC_DETAILS.join(', ')}`),
  // the function parses PEERS the same way at cold start: reject here what it would reject there
  peers: spec(
    z.preprocess(
      (v) => (typeof v === 'string' ? parseJsonOr(v) : v),
      z.record(z.string(), z.array(z.string())).refine((m) => !('problems' in parsePeerMap(m))),
    ),
    DEFAULTS.peers,
    'must be a JSON object of peer name -> [CIDR, IP or IP:port, ...] (names other than local, unknown, other)',
  ),
  peerMetrics: spec(flag, DEFAULTS.peerMetrics as boolean, 'must be true or false'),
  peerTopN: spec(
    wholeNumber(FUNCTION_LIMITS.peerTopN.min, FUNCTION_LIMITS.peerTopN.max),
    DEFAULTS.peerTopN as number,
    `must be a whole number from ${FUNCTION_LIMITS.peerTopN.min} to ${FUNCTION_LIMITS.peerTopN.max}`,
  ),
  kpiMetrics: spec(flag, DEFAULTS.kpiMetrics as boolean, 'must be true or false'),
  peerAlarms: spec(
    z.preprocess(fromCliList, z.array(z.string().min(1))),
    DEFAULTS.peerAlarms,
    'must be a list of peer names (JSON array, or comma-separated on the command line)',
  ),
  // the function checks the zones the same way at cold start (Intl): reject here what it would reject there
  logTimeZone: spec(
    z.string().refine(isTimeZone),
    DEFAULTS.logTimeZone as string,
    'must be an IANA time zone or UTC offset, e.g. Europe/Berlin, UTC or +05:30',
  ),
  logTimeZoneByPrefix: spec(
    z.preprocess(
      (v) => (typeof v === 'string' ? parseJsonOr(v) : v),
      z.record(z.string().min(1), z.string().refine(isTimeZone)),
    ),
    DEFAULTS.logTimeZoneByPrefix,
    'must be a JSON object of key prefix -> IANA time zone or UTC offset, e.g. {"pbx-berlin/": "Europe/Berlin"}',
  ),
  bucketEncryption: spec(
    z.enum(BUCKET_ENCRYPTION_MODES),
    DEFAULTS.bucketEncryption,
    `must be one of ${BUCKET_ENCRYPTION_MODES.join(', ')}`,
  ),
  logExpirationDays: spec(
    wholeNumber(0, 36_500),
    DEFAULTS.logExpirationDays as number,
    'must be a whole number of days from 0 (keep forever) to 36500',
  ),
  noncurrentVersionExpirationDays: spec(
    wholeNumber(1, 36_500),
    DEFAULTS.noncurrentVersionExpirationDays as number,
    'must be a whole number of days from 1 to 36500',
  ),
  accessLogExpirationDays: spec(
    wholeNumber(1, 36_500),
    DEFAULTS.accessLogExpirationDays as number,
    'must be a whole number of days from 1 to 36500',
  ),
  ledgerRetentionDays: spec(
    wholeNumber(FUNCTION_LIMITS.ledgerTtlDays.min, FUNCTION_LIMITS.ledgerTtlDays.max),
    DEFAULTS.ledgerRetentionDays as number,
    // a message redriven from the DLQ (kept 14 days) must still find its ledger record, or it is counted twice;
    // the bounds are the function's own limits on LEDGER_TTL_DAYS
    `must be a whole number of days from ${FUNCTION_LIMITS.ledgerTtlDays.min} (longer than the 14-day DLQ retention) to ${FUNCTION_LIMITS.ledgerTtlDays.max}`,
  ),
  retainData: spec(flag, DEFAULTS.retainData as boolean, 'must be true or false'),
  functionMemoryMiB: spec(
    wholeNumber(256, 10_240),
    DEFAULTS.functionMemoryMiB as number,
    'must be a whole number of MiB from 256 (the engine needs about 150 MB) to 10240',
  ),
  functionTimeoutSeconds: spec(
    wholeNumber(60, 900),
    DEFAULTS.functionTimeoutSeconds as number,
    'must be a whole number of seconds from 60 to 900 (the Lambda maximum)',
  ),
  batchSize: spec(wholeNumber(1, 10), DEFAULTS.batchSize as number, 'must be a whole number from 1 to 10'),
  maxConcurrency: spec(
    wholeNumber(2, 1000),
    DEFAULTS.maxConcurrency as number,
    'must be a whole number from 2 to 1000 (the SQS event source limits)',
  ),
  functionLogRetentionDays: spec(
    z.preprocess(
      fromCliNumber,
      z.number().refine((n) => LOG_RETENTION_DAYS_VALUES.includes(n)),
    ),
    DEFAULTS.functionLogRetentionDays as number,
    `must be one of ${LOG_RETENTION_DAYS_VALUES.join(', ')} (days CloudWatch Logs accepts)`,
  ),
  alarmEmail: spec<string | undefined>(z.email().optional(), undefined, 'must be an e-mail address'),
  alarmPeriodSeconds: spec(
    z.preprocess(
      fromCliNumber,
      z
        .number()
        .int()
        .min(60)
        .max(21_600)
        .refine((n) => n % 60 === 0),
    ),
    DEFAULTS.alarmPeriodSeconds as number,
    // the function publishes standard-resolution (per-minute) datums: a shorter period would only see gaps
    'must be a multiple of 60 seconds from 60 to 21600',
  ),
  alarmDatapointsToAlarm: spec(
    wholeNumber(1, 1440),
    DEFAULTS.alarmDatapointsToAlarm as number,
    'must be a whole number from 1 to 1440',
  ),
  alarmEvaluationPeriods: spec<number | undefined>(
    z.preprocess(fromCliNumber, z.number().int().min(1).max(1440).optional()),
    undefined,
    'must be a whole number from 1 to 1440 (or absent, to derive it from alarmLatenessMinutes)',
  ),
  alarmLatenessMinutes: spec(
    wholeNumber(0, 1380),
    DEFAULTS.alarmLatenessMinutes as number,
    'must be a whole number of minutes from 0 to 1380',
  ),
  alarmMinResponses: spec(
    wholeNumber(1, 1_000_000_000),
    DEFAULTS.alarmMinResponses as number,
    'must be a whole number of responses per period, at least 1',
  ),
  serverErrorThresholdPercent: spec(
    decimal(0, 100),
    DEFAULTS.serverErrorThresholdPercent as number,
    'must be a percentage above 0 and below 100',
  ),
  globalFailureThresholdPercent: spec(
    decimal(0, 100),
    DEFAULTS.globalFailureThresholdPercent as number,
    'must be a percentage above 0 and below 100',
  ),
  burstMinResponses: spec(
    wholeNumber(1, 1_000_000_000),
    DEFAULTS.burstMinResponses as number,
    'must be a whole number of responses per period, at least 1',
  ),
  serverErrorBurstThresholdPercent: spec(
    decimal(0, 100),
    DEFAULTS.serverErrorBurstThresholdPercent as number,
    'must be a percentage above 0 and below 100',
  ),
  globalFailureBurstThresholdPercent: spec(
    decimal(0, 100),
    DEFAULTS.globalFailureBurstThresholdPercent as number,
    'must be a percentage above 0 and below 100',
  ),
  isaAlarmThresholdPercent: spec<number | undefined>(
    z.preprocess(fromCliNumber, z.number().gt(0).lt(100).optional()),
    undefined,
    'must be a percentage above 0 and below 100 (or absent: no ISA alarm)',
  ),
  serAlarmThresholdPercent: spec<number | undefined>(
    z.preprocess(fromCliNumber, z.number().gt(0).lt(100).optional()),
    undefined,
    'must be a percentage above 0 and below 100 (or absent: no SER alarm)',
  ),
  kpiAlarmMinTransactions: spec(
    wholeNumber(1, 1_000_000_000),
    DEFAULTS.kpiAlarmMinTransactions as number,
    'must be a whole number of INVITE transactions per period, at least 1',
  ),
  anomalyDetection: spec(flag, DEFAULTS.anomalyDetection as boolean, 'must be true or false'),
  anomalyStdDevs: spec(decimal(0, 100), DEFAULTS.anomalyStdDevs as number, 'must be a number above 0 and below 100'),
  queueAgeAlarmSeconds: spec(
    wholeNumber(60, 1_209_600),
    DEFAULTS.queueAgeAlarmSeconds as number,
    'must be a whole number of seconds from 60 to 1209600',
  ),
} as const;

type KeyName = keyof typeof KEYS;
type Values = { -readonly [K in KeyName]: (typeof KEYS)[K] extends KeySpec<infer T> ? T : never };

const show = (v: unknown): string => {
  const json = JSON.stringify(v);
  return json === undefined ? String(v) : json;
};

const readKey = <K extends KeyName>(
  context: Readonly<Record<string, unknown>>,
  key: K,
  problems: string[],
): Values[K] => {
  const keySpec = KEYS[key] as unknown as KeySpec<Values[K]>;
  const raw = context[`${CONTEXT_PREFIX}${key}`];
  if (raw === undefined) return keySpec.fallback;
  const parsed = keySpec.schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  problems.push(`${CONTEXT_PREFIX}${key} ${keySpec.expected}, got ${show(raw)}`);
  return keySpec.fallback;
};

/**
 * What is wrong with a choice of per-peer alarms: each must name a peer of the peer map (an address's key changes
 * with every file; a name stays), once, and the function must publish per-peer metrics for the alarms to read.
 * Shared by the cdk.json reader and the construct props.
 */
export const peerAlarmProblems = (o: {
  readonly peers: PeerMapSpec;
  readonly peerMetrics: boolean;
  readonly peerAlarms: readonly string[];
}): string[] => {
  const problems: string[] = [];
  if (o.peerAlarms.length > 0 && !o.peerMetrics) {
    problems.push('per-peer alarms read the per-peer metrics: turn peerMetrics on');
  }
  for (const name of o.peerAlarms) {
    if (!Object.hasOwn(o.peers, name)) {
      problems.push(`"${name}" is not a peer of the peer map (peers: ${Object.keys(o.peers).join(', ') || 'none'})`);
    }
  }
  if (new Set(o.peerAlarms).size !== o.peerAlarms.length) problems.push('a peer is listed twice');
  return problems;
};

/** Checks between keys, each one a problem of its own. */
const crossCheck = (v: Values, evaluationPeriods: number, problems: string[]): void => {
  for (const a of v.keySuffixes) {
    for (const b of v.keySuffixes) {
      // S3 rejects notification rules whose filters overlap: ".gz" would also match every ".log.gz"
      if (a !== b && a.endsWith(b)) {
        problems.push(
          `${CONTEXT_PREFIX}keySuffixes "${a}" and "${b}" overlap (S3 rejects overlapping filters); keep "${b}"`,
        );
      }
    }
  }
  for (const problem of peerAlarmProblems(v)) problems.push(`${CONTEXT_PREFIX}peerAlarms: ${problem}`);
  if ((v.isaAlarmThresholdPercent !== undefined || v.serAlarmThresholdPercent !== undefined) && !v.kpiMetrics) {
    problems.push(
      `${CONTEXT_PREFIX}isaAlarmThresholdPercent and serAlarmThresholdPercent read the KPI metrics: keep kpiMetrics on`,
    );
  }
  if (new Set(v.keySuffixes).size !== v.keySuffixes.length) {
    problems.push(`${CONTEXT_PREFIX}keySuffixes lists a suffix twice, got ${show(v.keySuffixes)}`);
  }
  if (v.alarmDatapointsToAlarm > evaluationPeriods) {
    problems.push(
      `${CONTEXT_PREFIX}alarmDatapointsToAlarm (${v.alarmDatapointsToAlarm}) must not exceed the evaluation periods (${evaluationPeriods})`,
    );
  }
  if (evaluationPeriods * v.alarmPeriodSeconds > MAX_EVALUATION_RANGE_SECONDS) {
    problems.push(
      `evaluation periods × ${CONTEXT_PREFIX}alarmPeriodSeconds is ${evaluationPeriods} × ${v.alarmPeriodSeconds} s, more than the one day CloudWatch allows; ` +
        `lower ${CONTEXT_PREFIX}alarmLatenessMinutes or raise the period`,
    );
  }
  const needed = evaluationPeriodsFor(v.alarmLatenessMinutes, v.alarmPeriodSeconds, v.alarmDatapointsToAlarm);
  if (v.alarmEvaluationPeriods !== undefined && v.alarmEvaluationPeriods < needed) {
    problems.push(
      `${CONTEXT_PREFIX}alarmEvaluationPeriods (${v.alarmEvaluationPeriods}) is too short for ${CONTEXT_PREFIX}alarmLatenessMinutes (${v.alarmLatenessMinutes}): ` +
        `a late file's spike would fall outside the evaluated range; use at least ${needed} or omit it`,
    );
  }
};

/** Validates cdk.json context (the `context` object, or everything `app.node.getAllContext()` returns). */
export const readStackConfig = (context: Readonly<Record<string, unknown>>): StackConfig => {
  const problems: string[] = [];
  for (const key of Object.keys(context)) {
    if (key.startsWith(CONTEXT_PREFIX) && !Object.hasOwn(KEYS, key.slice(CONTEXT_PREFIX.length))) {
      problems.push(`${key} is not a setting of this app (known: ${Object.keys(KEYS).join(', ')})`);
    }
  }
  const v = Object.fromEntries(
    (Object.keys(KEYS) as KeyName[]).map((key) => [key, readKey(context, key, problems)]),
  ) as Values;
  const evaluationPeriods =
    v.alarmEvaluationPeriods ??
    evaluationPeriodsFor(v.alarmLatenessMinutes, v.alarmPeriodSeconds, v.alarmDatapointsToAlarm);
  crossCheck(v, evaluationPeriods, problems);
  if (problems.length > 0) throw new StackConfigError(problems);
  return {
    stackName: v.stackName,
    namespace: v.namespace,
    keyPrefix: v.keyPrefix,
    keySuffixes: v.keySuffixes,
    metricDetail: v.metricDetail,
    peers: v.peers,
    peerMetrics: v.peerMetrics,
    peerTopN: v.peerTopN,
    kpiMetrics: v.kpiMetrics,
    peerAlarms: v.peerAlarms,
    logTimeZone: v.logTimeZone,
    logTimeZoneByPrefix: v.logTimeZoneByPrefix,
    bucketEncryption: v.bucketEncryption,
    logExpirationDays: v.logExpirationDays,
    noncurrentVersionExpirationDays: v.noncurrentVersionExpirationDays,
    accessLogExpirationDays: v.accessLogExpirationDays,
    ledgerRetentionDays: v.ledgerRetentionDays,
    retainData: v.retainData,
    functionMemoryMiB: v.functionMemoryMiB,
    functionTimeoutSeconds: v.functionTimeoutSeconds,
    batchSize: v.batchSize,
    maxConcurrency: v.maxConcurrency,
    functionLogRetentionDays: v.functionLogRetentionDays,
    alarmEmail: v.alarmEmail,
    alarmLatenessMinutes: v.alarmLatenessMinutes,
    spikeAlarms: {
      namespace: v.namespace,
      periodSeconds: v.alarmPeriodSeconds,
      datapointsToAlarm: v.alarmDatapointsToAlarm,
      evaluationPeriods,
      minResponsesPerPeriod: v.alarmMinResponses,
      serverErrorThresholdPercent: v.serverErrorThresholdPercent,
      globalFailureThresholdPercent: v.globalFailureThresholdPercent,
      burstMinResponsesPerPeriod: v.burstMinResponses,
      serverErrorBurstThresholdPercent: v.serverErrorBurstThresholdPercent,
      globalFailureBurstThresholdPercent: v.globalFailureBurstThresholdPercent,
    },
    kpiAlarms: {
      namespace: v.namespace,
      periodSeconds: v.alarmPeriodSeconds,
      datapointsToAlarm: v.alarmDatapointsToAlarm,
      evaluationPeriods,
      minTransactionsPerPeriod: v.kpiAlarmMinTransactions,
      ...(v.isaAlarmThresholdPercent === undefined ? {} : { isaThresholdPercent: v.isaAlarmThresholdPercent }),
      ...(v.serAlarmThresholdPercent === undefined ? {} : { serThresholdPercent: v.serAlarmThresholdPercent }),
    },
    anomalyDetection: v.anomalyDetection,
    anomalyStdDevs: v.anomalyStdDevs,
    queueAgeAlarmSeconds: v.queueAgeAlarmSeconds,
  };
};

/** Anything with a construct node, such as the CDK `App` (typed structurally to keep this module CDK-free). */
export interface ContextSource {
  readonly node: { getAllContext(): Record<string, unknown> };
}

/** Validates the context of a CDK app: cdk.json plus `-c key=value` from the command line. */
export const readAppStackConfig = (app: ContextSource): StackConfig => readStackConfig(app.node.getAllContext());
