import type { EventBridgeEvent, S3Event } from 'aws-lambda';

/** What an S3 notification says about one uploaded object. */
export interface ObjectEventInput {
  readonly bucket: string;
  /** The real key; the factories URL-encode it the way S3 does. */
  readonly key: string;
  readonly size: number;
  /** Without quotes, as in real notifications. */
  readonly eTag: string;
  readonly versionId?: string;
  readonly eventTime?: string;
  readonly eventName?: string;
  /** The S3 event sequencer (hex); orders the events of one key. */
  readonly sequencer?: string;
}

/**
 * Encodes a key the way S3 notifications do: form encoding (a space becomes `+`), slashes kept
 * (S3 user guide, "Event message structure": "red flower.jpg" becomes "red+flower.jpg").
 */
export const encodeS3Key = (key: string): string => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

/** One S3 event notification record, shaped as S3 sends it (event version 2.1). */
export const s3Record = (o: ObjectEventInput): S3Event['Records'][number] => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'us-east-1',
  eventTime: o.eventTime ?? new Date().toISOString(),
  eventName: o.eventName ?? 'ObjectCreated:Put',
  userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
  requestParameters: { sourceIPAddress: '127.0.0.1' },
  responseElements: {
    'x-amz-request-id': 'C3D13FE58DE4C810',
    'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
  },
  s3: {
    s3SchemaVersion: '1.0',
    configurationId: 'sip-logs',
    bucket: { name: o.bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${o.bucket}` },
    object: {
      key: encodeS3Key(o.key),
      size: o.size,
      eTag: o.eTag,
      ...(o.versionId ? { versionId: o.versionId } : {}),
      sequencer: o.sequencer ?? '0055AED6DCD90281E5',
    },
  },
});

/** An S3 event notification naming the given objects. */
export const s3Event = (...objects: ObjectEventInput[]): S3Event => ({ Records: objects.map(s3Record) });

/** The message S3 sends once when a notification configuration is saved. */
export const s3TestEvent = (bucket: string): Record<string, string> => ({
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: new Date().toISOString(),
  Bucket: bucket,
  RequestId: '5582815E1AEA5ADF',
  HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
});

/** The detail of an EventBridge "Object Created" event. */
export interface ObjectCreatedDetail {
  readonly bucket: { readonly name: string };
  readonly object: {
    readonly key: string;
    readonly size: number;
    readonly etag: string;
    readonly 'version-id'?: string;
  };
  readonly reason: string;
}

/** An EventBridge "Object Created" event from S3 (S3 user guide, "EventBridge event message structure"). */
export const eventBridgeObjectCreated = (
  o: ObjectEventInput,
): EventBridgeEvent<'Object Created', ObjectCreatedDetail> => ({
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '111122223333',
  time: o.eventTime ?? new Date().toISOString(),
  region: 'us-east-1',
  resources: [`arn:aws:s3:::${o.bucket}`],
  detail: {
    bucket: { name: o.bucket },
    object: {
      key: encodeS3Key(o.key),
      size: o.size,
      etag: o.eTag,
      ...(o.versionId ? { 'version-id': o.versionId } : {}),
    },
    reason: 'PutObject',
  },
});
