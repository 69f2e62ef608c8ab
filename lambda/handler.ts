import type { Context, SQSBatchItemFailure, SQSBatchResponse } from 'aws-lambda';
import pMap from 'p-map';
import { CloudWatchSink, createCloudWatchClient } from './adapters/cloudwatch-sink.js';
import { createDynamoDbClient, DynamoDbLedger } from './adapters/dynamodb-ledger.js';
import { DynamoDbKeyProgressStore } from './adapters/key-progress-store.js';
import { objectRefsOfBody, readInvocation, type SqsMessage } from './adapters/s3-events.js';
import { createS3Client, S3ObjectSource } from './adapters/s3-source.js';
import { createSqsClient, retryDelaySeconds, SqsRetryScheduler } from './adapters/sqs-retry.js';
import { readConfig } from './config.js';
import { VISIBILITY_TIMEOUT_FACTOR } from './contract/index.js';
import { BadEventError, LeaseHeldError, SipMetricsError } from './errors.js';
import { logger } from './logger.js';
import type { ObjectRef } from './ports.js';
import { type RunScanDeps, runScan } from './run-scan.js';

// Cold start: a bad configuration fails the init phase with one error listing every problem, and the SDK
// clients (with their connection pools) are reused by every invocation of this container.
const config = readConfig(process.env);
const source = new S3ObjectSource(createS3Client({ forcePathStyle: config.s3ForcePathStyle }));
const sink = new CloudWatchSink(
  createCloudWatchClient({ maxAttempts: config.publishMaxAttempts, requestTimeoutMs: config.publishTimeoutMs }),
  config.metricsNamespace,
);
const dynamoDb = createDynamoDbClient();
const ledger = new DynamoDbLedger(dynamoDb, config.ledgerTable, config.ledgerTtlDays);
// growing logs (README, "The same log, grown"): the key's progress lives in the same table, beside its versions
const keyProgress = new DynamoDbKeyProgressStore(dynamoDb, config.ledgerTable, config.ledgerTtlDays);
const retries =
  config.retryQueueUrl === undefined ? undefined : new SqsRetryScheduler(createSqsClient(), config.retryQueueUrl);

/** Lease beyond the invocation's own deadline: the next claimer compares it with its own clock (skew between hosts). */
const LEASE_MARGIN_MS = 2_000;

/** Time left before the invocation's deadline, when Lambda tells it (not in hand-made contexts). */
const remainingMs = (context: Context | undefined): number | undefined =>
  context !== undefined && typeof context.getRemainingTimeInMillis === 'function'
    ? context.getRemainingTimeInMillis()
    : undefined;

const depsFor = (context: Context | undefined): RunScanDeps => ({
  source,
  sink,
  ledger,
  keyProgress,
  log: logger,
  detail: config.metricDetail,
  peers: config.peers,
  peerMetrics: config.peerMetrics,
  kpiMetrics: config.kpiMetrics,
  logTimeZones: config.logTimeZones,
  publishConcurrency: config.publishConcurrency,
  // an invocation cannot outlive its timeout, so a claim never needs to outlast it: after a crash the
  // retry takes over as soon as the dead invocation's deadline has passed
  leaseMs: () => {
    const left = remainingMs(context);
    return left === undefined ? config.leaseSeconds * 1000 : left + LEASE_MARGIN_MS;
  },
});

const describeError = (e: unknown): Record<string, unknown> =>
  e instanceof SipMetricsError
    ? { errorCode: e.code, reason: e.message }
    : { errorName: e instanceof Error ? e.name : typeof e, reason: e instanceof Error ? e.message : String(e) };

/** Runs the objects of one message or event in order; throws the first transient error. */
const runAll = async (refs: readonly ObjectRef[], deps: RunScanDeps): Promise<void> => {
  for (const ref of refs) await runScan(ref, deps);
};

/** Time the SQS client may take (2 attempts × 5 s) and a margin: later than this before the deadline, no call. */
const RETRY_CALL_MARGIN_MS = 12_000;

/**
 * Brings a failed message's next delivery forward (adapters/sqs-retry.ts) and says when it comes. A visibility
 * change that fails is logged and leaves the queue's timeout: the message still comes back.
 */
const scheduleRetry = async (
  m: SqsMessage,
  context: Context | undefined,
  error: unknown,
): Promise<Record<string, unknown>> => {
  const lease = error instanceof LeaseHeldError ? error.context.leaseExpiresAtMs : undefined;
  const seconds = retryDelaySeconds({
    receiveCount: m.receiveCount,
    // the stack sets LEASE_SECONDS to the function timeout, and the queue's visibility timeout to this many times it
    visibilitySeconds: config.leaseSeconds * VISIBILITY_TIMEOUT_FACTOR,
    leaseExpiresAtMs: typeof lease === 'number' ? lease : undefined,
    unreadable: error instanceof BadEventError,
    nowMs: Date.now(),
  });
  // a call that outlives the invocation would fail the whole batch: near the deadline the queue's timeout will do
  const left = remainingMs(context);
  const late = left !== undefined && left < RETRY_CALL_MARGIN_MS;
  if (retries === undefined || m.receiptHandle === undefined || seconds === undefined || late) {
    return { retry: 'after the queue visibility timeout', receiveCount: m.receiveCount };
  }
  try {
    await retries.retryIn(m.receiptHandle, seconds);
    return { retryInSeconds: seconds, receiveCount: m.receiveCount };
  } catch (e) {
    return {
      retry: 'after the queue visibility timeout',
      receiveCount: m.receiveCount,
      retryNotScheduled: describeError(e),
    };
  }
};

/**
 * Lambda entry point. SQS batches of S3 notifications report only the failed messages (ReportBatchItemFailures);
 * direct S3 notifications and EventBridge "Object Created" events throw so that Lambda retries the invocation.
 */
export const handler = async (event: unknown, context?: Context): Promise<SQSBatchResponse | undefined> => {
  if (context !== undefined) logger.addContext(context);
  const deps = depsFor(context);
  const invocation = readInvocation(event);
  if (invocation.kind === 'direct') {
    try {
      await runAll(invocation.refs, deps);
    } catch (e) {
      logger.error('invocation failed: Lambda will retry it', describeError(e));
      throw e;
    }
    return undefined;
  }
  const batchItemFailures: SQSBatchItemFailure[] = [];
  await pMap(
    invocation.messages,
    async (m) => {
      try {
        await runAll(objectRefsOfBody(m.body), deps);
      } catch (e) {
        const when = await scheduleRetry(m, context, e);
        logger.warn('message failed: SQS will deliver it again', {
          messageId: m.messageId,
          ...describeError(e),
          ...when,
        });
        batchItemFailures.push({ itemIdentifier: m.messageId });
      }
    },
    { concurrency: config.objectConcurrency },
  );
  return { batchItemFailures };
};
