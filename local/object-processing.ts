import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { StackConfig } from '../infra/config.js';
import { MAX_RECEIVE_COUNT } from '../infra/defaults.js';
import { ledgerKey } from '../lambda/contract/ledger.js';
import { type BatchReport, createDeliveryQueue, type QueueDepth } from './delivery-queue.js';
import type { LocalS3 } from './emulators.js';
import { LocalStackError } from './errors.js';
import type { FileStatusList } from './file-status.js';
import { reasonInLog } from './handler-log.js';
import type { LambdaRuntime } from './lambda-runtime.js';
import { getLedgerRow } from './ledger-rows.js';
import {
  type CreatedObject,
  createdObjectsOf,
  matchesNotificationFilter,
  type QueueMessage,
  queueMessageOf,
  toS3Record,
} from './s3-notifications.js';
import type { S3RequestWatch } from './s3-request-watch.js';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:sip-metrics-local';
// The deployed queue hides a failed message for 6 x the function timeout (90 min by default); locally a retry
// should be seen within seconds.
const RETRY_DELAY_MS = 5_000;
// Lambda runs up to `maxConcurrency` invocations; two are enough to keep a small file from waiting behind a big one
// (each in a function process of its own: lambda-runtime.ts)
export const MAX_IN_FLIGHT = 2;

/** S3 notifications -> the delivery queue -> the handler, with each object's status kept in `files`. */
/** Why an object is `not-notified`: the deployed bucket's notification filter leaves it out. */
export const notNotifiedReason = (prefix: string, keySuffixes: readonly string[]): string => {
  const suffixes = keySuffixes.length === 0 ? '' : ` ending in ${keySuffixes.join(', ')}`;
  return `the bucket notifies only keys under ${prefix}${suffixes} (cdk.json sipMetrics:keyPrefix/keySuffixes)`;
};

export interface ObjectProcessing {
  /** Queues the objects whose notification was lost (queued or in flight when the last start was stopped). */
  catchUp(finishedLedgerKeys: ReadonlySet<string>): Promise<void>;
  /** New objects still being announced (their ETag looked up) before they are queued. */
  announcing(): number;
  depth(): QueueDepth;
  /** Stops listening to s3rver's events and stops delivering. */
  close(): void;
}

export const startObjectProcessing = (o: {
  readonly s3Emulator: LocalS3['emulator'];
  readonly requests: S3RequestWatch;
  readonly s3: S3Client;
  readonly ddb: DynamoDBClient;
  readonly bucket: string;
  readonly table: string;
  readonly config: StackConfig;
  readonly lambda: LambdaRuntime;
  readonly handlerLogFile: string;
  readonly files: FileStatusList;
  readonly warn: (message: string) => void;
  readonly isStopping: () => boolean;
  /** After each batch, once the files it carried have their status. */
  readonly onBatchDone: () => void;
}): ObjectProcessing => {
  const { s3, ddb, bucket, table, config, lambda, handlerLogFile, files, warn, requests } = o;
  const prefix = config.keyPrefix;

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
        files.set(target.key, {
          state: last ? 'dead-letter' : 'retrying',
          bytesRead: undefined,
          errorCode: code,
          reason,
        });
        if (last) messageKeys.delete(m.messageId);
        continue;
      }
      messageKeys.delete(m.messageId);
      const row = await getLedgerRow(ddb, table, ledgerKey({ bucket, key: target.key, eTag: target.eTag }));
      const earlier = row?.finishedAtMs !== undefined && row.finishedAtMs < report.startedMs;
      if (row === undefined) {
        files.set(target.key, { state: 'skipped', bytesRead: undefined, reason: 'empty object or folder key' });
      } else if (row.status === 'done') {
        files.set(target.key, { state: earlier ? 'duplicate' : 'done', bytesRead: undefined, summary: row.summary });
      } else {
        files.set(target.key, {
          state: earlier ? 'duplicate' : 'failed',
          bytesRead: undefined,
          errorCode: row.errorCode,
          reason: row.errorMessage,
        });
      }
    }
    o.onBatchDone();
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
          files.set(target.key, { state: 'processing', receiveCount: m.receiveCount, bytesRead: 0 });
      }
    },
    onBatchDone,
    onDeadLetter: () => undefined,
  });

  const enqueue = (created: CreatedObject & { readonly eTag: string }): void => {
    const message: QueueMessage = queueMessageOf(toS3Record(created, 'sip-metrics-local'), Date.now());
    messageKeys.set(message.messageId, { key: created.key, eTag: created.eTag });
    files.set(created.key, {
      size: created.size,
      state: 'queued',
      receiveCount: 0,
      summary: undefined,
      errorCode: undefined,
      reason: undefined,
    });
    queue.send(message);
  };

  // --- s3rver's events: each new object is announced as S3 would
  let announcing = 0;
  const announce = async (created: CreatedObject): Promise<void> => {
    // read before any await: s3rver emits while it still handles the request these sets describe
    const multipart = created.eventName === 'ObjectCreated:Post' && requests.takeMultipartCompletion(created.key);
    const wasChunked = requests.takeAwsChunked(created.key);
    if (created.bucket !== bucket || o.isStopping()) return;
    if (wasChunked) {
      warn(
        `${created.key} was uploaded with aws-chunked encoding, which s3rver stores verbatim (chunk framing included), ` +
          'so its counts may be wrong; upload with AWS_REQUEST_CHECKSUM_CALCULATION=when_required',
      );
    }
    if (!matchesNotificationFilter(created.key, prefix, config.keySuffixes)) {
      files.set(created.key, {
        size: created.size,
        state: 'not-notified',
        reason: notNotifiedReason(prefix, config.keySuffixes),
      });
      return;
    }
    announcing++;
    try {
      // s3rver's Copy events carry no ETag; S3's always do, and the handler keys its ledger by it
      const eTag =
        created.eTag ??
        ((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: created.key }))).ETag ?? '').replace(/"/g, '');
      if (o.isStopping()) return;
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
  o.s3Emulator.on('event', onS3Event);

  return {
    catchUp: async (finished) => {
      let token: string | undefined;
      do {
        const out = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
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
    },
    announcing: () => announcing,
    depth: () => queue.depth(),
    close: () => {
      o.s3Emulator.off('event', onS3Event);
      queue.close();
    },
  };
};
