import { createHash, randomUUID } from 'node:crypto';
import type { S3EventRecord, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { LOCAL_REGION } from './emulators.js';

/** An object created in the local bucket, as s3rver's `'event'` emitter reports it (key not encoded). */
export interface CreatedObject {
  readonly bucket: string;
  /** The real key: s3rver passes it decoded, unlike S3. */
  readonly key: string;
  readonly size: number;
  /** Without quotes; s3rver leaves it out of Copy events. */
  readonly eTag: string | undefined;
  /** `ObjectCreated:Put`, `:Post` or `:Copy` (s3rver reports a completed multipart upload as `:Post`). */
  readonly eventName: string;
  readonly eventTime: string;
  readonly sourceIp: string;
}

// s3rver's S3Event model (lib/models/event.js); anything else it emits is not an object creation
const s3rverRecord = z.object({
  eventName: z.string(),
  eventTime: z.string(),
  requestParameters: z.object({ sourceIPAddress: z.string() }).partial().optional(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), size: z.number().optional(), eTag: z.string().optional() }),
  }),
});
const s3rverPayload = z.object({ Records: z.array(z.unknown()) });

/** The objects created according to one s3rver `'event'` payload (removals and unknown shapes are ignored). */
export const createdObjectsOf = (payload: unknown): CreatedObject[] => {
  const parsed = s3rverPayload.safeParse(payload);
  if (!parsed.success) return [];
  const out: CreatedObject[] = [];
  for (const raw of parsed.data.Records) {
    const r = s3rverRecord.safeParse(raw);
    if (!r.success || !r.data.eventName.startsWith('ObjectCreated:')) continue;
    const o = r.data.s3.object;
    out.push({
      bucket: r.data.s3.bucket.name,
      key: o.key,
      size: o.size ?? 0,
      eTag: o.eTag?.replace(/"/g, ''),
      eventName: r.data.eventName,
      eventTime: r.data.eventTime,
      sourceIp: r.data.requestParameters?.sourceIPAddress ?? '127.0.0.1',
    });
  }
  return out;
};

/**
 * Encodes a key the way S3 notifications do: form encoding (a space becomes `+`), slashes kept
 * (S3 user guide, "Event message structure": "red flower.jpg" becomes "red+flower.jpg").
 */
export const encodeS3Key = (key: string): string => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

/** Whether the deployed bucket's notification (key prefix, then any of the suffixes) would announce this key. */
export const matchesNotificationFilter = (key: string, prefix: string, suffixes: readonly string[]): boolean =>
  key.startsWith(prefix) && (suffixes.length === 0 || suffixes.some((s) => key.endsWith(s)));

/** S3 orders events of one key by this hex string; a counter keeps it increasing within a millisecond. */
let sequence = 0;
const sequencer = (): string =>
  `${Date.now().toString(16).toUpperCase()}${(sequence++ % 0x10000).toString(16).toUpperCase().padStart(4, '0')}`;

const hex = (bytes: number): string => randomUUID().replace(/-/g, '').slice(0, bytes).toUpperCase();

/**
 * The notification record real S3 sends for this object (event version 2.1): the key URL-encoded, the ARN
 * without s3rver's spaces, the ETag always present (the caller fills it in for Copy events).
 */
export const toS3Record = (o: CreatedObject & { readonly eTag: string }, configurationId: string): S3EventRecord => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: LOCAL_REGION,
  eventTime: o.eventTime,
  eventName: o.eventName,
  userIdentity: { principalId: 'AWS:LOCALSTACKUSER' },
  requestParameters: { sourceIPAddress: o.sourceIp },
  responseElements: { 'x-amz-request-id': hex(16), 'x-amz-id-2': hex(32) },
  s3: {
    s3SchemaVersion: '1.0',
    configurationId,
    bucket: { name: o.bucket, ownerIdentity: { principalId: 'LOCALOWNER' }, arn: `arn:aws:s3:::${o.bucket}` },
    object: { key: encodeS3Key(o.key), size: o.size, eTag: o.eTag, sequencer: sequencer() },
  },
});

/** One message of the local queue: an S3 notification as SQS holds it. */
export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentMs: number;
  /** Deliveries so far (ApproximateReceiveCount). */
  receiveCount: number;
  firstReceiveMs: number | undefined;
}

/** A queue message whose body is the S3 notification `{ Records: [record] }`, as S3 sends it to SQS. */
export const queueMessageOf = (record: S3EventRecord, nowMs: number): QueueMessage => ({
  messageId: randomUUID(),
  body: JSON.stringify({ Records: [record] }),
  sentMs: nowMs,
  receiveCount: 0,
  firstReceiveMs: undefined,
});

/** The SQS event Lambda's event source mapping delivers for these messages. */
export const sqsEventOf = (messages: readonly QueueMessage[], queueArn: string): SQSEvent => ({
  Records: messages.map(
    (m): SQSRecord => ({
      messageId: m.messageId,
      receiptHandle: `AQEB${m.messageId.replace(/-/g, '')}${m.receiveCount}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentMs),
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: String(m.firstReceiveMs ?? m.sentMs),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: LOCAL_REGION,
    }),
  ),
});
