import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { basename, join } from 'node:path';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { buildSpikeAlarmRules, type SpikeAlarmRule } from '../infra/alarm-rules.js';
import type { StackConfig } from '../infra/config.js';
import { MAX_RECEIVE_COUNT } from '../infra/defaults.js';
import type { AlarmEvaluation, AlarmState, MinuteCounts } from '../infra/evaluate-alarms.js';
import { ledgerKey } from '../lambda/adapters/dynamodb-ledger.js';
import type { FileSummary } from '../lambda/run-scan.js';
import { type AlarmJudgement, judgeAlarms } from './alarm-status.js';
import type { ClassTotals, LocalCloudWatch } from './cloudwatch-server.js';
import { type BatchReport, createDeliveryQueue, type QueueDepth } from './delivery-queue.js';
import { type DropFolder, type StableFile, watchDropFolder } from './drop-folder.js';
import {
  createLocalDynamoDbClient,
  createLocalS3Client,
  type LocalPorts,
  type LocalServices,
  lambdaEnvironment,
  startLocalServices,
} from './emulators.js';
import { LocalStackError } from './errors.js';
import { type LambdaRuntime, startLambdaRuntime } from './lambda-runtime.js';
import {
  type CreatedObject,
  createdObjectsOf,
  matchesNotificationFilter,
  type QueueMessage,
  queueMessageOf,
  toS3Record,
} from './s3-notifications.js';

/** The local bucket (the deployed one gets a generated name). */
export const DEFAULT_BUCKET = 'sip-logs';
/** The local ledger table. */
export const DEFAULT_TABLE = 'sip-metrics-ledger';
/** Minutes of data the "last minutes" view sums. */
export const RECENT_MINUTES = 5;

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:sip-metrics-local';
// The deployed queue hides a failed message for 6 x the function timeout (90 min by default); locally a retry
// should be seen within seconds.
const RETRY_DELAY_MS = 5_000;
// Lambda runs up to `maxConcurrency` invocations; two are enough to keep a small file from waiting behind a big one.
const MAX_IN_FLIGHT = 2;
const MAX_FILES_LISTED = 500;
/** Files above this size single-PUT up to S3's limit; bigger ones go up in parts. */
const SINGLE_PUT_MAX_BYTES = 5 * 1024 ** 3;
const SETTLE_POLL_MS = 50;
const MS_PER_MINUTE = 60_000;

/** Where a file is in the pipeline. */
export type FileState =
  | 'uploading'
  | 'queued'
  | 'processing'
  | 'retrying'
  | 'done'
  | 'duplicate'
  | 'skipped'
  | 'failed'
  | 'dead-letter'
  | 'not-notified';

/** Terminal states: the file will not move again unless it is uploaded again. */
export const FINAL_STATES: ReadonlySet<FileState> = new Set<FileState>([
  'done',
  'duplicate',
  'skipped',
  'failed',
  'dead-letter',
  'not-notified',
]);

/** One object of the bucket and what the pipeline made of it. */
export interface FileStatus {
  readonly key: string;
  readonly size: number;
  readonly state: FileState;
  /** Deliveries to the handler so far. */
  readonly receiveCount: number;
  /** Bytes the handler has read (from s3rver's side of the connection) while `processing`. */
  readonly bytesRead: number | undefined;
  /** The handler's summary of the file (from the ledger), when done. */
  readonly summary: FileSummary | undefined;
  /** An error code (the ledger's, or the local stack's) and a reason, when failed or retrying. */
  readonly errorCode: string | undefined;
  readonly reason: string | undefined;
  readonly updatedMs: number;
}

/** Something worth a line of its own. */
export type LocalEvent =
  | { readonly kind: 'file'; readonly file: FileStatus }
  | {
      readonly kind: 'alarm';
      readonly rule: SpikeAlarmRule;
      readonly from: AlarmState;
      readonly to: AlarmState;
      /** The data clock's "now" the new state was judged at. */
      readonly dataNowMs: number;
      readonly evaluation: AlarmEvaluation;
    }
  | { readonly kind: 'warning'; readonly message: string };

