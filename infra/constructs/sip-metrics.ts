import { Duration } from 'aws-cdk-lib';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PeerMapSpec } from '../../lambda/engine/peers.js';
import { DEFAULT_SPIKE_ALARM_SETTINGS, type KpiAlarmSettings, type SpikeAlarmSettings } from '../alarm-rules.js';
import { type BucketEncryptionMode, DEFAULTS, type MetricDetail, VISIBILITY_TIMEOUT_FACTOR } from '../defaults.js';
import { LedgerTable } from './ledger-table.js';
import { LogIngest } from './log-ingest.js';
import { Monitoring } from './monitoring.js';
import { type HandlerCode, ProcessorFunction } from './processor-function.js';
import { SipMetricsPropsError, sipMetricsPropsProblems } from './sip-metrics-validation.js';

/** Properties of {@link SipMetrics}; every one is optional and defaults to the secure, documented choice. */
export interface SipMetricsProps {
  /**
   * Your existing log bucket (its shippers keep writing where they do): SipMetrics adds object-created notifications
   * for {@link keyPrefix} and {@link keySuffixes} to it (or, with {@link bucketSendsToEventBridge}, an EventBridge
   * rule) and lets the function read under the prefix. Its encryption, lifecycle and access logging stay yours, so
   * bucketEncryption, logExpirationDays, noncurrentVersionExpirationDays and accessLogExpirationDays must be unset.
   * @default a new versioned, encrypted, access-logged bucket
   */
  readonly bucket?: IBucket;
  /**
   * The bucket already sends its events to Amazon EventBridge (S3 "Send notifications to EventBridge" is on): route its
   * "Object Created" events under the prefix to the queue with an EventBridge rule instead of S3 notifications (a
   * bucket takes one notification configuration; EventBridge leaves yours untouched).
   * @default false
   */
  readonly bucketSendsToEventBridge?: boolean;
  /**
   * Your existing SNS topic (the one on-call listens to) for every alarm's ALARM and OK actions. Its policy must let
   * cloudwatch.amazonaws.com publish, and when it is KMS-encrypted, its key policy must let CloudWatch use the key.
   * @default a new KMS-encrypted topic that accepts only this account's alarms, over TLS
   */
  readonly alarmTopic?: ITopic;
  /**
   * Your existing KMS key for what SipMetrics creates and can encrypt with it: the log bucket (implies bucketEncryption
   * 'kms') and the alarm topic. Of an imported key, the key policy must already let cloudwatch.amazonaws.com use it.
   * @default new keys with rotation (for the topic; for the bucket when bucketEncryption is 'kms')
   */
  readonly encryptionKey?: IKey;
  /**
   * CloudWatch namespace of the metrics (and the only one the function may publish to).
   * @default 'SIP'
   */
  readonly namespace?: string;
  /**
   * Objects created under this key prefix are processed; the function may read nothing else.
   * @default 'logs/'
   */
  readonly keyPrefix?: string;
  /**
   * Only keys ending in one of these are processed.
   * @default [] (every key under the prefix)
   */
  readonly keySuffixes?: readonly string[];
  /**
   * 'class' publishes responses per class; 'code' adds per-status-code metrics, 'method' per-CSeq-method ones.
   * @default 'class'
   */
  readonly metricDetail?: MetricDetail;
  /**
   * Names for sender addresses in the per-peer counts: name -> [CIDR, IP or IP:port, ...].
   * @default {} (senders are keyed by IP)
   */
  readonly peers?: PeerMapSpec;
  /**
   * Publish `Responses` by (Class, Peer) and by Peer too: seven custom metrics per published peer.
   * @default false
   */
  readonly peerMetrics?: boolean;
  /**
   * With peerMetrics: unnamed senders published under their own IP per file; the rest as `other`.
   * @default 10
   */
  readonly peerTopN?: number;
  /**
   * Publish the RFC 6076 KPI metrics: InviteTransactions by Outcome and the three delays (9 metrics). Off, the
   * function does not track the KPIs either (a text scan does 13–22 % less work).
   * @default true
   */
  readonly kpiMetrics?: boolean;
  /**
   * ISA-above and SER-below alarms (thresholds unset: no alarm); namespace and periods as the spike alarms.
   * @default no KPI alarm
   */
  readonly kpiAlarms?: KpiAlarmSettings;
  /**
   * Named peers (keys of {@link peers}) with their own 5xx and 6xx spike alarms; needs {@link peerMetrics}.
   * @default [] (no per-peer alarms)
   */
  readonly peerAlarms?: readonly string[];
  /**
   * IANA zone of the logs' local times (times printed without a zone are read in it).
   * @default 'UTC'
   */
  readonly logTimeZone?: string;
  /**
   * Key prefix -> IANA zone, for buckets that collect logs from several sites: `{"pbx-berlin/": "Europe/Berlin"}`.
   * @default {}
   */
  readonly logTimeZoneByPrefix?: Readonly<Record<string, string>>;
  /**
   * Encryption at rest of the log bucket.
   * @default 's3-managed'
   */
  readonly bucketEncryption?: BucketEncryptionMode;
  /**
   * Days before log objects expire; 0 keeps them forever.
   * @default 90
   */
  readonly logExpirationDays?: number;
  /**
   * Days before overwritten or deleted log versions are removed.
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days before server access logs expire.
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
  /**
   * Days a ledger record is kept (must outlive the 14-day DLQ).
   * @default 30
   */
  readonly ledgerRetentionDays?: number;
  /**
   * Keep the buckets, the ledger and the log group when the stack is deleted.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Function memory in MiB (also sets its CPU share).
   * @default 1769
   */
  readonly functionMemoryMiB?: number;
  /**
   * Function timeout; the queue's visibility timeout is 6× this.
   * @default Duration.minutes(15)
   */
  readonly functionTimeout?: Duration;
  /**
   * S3 notifications per invocation.
   * @default 5
   */
  readonly batchSize?: number;
  /**
   * Concurrent invocations at most.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Retention of the function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly functionLogRetention?: RetentionDays;
  /**
   * Spike alarm settings; their `namespace` must equal {@link namespace}.
   * @default DEFAULT_SPIKE_ALARM_SETTINGS with {@link namespace}
   */
  readonly spikeAlarms?: SpikeAlarmSettings;
  /**
   * Add an anomaly-detection alarm on the 5xx count.
   * @default false
   */
  readonly anomalyDetection?: boolean;
  /**
   * Anomaly band width in standard deviations.
   * @default 3
   */
  readonly anomalyStdDevs?: number;
  /**
   * Alarm when an S3 notification has waited this long.
   * @default Duration.minutes(15)
   */
  readonly queueAgeAlarm?: Duration;
  /**
   * E-mail address subscribed to the alarm topic.
   * @default no subscription
   */
  readonly alarmEmail?: string;
  /**
   * TypeScript entry of the Lambda handler (bundled from source with esbuild).
   * @default the product's lambda/handler.ts
   */
  readonly handlerEntry?: string;
  /**
   * 'prebuilt' deploys the handler bundle the npm package ships (synth needs no esbuild, sources or Docker);
   * 'source' bundles the TypeScript sources with esbuild (this repository's own app).
   * @default 'prebuilt' when the package holds the bundle and no handlerEntry is set, else 'source'
   */
  readonly handlerCode?: HandlerCode;
}

