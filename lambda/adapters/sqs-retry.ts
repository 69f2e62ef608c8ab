import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';

/**
 * When a failed message comes back. Without a word from the function, SQS shows it again when the queue's
 * visibility timeout ends: 6 × the function timeout (AWS's advice for SQS event sources, so that a message is not
 * delivered twice while an invocation still runs), 90 minutes with the default 900 s. That is past the 68 minutes
 * the spike alarms look back, so a file that needed a second delivery (CloudWatch throttling beyond the SDK's
 * retries, a lease another delivery held) raised no alarm. The function now shortens a failed message's
 * visibility itself, growing it fivefold with each receive: 1, 5, then 25 minutes, never longer than the queue's
 * own timeout; from the fourth receive on (and after a crash or a timeout, which leave no time to ask) the queue's
 * timeout applies again. With the default timeout the five deliveries before the DLQ come at 0, 1, 6, 31 and 121
 * minutes (three came at 0, 90 and 180).
 */
export const retryDelaySeconds = (o: RetryFacts): number | undefined => {
  // a body no delivery will read better goes round at once: its five receives take seconds, and the DLQ's alarm
  // says so minutes after it arrived instead of two hours later
  if (o.unreadable === true) return 0;
  const n = o.receiveCount;
  const scheduled =
    n !== undefined && Number.isInteger(n) && n >= 1 && n <= RETRY_STEPS
      ? FIRST_RETRY_SECONDS * GROWTH ** (n - 1)
      : undefined;
  // a delivery that found the object claimed by another invocation (LEASE_HELD) can do nothing before that claim
  // ends (the other one finishes it, or the claim runs out and the retry takes over): sooner would find it busy again
  const wait =
    o.leaseExpiresAtMs === undefined
      ? scheduled
      : Math.max(Math.ceil((o.leaseExpiresAtMs - o.nowMs) / 1000) + LEASE_MARGIN_SECONDS, scheduled ?? 0);
  // a short function timeout makes a short visibility timeout: the queue's own wait is then the sooner one
  return wait !== undefined && wait < o.visibilitySeconds ? wait : undefined;
};

/** What decides a failed message's wait. */
export interface RetryFacts {
  /** SQS's ApproximateReceiveCount of this delivery. */
  readonly receiveCount: number | undefined;
  /** The queue's visibility timeout: no wait is asked for that it would end as soon. */
  readonly visibilitySeconds: number;
  /** When another invocation's claim on the object ends, if that is why this delivery failed. */
  readonly leaseExpiresAtMs?: number;
  /** The message itself cannot be read (not JSON, not an S3 or EventBridge event: BAD_EVENT). */
  readonly unreadable?: boolean;
  readonly nowMs: number;
}

/** After a claim ends, this long for the clocks of two hosts. */
const LEASE_MARGIN_SECONDS = 5;

const FIRST_RETRY_SECONDS = 60;
const GROWTH = 5;
/** Receives whose failure shortens the wait; later ones keep the queue's visibility timeout. */
const RETRY_STEPS = 3;

/** Sets how long a failed SQS message stays invisible before its next delivery. */
export class SqsRetryScheduler {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Shows the message again in `seconds` (ChangeMessageVisibility on its receipt handle). */
  async retryIn(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}

/**
 * The container's SQS client, on the function's region's endpoint (the stack makes the queue beside it) or on
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SQS; not on the queue URL's host, which the SDK would otherwise prefer to a
 * configured endpoint. Two attempts: a visibility change that fails only leaves the queue's timeout in place.
 */
export const createSqsClient = (): SQSClient =>
  new SQSClient({
    useQueueUrlAsEndpoint: false,
    maxAttempts: 2,
    requestHandler: { requestTimeout: 5_000, throwOnRequestTimeout: true },
  });