/** Everything the view shows, computed from the local CloudWatch store and the ledger. */
export interface LocalSnapshot {
  /** Most recently changed last. */
  readonly files: readonly FileStatus[];
  /** `Responses` by `Class` over every datum stored. */
  readonly totals: ClassTotals;
  /** The last RECENT_MINUTES minutes up to the newest minute in the data, empty minutes included. */
  readonly recentMinutes: readonly MinuteCounts[];
  readonly recentTotals: ClassTotals;
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
  readonly rules: readonly SpikeAlarmRule[];
  /** Uploads a local file to the bucket (under the key prefix unless `key` is given); resolves with its key. */
  uploadFile(path: string, key?: string): Promise<string>;
  /** Resolves once nothing is being uploaded, queued, processed or waiting for a retry. */
  settled(): Promise<void>;
  snapshot(): LocalSnapshot;
  onEvent(listener: (event: LocalEvent) => void): () => void;
  /** The id of the process running the handler (a new one after a crash or a timeout). */
  handlerPid(): number | undefined;
  /** Stops the watcher, the handler process and the servers; the data folder is kept. */
  stop(): Promise<void>;
}

const emptyTotals = (): ClassTotals => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 });

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** One stack per data folder: two would fight over dynalite's LevelDB lock and s3rver's files. */
const acquireLock = async (dataDir: string): Promise<() => Promise<void>> => {
  const file = join(dataDir, 'lock');
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new LocalStackError(
        'DATA_DIR_IN_USE',
        `${dataDir} is in use by another local stack (pid ${pid}); stop it, or choose another folder with --data-dir`,
        { dataDir, pid },
      );
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await writeFile(file, String(process.pid));
  return () => rm(file, { force: true });
};

/** A ledger item, as far as the view needs it. */
interface LedgerRow {
  readonly key: string;
  readonly pk: string;
  readonly status: string;
  readonly summary: FileSummary | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly finishedAtMs: number | undefined;
}

const parseSummary = (text: string | undefined): FileSummary | undefined => {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return undefined;
    const s = v as Partial<FileSummary>;
    return typeof s.responses === 'number' && typeof s.responsesByClass === 'object' ? (v as FileSummary) : undefined;
  } catch {
    return undefined;
  }
};

const rowOf = (item: Record<string, AttributeValue>): LedgerRow => ({
  key: item.objectKey?.S ?? '',
  pk: item.pk?.S ?? '',
  status: item.status?.S ?? '',
  summary: parseSummary(item.summary?.S),
  errorCode: item.errorCode?.S,
  errorMessage: item.errorMessage?.S,
  finishedAtMs: item.finishedAtMs?.N === undefined ? undefined : Number(item.finishedAtMs.N),
});

const scanLedger = async (ddb: DynamoDBClient, table: string): Promise<LedgerRow[]> => {
  const rows: LedgerRow[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    rows.push(...(out.Items ?? []).map(rowOf));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return rows;
};

/** The reason the handler logged for a failed message (it logs one JSON line with the messageId). */
const reasonInLog = async (logFile: string, messageId: string): Promise<string | undefined> => {
  const TAIL_BYTES = 256 * 1024;
  try {
    const handle = await open(logFile, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, TAIL_BYTES);
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, size - length);
      const lines = buf.toString('utf8').split('\n').reverse();
      for (const line of lines) {
        if (!line.includes(messageId)) continue;
        const entry = JSON.parse(line) as { reason?: unknown; errorCode?: unknown; errorName?: unknown };
        const code = typeof entry.errorCode === 'string' ? entry.errorCode : entry.errorName;
        return `${typeof code === 'string' ? `${code}: ` : ''}${String(entry.reason ?? 'see the handler log')}`;
      }
    } finally {
      await handle.close();
    }
  } catch {
    // the log is a convenience: no reason is better than a crash of the view
  }
  return undefined;
};