/**
 * SIP logs dropped into S3 become per-class CloudWatch response metrics, with 5xx/6xx spike alarms and a dashboard:
 * bucket -> queue (+DLQ) -> function -> CloudWatch, with a DynamoDB ledger for exactly-once counting.
 */
export class SipMetrics extends Construct {
  /** Drop SIP logs here, under {@link keyPrefix} (yours when you passed one). */
  readonly bucket: IBucket;
  /** The key prefix that is processed. */
  readonly keyPrefix: string;
  /** S3 notifications waiting for the function. */
  readonly queue: Queue;
  /** Notifications that failed processing 5 times (MAX_RECEIVE_COUNT). */
  readonly deadLetterQueue: Queue;
  /** The processing function. */
  readonly function: LambdaFunction;
  /** The exactly-once ledger. */
  readonly ledgerTable: Table;
  /** Every alarm notifies this topic (yours when you passed one). */
  readonly alarmTopic: ITopic;
  /** The product's dashboard. */
  readonly dashboard: Dashboard;
  /** The alarms and the rules behind them. */
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: SipMetricsProps = {}) {
    super(scope, id);
    const problems = sipMetricsPropsProblems(props);
    if (problems.length > 0) throw new SipMetricsPropsError(problems);
    const namespace = props.namespace ?? DEFAULTS.namespace;
    const spikeAlarms = props.spikeAlarms ?? { ...DEFAULT_SPIKE_ALARM_SETTINGS, namespace };
    const timeout = props.functionTimeout ?? Duration.seconds(DEFAULTS.functionTimeoutSeconds);

    const ingest = new LogIngest(this, 'Ingest', {
      bucket: props.bucket,
      eventBridge: props.bucketSendsToEventBridge,
      encryptionKey: props.encryptionKey,
      keyPrefix: props.keyPrefix,
      keySuffixes: props.keySuffixes,
      encryption: props.bucketEncryption,
      logExpirationDays: props.logExpirationDays,
      noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays,
      accessLogExpirationDays: props.accessLogExpirationDays,
      retainData: props.retainData,
      // AWS: at least 6× the function timeout, so a message is not redelivered while a slow batch still runs
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
    });
    const ledger = new LedgerTable(this, 'Ledger', { retainData: props.retainData });
    const processor = new ProcessorFunction(this, 'Processor', {
      bucket: ingest.bucket,
      bucketKey: ingest.bucketKey,
      keyPrefix: ingest.keyPrefix,
      queue: ingest.queue,
      ledgerTable: ledger.table,
      namespace,
      metricDetail: props.metricDetail,
      peers: props.peers,
      peerMetrics: props.peerMetrics,
      peerTopN: props.peerTopN,
      kpiMetrics: props.kpiMetrics,
      logTimeZone: props.logTimeZone,
      logTimeZoneByPrefix: props.logTimeZoneByPrefix,
      ledgerRetentionDays: props.ledgerRetentionDays,
      memoryMiB: props.functionMemoryMiB,
      timeout,
      batchSize: props.batchSize,
      maxConcurrency: props.maxConcurrency,
      logRetention: props.functionLogRetention,
      retainData: props.retainData,
      entry: props.handlerEntry,
      handlerCode: props.handlerCode,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      function: processor.function,
      queue: ingest.queue,
      deadLetterQueue: ingest.deadLetterQueue,
      spikeAlarms,
      metricDetail: props.metricDetail,
      peerMetrics: props.peerMetrics,
      peerAlarms: props.peerAlarms,
      kpiMetrics: props.kpiMetrics,
      kpiAlarms: props.kpiAlarms,
      anomalyDetection: props.anomalyDetection,
      anomalyStdDevs: props.anomalyStdDevs,
      queueAgeAlarm: props.queueAgeAlarm,
      alarmEmail: props.alarmEmail,
      alarmTopic: props.alarmTopic,
      alarmTopicKey: props.encryptionKey,
    });

    this.bucket = ingest.bucket;
    this.keyPrefix = ingest.keyPrefix;
    this.queue = ingest.queue;
    this.deadLetterQueue = ingest.deadLetterQueue;
    this.function = processor.function;
    this.ledgerTable = ledger.table;
    this.alarmTopic = this.monitoring.alarmTopic;
    this.dashboard = this.monitoring.dashboard;
  }
}
