import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { buildAllSpikeAlarmRules, buildKpiAlarmRules } from '../infra/alarm-rules.js';
import type { StackConfig } from '../infra/config.js';
import type { MinuteCounts } from '../infra/evaluate-alarms.js';
import type { AlarmJudgement, LocalAlarmRule } from './alarm-status.js';
import { listBucket } from './bucket-listing.js';
import { createBucketUploader, uploadExamples, watchDropFolderUploads } from './bucket-uploads.js';
import { acquireLock } from './data-dir-lock.js';
import type { QueueDepth } from './delivery-queue.js';
import type { DropFolder } from './drop-folder.js';
import {
  createLocalDynamoDbClient,
  createLocalS3Client,
  type LocalPorts,
  type LocalServices,
  lambdaEnvironment,
  startLocalServices,
} from './emulators.js';
import { createFileStatusList, type FileStatus } from './file-status.js';
import { type LambdaRuntime, startLambdaRuntime } from './lambda-runtime.js';
import { type LedgerRow, releaseClaims, scanLedger } from './ledger-rows.js';
import { createLocalEvents, type LocalEvent } from './local-events.js';
import type { ClassTotals, LoopbackCloudWatch } from './loopback-cloudwatch.js';
import { createMetricsView, type KpiLine, type PeerTotals } from './metrics-view.js';
import { MAX_IN_FLIGHT, notNotifiedReason, startObjectProcessing } from './object-processing.js';
import { matchesNotificationFilter } from './s3-notifications.js';
import { watchS3Requests } from './s3-request-watch.js';

/** The local bucket (the deployed one gets a generated name). */
export const DEFAULT_BUCKET = 'sip-logs';
/** The local ledger table. */
export const DEFAULT_TABLE = 'sip-metrics-ledger';

const SETTLE_POLL_MS = 50;

/** Everything the view shows, computed from the local CloudWatch store and the ledger. */
export interface LocalSnapshot {
  /** Most recently changed last. */
  readonly files: readonly FileStatus[];
  /** `Responses` by `Class` over every datum stored. */
  readonly totals: ClassTotals;
  /** The last RECENT_MINUTES minutes up to the newest minute in the data, empty minutes included. */
  readonly recentMinutes: readonly MinuteCounts[];
  readonly recentTotals: ClassTotals;
  /** Peers by 5xx+6xx then volume, from `Responses` by Class and Peer (empty unless peerMetrics is on). */
  readonly peers: readonly PeerTotals[];
  /** RFC 6076 KPIs of everything stored. */
  readonly kpis: KpiLine;
  readonly judgement: AlarmJudgement;
  readonly queue: QueueDepth;
  readonly warnings: readonly string[];
}

/** How to run the local stack. */
export interface LocalStackOptions {
  /** S3 objects, the ledger, the CloudWatch datums and the handler's log live here and survive restarts. */
  readonly dataDir: string;
  /** Watched folder; absent watches nothing (`--once`). */
  readonly dropDir?: string;
  readonly ports: LocalPorts;
  /** The deployed stack's configuration (cdk.json through infra/config.ts). */
  readonly config: StackConfig;
  /** Processed on first start (nothing in the data folder yet), so the first screen shows counts. */
  readonly examplesDir?: string;
  readonly bucket?: string;
  readonly table?: string;
}

/** The running local stack. */
export interface LocalStack {
  readonly services: LocalServices;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly dataDir: string;
  readonly dropDir: string | undefined;
  readonly handlerLogFile: string;
  /** True when the data folder held nothing processed at start. */
  readonly firstStart: boolean;
  readonly rules: readonly LocalAlarmRule[];
  /** Uploads a local file to the bucket (under the key prefix unless `key` is given); resolves with its key. */
  uploadFile(path: string, key?: string): Promise<string>;
  /** Resolves once nothing is being uploaded, queued, processed or waiting for a retry. */
  settled(): Promise<void>;
  snapshot(): LocalSnapshot;
  onEvent(listener: (event: LocalEvent) => void): () => void;
  /** The id of the process running the handler (a new one after a crash or a timeout). */
  handlerPid(): number | undefined;
  /** The ids of every handler process (one per invocation running at once, as Lambda's containers). */
  handlerPids(): number[];
  /** Stops the watcher, the handler process and the servers; the data folder is kept. */
  stop(): Promise<void>;
}