const isAwsChunked = (headers: IncomingHttpHeaders): boolean =>
  String(headers['content-encoding'] ?? '').includes('aws-chunked') ||
  String(headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');

/** Starts the whole pipeline on 127.0.0.1; see LocalStackOptions. */
export const startLocalStack = async (o: LocalStackOptions): Promise<LocalStack> => {
  const bucket = o.bucket ?? DEFAULT_BUCKET;
  const table = o.table ?? DEFAULT_TABLE;
  const { config } = o;
  const prefix = config.keyPrefix;
  const namespace = config.namespace;
  const rules = buildSpikeAlarmRules(config.spikeAlarms);
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
  const cloudWatch: LocalCloudWatch = services.cloudWatch;
  const s3: S3Client = createLocalS3Client(services.s3.url);
  const ddb: DynamoDBClient = createLocalDynamoDbClient(services.dynamoDb.url);

  const listeners = new Set<(e: LocalEvent) => void>();
  const emit = (e: LocalEvent): void => {
    for (const l of listeners) l(e);
  };
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    if (warnings.length > 5) warnings.shift();
    emit({ kind: 'warning', message });
  };

  const files = new Map<string, FileStatus>();
  const setFile = (key: string, patch: Partial<Omit<FileStatus, 'key' | 'updatedMs'>>, quiet = false): void => {
    const prev = files.get(key);
    const next: FileStatus = {
      size: 0,
      state: 'queued',
      receiveCount: 0,
      bytesRead: undefined,
      summary: undefined,
      errorCode: undefined,
      reason: undefined,
      ...prev,
      ...patch,
      key,
      updatedMs: Date.now(),
    };
    // re-inserted so that the map stays ordered by the latest change
    files.delete(key);
    files.set(key, next);
    for (const k of files.keys()) {
      if (files.size <= MAX_FILES_LISTED) break;
      files.delete(k);
    }
    if (!quiet) emit({ kind: 'file', file: next });
  };

  let stopping = false;
  let runtime: LambdaRuntime | undefined;
  let history: LedgerRow[];
  try {
    history = await scanLedger(ddb, table);
    // the data-folder lock proves no invocation of an earlier start is alive: free its claims now instead of
    // letting a redelivery wait out a lease sized for a 15-minute function
    for (const row of history.filter((r) => r.status === 'claimed')) {
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: { S: row.pk } },
            ConditionExpression: '#status = :claimed',
            UpdateExpression: 'SET leaseExpiresAtMs = :zero',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':claimed': { S: 'claimed' }, ':zero': { N: '0' } },
          }),
        );
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
    }
    runtime = await startLambdaRuntime({
      env: {
        ...lambdaEnvironment(services, {
          namespace,
          metricDetail: config.metricDetail,
          ledgerTtlDays: config.ledgerRetentionDays,
        }),
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      logFile: handlerLogFile,
      timeoutMs: config.functionTimeoutSeconds * 1000,
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
    setFile(
      row.key,
      {
        size: row.summary?.bytes ?? 0,
        state: row.status === 'done' ? 'done' : 'failed',
        summary: row.summary,
        errorCode: row.errorCode,
        reason: row.errorMessage,
      },
      true,
    );
  }

  // --- alarms: judged on the CloudWatch store at the data clock, re-judged after every batch
  let dirty = true;
  let cached: { series: MinuteCounts[]; totals: ClassTotals; judgement: AlarmJudgement } | undefined;
  const judged = (): { series: MinuteCounts[]; totals: ClassTotals; judgement: AlarmJudgement } => {
    if (dirty || cached === undefined) {
      const series = cloudWatch.responsesByMinute(namespace);
      cached = { series, totals: cloudWatch.responsesByClass(namespace), judgement: judgeAlarms(rules, series) };
      dirty = false;
    }
    return cached;
  };
  cloudWatch.onAccepted(() => {
    dirty = true;
  });
  const lastStates = new Map<string, AlarmState>(judged().judgement.alarms.map((a) => [a.rule.id, a.evaluation.state]));
  const announceAlarmChanges = (): void => {
    const { judgement } = judged();
    for (const a of judgement.alarms) {
      const from = lastStates.get(a.rule.id) ?? 'INSUFFICIENT_DATA';
      if (from === a.evaluation.state || judgement.clock === null) continue;
      lastStates.set(a.rule.id, a.evaluation.state);
      emit({
        kind: 'alarm',
        rule: a.rule,
        from,
        to: a.evaluation.state,
        dataNowMs: judgement.clock.nowMs,
        evaluation: a.evaluation,
      });
    }
  };

  // --- the queue between S3 notifications and the handler
  const messageKeys = new Map<string, { key: string; eTag: string }>();
  const onBatchDone = async (report: BatchReport): Promise<void> => {
    for (const m of report.messages) {
      const target = messageKeys.get(m.messageId);
      if (target === undefined) continue;
      if (report.failedIds.has(m.messageId)) {
        const reason =
          report.error === undefined
            ? ((await reasonInLog(handlerLogFile, m.messageId)) ?? 'reported in batchItemFailures')
            : report.error instanceof Error
              ? report.error.message
              : String(report.error);
        const code = report.error instanceof LocalStackError ? report.error.code : undefined;
        const last = m.receiveCount >= MAX_RECEIVE_COUNT;
        setFile(target.key, {
          state: last ? 'dead-letter' : 'retrying',
          bytesRead: undefined,
          errorCode: code,
          reason,
        });
        if (last) messageKeys.delete(m.messageId);
        continue;
      }
      messageKeys.delete(m.messageId);
      const out = await ddb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: ledgerKey({ bucket, key: target.key, eTag: target.eTag }) } },
          ConsistentRead: true,
        }),
      );
      const row = out.Item === undefined ? undefined : rowOf(out.Item);
      const earlier = row?.finishedAtMs !== undefined && row.finishedAtMs < report.startedMs;
      if (row === undefined) {
        setFile(target.key, { state: 'skipped', bytesRead: undefined, reason: 'empty object or folder key' });
      } else if (row.status === 'done') {
        setFile(target.key, { state: earlier ? 'duplicate' : 'done', bytesRead: undefined, summary: row.summary });
      } else {
        setFile(target.key, {
          state: earlier ? 'duplicate' : 'failed',
          bytesRead: undefined,
          errorCode: row.errorCode,
          reason: row.errorMessage,
        });
      }
    }
    dirty = true;
    announceAlarmChanges();
  };
  const queue = createDeliveryQueue({
    invoke: (event) => lambda.invoke(event),
    queueArn: QUEUE_ARN,
    batchSize: config.batchSize,
    maxInFlight: MAX_IN_FLIGHT,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    retryDelayMs: RETRY_DELAY_MS,
    onReceive: (messages) => {
      for (const m of messages) {
        const target = messageKeys.get(m.messageId);
        if (target !== undefined)
          setFile(target.key, { state: 'processing', receiveCount: m.receiveCount, bytesRead: 0 });
      }
    },
    onBatchDone,
    onDeadLetter: () => undefined,
  });

  const enqueue = (created: CreatedObject & { readonly eTag: string }): void => {
    const message: QueueMessage = queueMessageOf(toS3Record(created, 'sip-metrics-local'), Date.now());
    messageKeys.set(message.messageId, { key: created.key, eTag: created.eTag });
    setFile(created.key, {
      size: created.size,
      state: 'queued',
      receiveCount: 0,
      summary: undefined,
      errorCode: undefined,
      reason: undefined,
    });
    queue.send(message);
  };

  // --- s3rver's requests: multipart completions, aws-chunked uploads, reads in progress
  const completing = new Set<string>();
  const chunked = new Set<string>();
  const reads = new Map<string, { socket: Socket; base: number }>();
  const keyOfPath = (pathname: string): string | null => {
    const head = `/${bucket}/`;
    if (!pathname.startsWith(head) || pathname.length === head.length) return null;
    try {
      return decodeURIComponent(pathname.slice(head.length));
    } catch {
      return null;
    }
  };
  services.s3.server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const key = keyOfPath(url.pathname);
    if (key === null) return;
    if (req.method === 'POST' && url.searchParams.has('uploadId')) completing.add(key);
    if (req.method === 'PUT' && isAwsChunked(req.headers)) chunked.add(key);
    if (req.method === 'GET') {
      const entry = { socket: req.socket, base: req.socket.bytesWritten };
      reads.set(key, entry);
      res.once('close', () => {
        if (reads.get(key) === entry) reads.delete(key);
      });
    }
  });

  let announcing = 0;
  const announce = async (created: CreatedObject): Promise<void> => {
    // read before any await: s3rver emits while it still handles the request these sets describe
    const multipart = created.eventName === 'ObjectCreated:Post' && completing.delete(created.key);
    const wasChunked = chunked.delete(created.key);
    if (created.bucket !== bucket || stopping) return;
    if (wasChunked) {
      warn(
        `${created.key} was uploaded with aws-chunked encoding, which s3rver stores verbatim (chunk framing included), ` +
          'so its counts may be wrong; upload with AWS_REQUEST_CHECKSUM_CALCULATION=when_required',
      );
    }
    if (!matchesNotificationFilter(created.key, prefix, config.keySuffixes)) {
      const suffixes = config.keySuffixes.length === 0 ? '' : ` ending in ${config.keySuffixes.join(', ')}`;
      setFile(created.key, {
        size: created.size,
        state: 'not-notified',
        reason: `the bucket notifies only keys under ${prefix}${suffixes} (cdk.json sipMetrics:keyPrefix/keySuffixes)`,
      });
      return;
    }
    announcing++;
    try {
      // s3rver's Copy events carry no ETag; S3's always do, and the handler keys its ledger by it
      const eTag =
        created.eTag ??
        ((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: created.key }))).ETag ?? '').replace(/"/g, '');
      if (stopping) return;
      // S3 names a completed multipart upload CompleteMultipartUpload; s3rver says Post
      const eventName = multipart ? 'ObjectCreated:CompleteMultipartUpload' : created.eventName;
      enqueue({ ...created, eTag, eventName });
    } catch (e) {
      warn(`${created.key}: could not announce the new object: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      announcing--;
    }
  };
  const onS3Event = (payload: unknown): void => {
    for (const created of createdObjectsOf(payload)) void announce(created);
  };
  services.s3.emulator.on('event', onS3Event);

  // --- uploads (drop folder, examples, --once)
  let uploading = 0;
  const uploadFile = async (path: string, key = `${prefix}${basename(path)}`): Promise<string> => {
    const { size } = await stat(path);
    uploading++;
    setFile(key, { size, state: 'uploading', summary: undefined, errorCode: undefined, reason: undefined });
    try {
      if (size <= SINGLE_PUT_MAX_BYTES) {
        // a known length lets the SDK stream the file in one PUT, without buffering or aws-chunked framing
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: size }),
        );
      } else {
        await new Upload({
          client: s3,
          params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
          partSize: 256 * 1024 * 1024,
          queueSize: 1,
        }).done();
      }
      return key;
    } catch (e) {
      setFile(key, {
        state: 'failed',
        errorCode: 'UPLOAD_FAILED',
        reason: `upload to the local bucket failed: ${e instanceof Error ? e.message : String(e)}`,
      });
      throw e;
    } finally {
      uploading--;
    }
  };

  // objects whose notification was lost (queued or in flight when the last start was stopped) are announced again
  const catchUp = async (): Promise<void> => {
    const finished = new Set(history.filter((r) => r.status === 'done' || r.status === 'failed').map((r) => r.pk));
    let token: string | undefined;
    do {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const obj of out.Contents ?? []) {
        const key = obj.Key;
        const eTag = (obj.ETag ?? '').replace(/"/g, '');
        if (key === undefined || !matchesNotificationFilter(key, prefix, config.keySuffixes)) continue;
        if (finished.has(ledgerKey({ bucket, key, eTag }))) continue;
        enqueue({
          bucket,
          key,
          eTag,
          size: obj.Size ?? 0,
          eventName: 'ObjectCreated:Put',
          eventTime: (obj.LastModified ?? new Date()).toISOString(),
          sourceIp: '127.0.0.1',
        });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
  };

  let drop: DropFolder | undefined;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    drop?.close();
    services.s3.emulator.off('event', onS3Event);
    queue.close();
    await lambda.stop();
    s3.destroy();
    ddb.destroy();
    await services.stop();
    await releaseLock();
  };

  try {
    await catchUp();
    if (firstStart && o.examplesDir !== undefined) {
      const names = (await readdir(o.examplesDir, { withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
      for (const name of names) await uploadFile(join(o.examplesDir, name), `${prefix}examples/${name}`);
    }
    if (o.dropDir !== undefined) {
      let uploaded: Record<string, { size: number; mtimeMs: number }> = {};
      try {
        uploaded = JSON.parse(await readFile(dropStateFile, 'utf8')) as typeof uploaded;
      } catch {
        // first start, or an unreadable file: at worst a file is uploaded again, and the ledger skips it
      }
      const isNew = (f: StableFile): boolean =>
        uploaded[f.name]?.size !== f.size || uploaded[f.name]?.mtimeMs !== f.mtimeMs;
      drop = await watchDropFolder({
        dir: o.dropDir,
        isNew,
        onStable: async (f) => {
          await uploadFile(f.path, `${prefix}${f.name}`);
          uploaded = { ...uploaded, [f.name]: { size: f.size, mtimeMs: f.mtimeMs } };
          await writeFile(dropStateFile, JSON.stringify(uploaded, null, 1));
        },
        onError: (name, e) => warn(`${name}: ${e instanceof Error ? e.message : String(e)}`),
      });
    }
  } catch (e) {
    await stopAll();
    throw e;
  }

  const recentOf = (series: readonly MinuteCounts[], clockNewest: number | undefined): MinuteCounts[] => {
    if (clockNewest === undefined) return [];
    const byMinute = new Map(series.map((m) => [m.minuteStartMs, m]));
    const out: MinuteCounts[] = [];
    for (let i = RECENT_MINUTES - 1; i >= 0; i--) {
      const minuteStartMs = clockNewest - i * MS_PER_MINUTE;
      out.push(byMinute.get(minuteStartMs) ?? { minuteStartMs, counts: {} });
    }
    return out;
  };

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
        const d = queue.depth();
        const busy = (drop?.pending() ?? 0) + uploading + announcing + d.visible + d.inFlight + d.delayed;
        quietPolls = busy === 0 ? quietPolls + 1 : 0;
      }
    },
    snapshot: () => {
      const { series, totals, judgement } = judged();
      const recentMinutes = recentOf(series, judgement.clock?.newestMinuteMs);
      const recentTotals = emptyTotals();
      for (const m of recentMinutes) {
        for (const [cls, n] of Object.entries(m.counts) as [keyof ClassTotals, number][]) recentTotals[cls] += n;
      }
      const listed = [...files.values()].map((f) => {
        const read = f.state === 'processing' ? reads.get(f.key) : undefined;
        return read === undefined ? f : { ...f, bytesRead: Math.min(f.size, read.socket.bytesWritten - read.base) };
      });
      return {
        files: listed,
        totals,
        recentMinutes,
        recentTotals,
        judgement,
        queue: queue.depth(),
        warnings: [...warnings],
      };
    },
    handlerPid: () => lambda.pid(),
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => {
      stopped ??= stopAll();
      return stopped;
    },
  };
};
