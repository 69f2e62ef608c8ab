import { z } from 'zod';
import { BadEventError } from '../errors.js';
import type { ObjectRef } from '../ports.js';

/** An invocation, sorted by how its failures are reported back to Lambda. */
export type Invocation =
  | { readonly kind: 'sqs'; readonly messages: readonly SqsMessage[] }
  | { readonly kind: 'direct'; readonly refs: readonly ObjectRef[] };

/** One SQS message and the objects its body names (none for s3:TestEvent). */
export interface SqsMessage {
  readonly messageId: string;
  readonly body: string;
  /** What a visibility change names the message by (absent in hand-made events). */
  readonly receiptHandle?: string;
  /** How many times SQS has delivered it, this time included (`attributes.ApproximateReceiveCount`). */
  readonly receiveCount?: number;
}

/**
 * S3 event notifications URL-encode the key ("red flower.jpg" arrives as "red+flower.jpg"; S3 user guide,
 * "Event message structure"): form-decode it, `+` first, then the %XX escapes.
 */
export const decodeS3Key = (key: string): string => {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    throw new BadEventError(`object key is not URL-encoded as S3 encodes it (${key.length} characters)`);
  }
};

const s3Record = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  eventTime: z.string().optional(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().optional(),
      eTag: z.string().optional(),
      versionId: z.string().nullish(),
      sequencer: z.string().optional(),
    }),
  }),
});

const s3Notification = z.object({ Records: z.array(z.unknown()) });

const testEvent = z.object({ Event: z.literal('s3:TestEvent') });

const eventBridgeObjectCreated = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  time: z.string().optional(),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

const sqsEvent = z.object({
  Records: z
    .array(
      z.object({
        eventSource: z.literal('aws:sqs'),
        messageId: z.string(),
        body: z.string(),
        // optional and loosely typed: a record Lambda did not shape must not turn the whole batch into a bad event
        receiptHandle: z.string().optional(),
        attributes: z.object({ ApproximateReceiveCount: z.union([z.string(), z.number()]).optional() }).optional(),
      }),
    )
    .min(1),
});

const timeMs = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
};

/** Object refs of an S3 notification's ObjectCreated records (other event names are ignored). */
const refsOfNotification = (records: readonly unknown[]): ObjectRef[] => {
  const refs: ObjectRef[] = [];
  for (const raw of records) {
    const r = s3Record.safeParse(raw);
    if (!r.success) throw new BadEventError(`not an S3 event record: ${z.prettifyError(r.error)}`);
    if (!r.data.eventName.startsWith('ObjectCreated:')) continue;
    const o = r.data.s3.object;
    refs.push({
      bucket: r.data.s3.bucket.name,
      key: decodeS3Key(o.key),
      versionId: o.versionId ?? undefined,
      eTag: o.eTag,
      size: o.size,
      uploadTimeMs: timeMs(r.data.eventTime),
      ...(o.sequencer === undefined ? {} : { sequencer: o.sequencer }),
    });
  }
  return refs;
};

/** The objects named by one payload: an S3 notification, an s3:TestEvent, or an EventBridge "Object Created". */
export const objectRefsOf = (payload: unknown): ObjectRef[] => {
  if (testEvent.safeParse(payload).success) return [];
  const eb = eventBridgeObjectCreated.safeParse(payload);
  if (eb.success) {
    const o = eb.data.detail.object;
    return [
      {
        bucket: eb.data.detail.bucket.name,
        // EventBridge carries the key encoded as the S3 notification does
        key: decodeS3Key(o.key),
        versionId: o['version-id'],
        eTag: o.etag,
        size: o.size,
        uploadTimeMs: timeMs(eb.data.time),
        ...(o.sequencer === undefined ? {} : { sequencer: o.sequencer }),
      },
    ];
  }
  const note = s3Notification.safeParse(payload);
  if (note.success) return refsOfNotification(note.data.Records);
  throw new BadEventError('payload is neither an S3 event notification nor an EventBridge "Object Created" event');
};

/** The objects named by one SQS message body (JSON of an S3 notification or an EventBridge event). */
export const objectRefsOfBody = (body: string): ObjectRef[] => {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    throw new BadEventError(`SQS message body is not JSON (${body.length} bytes)`);
  }
  return objectRefsOf(payload);
};

/** Sorts an incoming Lambda event into SQS messages or directly delivered objects. */
export const readInvocation = (event: unknown): Invocation => {
  const sqs = sqsEvent.safeParse(event);
  if (sqs.success) {
    return {
      kind: 'sqs',
      messages: sqs.data.Records.map((r) => {
        const count = Number(r.attributes?.ApproximateReceiveCount);
        return {
          messageId: r.messageId,
          body: r.body,
          ...(r.receiptHandle ? { receiptHandle: r.receiptHandle } : {}),
          ...(Number.isInteger(count) && count >= 1 ? { receiveCount: count } : {}),
        };
      }),
    };
  }
  return { kind: 'direct', refs: objectRefsOf(event) };
};