/** Starts the whole pipeline on 127.0.0.1; see LocalStackOptions. */
export const startLocalStack = async (o: LocalStackOptions): Promise<LocalStack> => {
  const bucket = o.bucket ?? DEFAULT_BUCKET;
  const table = o.table ?? DEFAULT_TABLE;
  const { config } = o;
  const prefix = config.keyPrefix;
  const namespace = config.namespace;
  const rules: LocalAlarmRule[] = [
    ...buildAllSpikeAlarmRules(config.spikeAlarms, config.peerAlarms),
    ...buildKpiAlarmRules(config.kpiAlarms),
  ];
  const handlerLogFile = join(o.dataDir, 'handler.log');
  const dropStateFile = join(o.dataDir, 'drop-uploads.json');

  await mkdir(o.dataDir, { recursive: true });
  const releaseLock = await acquireLock(o.dataDir);
  let services: LocalServices;
  try {
    services = await startLocalServices({
      ports: o.ports,
      s3Directory: join(o.dataDir, 's3'),
      dynamoDbPath: join(o.dataDir, 'dynamodb'),
      cloudWatchDataFile: join(o.dataDir, 'cloudwatch', 'datums.jsonl'),
      bucket,
      table,
    });
  } catch (e) {
    await releaseLock();
    throw e;
  }
  const cloudWatch: LoopbackCloudWatch = services.cloudWatch;
  const s3: S3Client = createLocalS3Client(services.s3.url);
  const ddb: DynamoDBClient = createLocalDynamoDbClient(services.dynamoDb.url);

  const events = createLocalEvents();
  const files = createFileStatusList((file) => events.emit({ kind: 'file', file }));

  let stopping = false;
  let runtime: LambdaRuntime | undefined;
  let history: LedgerRow[];
  let objects: Awaited<ReturnType<typeof listBucket>>;
  try {
    history = await scanLedger(ddb, table);
    objects = await listBucket(s3, bucket);
    // the data-folder lock proves no invocation of an earlier start is alive: free its claims now instead of
    // letting a redelivery wait out a lease sized for a 15-minute function
    await releaseClaims(ddb, table, history);
    runtime = await startLambdaRuntime({
      env: {
        ...lambdaEnvironment(services, {
          namespace,
          metricDetail: config.metricDetail,
          peers: config.peers,
          peerMetrics: config.peerMetrics,
          peerTopN: config.peerTopN,
          kpiMetrics: config.kpiMetrics,
          logTimeZone: config.logTimeZone,
          logTimeZoneByPrefix: config.logTimeZoneByPrefix,
          ledgerRetentionDays: config.ledgerRetentionDays,
        }),
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      logFile: handlerLogFile,
      timeoutMs: config.functionTimeoutSeconds * 1000,
      concurrency: MAX_IN_FLIGHT,
    });
  } catch (e) {
    s3.destroy();
    ddb.destroy();
    await services.stop();
    await releaseLock();
    throw e;
  }
  const lambda = runtime;
  const firstStart = history.length === 0 && cloudWatch.datums.length === 0;
  for (const row of history.sort((a, b) => (a.finishedAtMs ?? 0) - (b.finishedAtMs ?? 0))) {
    if (row.status !== 'done' && row.status !== 'failed') continue;
    files.set(
      row.key,
      {
        // a failed file has no summary: its size comes from the bucket
        size: objects.get(row.key)?.size ?? row.summary?.bytes ?? 0,
        state: row.status === 'done' ? 'done' : 'failed',
        summary: row.summary,
        errorCode: row.errorCode,
        reason: row.errorMessage,
      },
      true,
    );
  }

  // objects outside the notified prefix are in no ledger row, but they were listed before the restart too
  for (const obj of objects.values()) {
    if (matchesNotificationFilter(obj.key, prefix, config.keySuffixes)) continue;
    files.set(
      obj.key,
      { size: obj.size, state: 'not-notified', reason: notNotifiedReason(prefix, config.keySuffixes) },
      true,
    );
  }

  const metrics = createMetricsView({ cloudWatch, namespace, rules, emit: events.emit });
  const requests = watchS3Requests(services.s3.server, bucket);
  const processing = startObjectProcessing({
    s3Emulator: services.s3.emulator,
    requests,
    s3,
    ddb,
    bucket,
    table,
    config,
    lambda,
    handlerLogFile,
    files,
    warn: events.warn,
    isStopping: () => stopping,
    onBatchDone: metrics.rejudge,
  });
  const uploader = createBucketUploader({ s3, bucket, prefix, files });
  const { uploadFile } = uploader;

  let drop: DropFolder | undefined;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    drop?.close();
    processing.close();
    await lambda.stop();
    s3.destroy();
    ddb.destroy();
    await services.stop();
    await releaseLock();
  };

  try {
    await processing.catchUp(
      new Set(history.filter((r) => r.status === 'done' || r.status === 'failed').map((r) => r.pk)),
    );
    if (firstStart && o.examplesDir !== undefined) await uploadExamples(o.examplesDir, prefix, uploadFile);
    if (o.dropDir !== undefined) {
      drop = await watchDropFolderUploads({
        dropDir: o.dropDir,
        stateFile: dropStateFile,
        prefix,
        uploadFile,
        warn: events.warn,
      });
    }
  } catch (e) {
    await stopAll();
    throw e;
  }

  let stopped: Promise<void> | undefined;
  return {
    services,
    bucket,
    keyPrefix: prefix,
    dataDir: o.dataDir,
    dropDir: o.dropDir,
    handlerLogFile,
    firstStart,
    rules,
    uploadFile,
    settled: async () => {
      let quietPolls = 0;
      while (quietPolls < 2) {
        await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
        if (stopping) return;
        const d = processing.depth();
        const busy =
          (drop?.pending() ?? 0) + uploader.uploading() + processing.announcing() + d.visible + d.inFlight + d.delayed;
        quietPolls = busy === 0 ? quietPolls + 1 : 0;
      }
    },
    snapshot: () => {
      const { totals, recentMinutes, recentTotals, peers, kpis, judgement } = metrics.now();
      const listed = files.list().map((f) => {
        const sent = f.state === 'processing' ? requests.bytesSent(f.key) : undefined;
        return sent === undefined ? f : { ...f, bytesRead: Math.min(f.size, sent) };
      });
      return {
        files: listed,
        totals,
        recentMinutes,
        recentTotals,
        peers,
        kpis,
        judgement,
        queue: processing.depth(),
        warnings: events.warnings(),
      };
    },
    handlerPid: () => lambda.pid(),
    handlerPids: () => lambda.pids(),
    onEvent: events.onEvent,
    stop: () => {
      stopped ??= stopAll();
      return stopped;
    },
  };
};
