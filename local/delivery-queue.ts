import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type QueueMessage, sqsEventOf } from './s3-notifications.js';

/** Runs the handler on one SQS event. */
export type Invoke = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

/** How one delivered batch ended. */
export interface BatchReport {
  readonly messages: readonly QueueMessage[];
  /** Messages the handler reported in `batchItemFailures`, or every message when the invocation threw. */
  readonly failedIds: ReadonlySet<string>;
  /** The invocation's own error, when it threw (a crash, a timeout). */
  readonly error: unknown;
  readonly startedMs: number;
}

/** Settings of the queue and its event source mapping, taken from the deployed stack's configuration. */
export interface DeliveryQueueOptions {
  readonly invoke: Invoke;
  readonly queueArn: string;
  /** Messages per invocation (cdk.json `batchSize`). */
  readonly batchSize: number;
  /** Invocations running at once. */
  readonly maxInFlight: number;
  /** Deliveries before a message moves to the dead-letter queue (infra's MAX_RECEIVE_COUNT). */
  readonly maxReceiveCount: number;
  /** How long a failed message stays invisible before its next delivery. */
  readonly retryDelayMs: number;
  /** Called before a batch is invoked. */
  readonly onReceive: (messages: readonly QueueMessage[]) => void;
  /** Called after each invocation, before its messages are retried or dropped; awaited, its errors ignored. */
  readonly onBatchDone: (report: BatchReport) => Promise<void>;
  /** Called when a message failed its last delivery. */
  readonly onDeadLetter: (message: QueueMessage) => void;
}

/** Message counts of the queue. */
export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly deadLetters: number;
}

/** An SQS queue with a DLQ and a Lambda event source mapping, in memory. */
export interface DeliveryQueue {
  send(message: QueueMessage): void;
  depth(): QueueDepth;
  /** Stops delivering; messages not yet delivered are dropped (the local stack finds their objects again at start). */
  close(): void;
}

/**
 * SQS semantics the handler relies on: batches of up to `batchSize`, only the messages named in
 * `batchItemFailures` come back (after a visibility timeout), and a message failing `maxReceiveCount` times moves
 * to the dead-letter queue.
 */
export const createDeliveryQueue = (o: DeliveryQueueOptions): DeliveryQueue => {
  const visible: QueueMessage[] = [];
  const delayed = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let deadLetters = 0;
  let closed = false;

  const deliver = async (batch: QueueMessage[]): Promise<void> => {
    const startedMs = Date.now();
    for (const m of batch) {
      m.receiveCount++;
      m.firstReceiveMs ??= startedMs;
    }
    o.onReceive(batch);
    let failedIds: ReadonlySet<string>;
    let error: unknown;
    try {
      const out = await o.invoke(sqsEventOf(batch, o.queueArn));
      failedIds = new Set((out?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (e) {
      // a failed invocation (crash, timeout) makes the whole batch visible again, as with real SQS
      error = e;
      failedIds = new Set(batch.map((m) => m.messageId));
    }
    if (closed) return;
    try {
      await o.onBatchDone({ messages: batch, failedIds, error, startedMs });
    } catch {
      // reporting is the caller's business: a failed report must not change what SQS does with the messages
    }
    for (const m of batch) {
      if (!failedIds.has(m.messageId)) continue;
      if (m.receiveCount >= o.maxReceiveCount) {
        deadLetters++;
        o.onDeadLetter(m);
        continue;
      }
      const timer = setTimeout(() => {
        delayed.delete(timer);
        if (closed) return;
        visible.push(m);
        pump();
      }, o.retryDelayMs);
      delayed.add(timer);
    }
  };

  const pump = (): void => {
    while (!closed && inFlight < o.maxInFlight && visible.length > 0) {
      const batch = visible.splice(0, o.batchSize);
      inFlight++;
      void deliver(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return {
    send: (message) => {
      if (closed) return;
      visible.push(message);
      pump();
    },
    depth: () => ({ visible: visible.length, inFlight, delayed: delayed.size, deadLetters }),
    close: () => {
      closed = true;
      for (const t of delayed) clearTimeout(t);
      delayed.clear();
      visible.length = 0;
    },
  };
};
