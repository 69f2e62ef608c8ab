import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type EventPattern, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  type IBucket,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type BucketEncryptionMode,
  DEFAULTS,
  DLQ_RETENTION_DAYS,
  MAX_RECEIVE_COUNT,
  QUEUE_RETENTION_DAYS,
} from '../defaults.js';

/** The CDK feature flag that grants S3 server access logging through the target's bucket policy instead of an ACL. */
const S3_ACCESS_LOGS_USE_BUCKET_POLICY = '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy';

/** Properties of {@link LogIngest}. */
export interface LogIngestProps {
  /**
   * Your own log bucket: notifications for the prefix and suffixes are added to it; nothing else about it changes
   * (its encryption, lifecycle and access logging stay yours, so the bucket settings below must be left unset).
   * @default a new versioned, encrypted bucket with server access logs
   */
  readonly bucket?: IBucket;
  /**
   * The bucket already sends its events to EventBridge: route "Object Created" events for the prefix and suffixes to
   * the queue with an EventBridge rule instead of adding S3 notifications to the bucket.
   * @default false (S3 event notifications)
   */
  readonly eventBridge?: boolean;
  /**
   * Your own KMS key for the bucket this construct creates (implies encryption 'kms').
   * @default a new key with rotation when `encryption` is 'kms'
   */
  readonly encryptionKey?: IKey;
  /**
   * Objects created under this prefix are queued for processing.
   * @default 'logs/'
   */
  readonly keyPrefix?: string;
  /**
   * Only keys ending in one of these are queued (one S3 notification rule each); empty queues every key.
   * @default [] (every key under the prefix)
   */
  readonly keySuffixes?: readonly string[];
  /**
   * Encryption at rest of the log bucket: S3-managed keys, or a customer-managed KMS key (with rotation and an
   * S3 Bucket Key, which cuts KMS requests and cost by orders of magnitude).
   * @default 's3-managed'
   */
  readonly encryption?: BucketEncryptionMode;
  /**
   * Log objects under the prefix expire after this many days; 0 keeps them forever.
   * @default 90
   */
  readonly logExpirationDays?: number;
  /**
   * Overwritten or deleted versions are removed this many days later.
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Server access logs expire after this many days.
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
  /**
   * Keep both buckets (and their objects) when the stack is deleted; otherwise empty and delete them.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * How long a received message stays invisible to other consumers; set it to at least 6× the function timeout.
   * @default Duration.minutes(90) (6 × 15 min)
   */
  readonly visibilityTimeout?: Duration;
}

/** The log bucket, its access-log bucket, and the queue (with DLQ) its object-created notifications go to. */
export class LogIngest extends Construct {
  /** Where users drop SIP logs (yours when you passed one). */
  readonly bucket: IBucket;
  /** Receives the server access logs of {@link bucket}; undefined when the bucket is yours. */
  readonly accessLogsBucket: Bucket | undefined;
  /** The customer-managed key of {@link bucket} (the function may decrypt with it), when there is one. */
  readonly bucketKey: IKey | undefined;
  /** S3 object-created notifications, consumed by the function. */
  readonly queue: Queue;
  /** Messages that failed {@link MAX_RECEIVE_COUNT} times. */
  readonly deadLetterQueue: Queue;
  /** The prefix the notifications (and the function's read permission) cover. */
  readonly keyPrefix: string;

  constructor(scope: Construct, id: string, props: LogIngestProps = {}) {
    super(scope, id);
    // ACLs stay disabled on the access-log bucket (BUCKET_OWNER_ENFORCED) only when CDK grants log delivery through
    // the bucket policy; an app without this flag in its cdk.json (a library user's) would otherwise fail to synth
    this.node.setContext(S3_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.keyPrefix = props.keyPrefix ?? DEFAULTS.keyPrefix;
    const suffixes = props.keySuffixes ?? DEFAULTS.keySuffixes;
    if (props.bucket === undefined) {
      const owned = createLogBuckets(this, props, this.keyPrefix);
      this.bucket = owned.bucket;
      this.accessLogsBucket = owned.accessLogsBucket;
      this.bucketKey = owned.bucketKey;
    } else {
      this.bucket = props.bucket;
      this.accessLogsBucket = undefined;
      this.bucketKey = props.bucket.encryptionKey;
    }

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DLQ_RETENTION_DAYS),
    });
    this.queue = new Queue(this, 'Queue', {
      // SSE-SQS rather than a KMS key: S3 can publish to it without a key policy for s3.amazonaws.com
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout ?? Duration.minutes(90),
      retentionPeriod: Duration.days(QUEUE_RETENTION_DAYS),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    if (props.eventBridge === true) {
      routeEventBridgeEvents(this, this.bucket, this.queue, this.keyPrefix, suffixes);
      // our own bucket's EventBridge switch is applied by CDK's notifications handler too
      if (props.bucket === undefined) acknowledgeNotificationsHandler(this.bucket);
    } else {
      const destination = new SqsDestination(this.queue);
      if (suffixes.length === 0) {
        this.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, { prefix: this.keyPrefix });
      } else {
        // one rule per suffix: an S3 notification filter holds one prefix and one suffix
        for (const suffix of suffixes) {
          this.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, { prefix: this.keyPrefix, suffix });
        }
      }
      // CDK puts its notifications handler in the bucket's stack, which may be another one than ours
      acknowledgeNotificationsHandler(this.bucket);
    }
  }
}

/** The bucket this construct owns: versioned, encrypted, access-logged, with lifecycle rules under the prefix. */
const createLogBuckets = (
  scope: Construct,
  props: LogIngestProps,
  keyPrefix: string,
): { bucket: Bucket; accessLogsBucket: Bucket; bucketKey: IKey | undefined } => {
  const retain = props.retainData ?? DEFAULTS.retainData;
  const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  const logExpirationDays = props.logExpirationDays ?? DEFAULTS.logExpirationDays;

  const accessLogsBucket = new Bucket(scope, 'AccessLogsBucket', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    // S3 server access logging can only deliver to a bucket encrypted with S3-managed keys. cdk-nag's S1 does not
    // ask this bucket to log itself: it recognises the access-log target
    encryption: BucketEncryption.S3_MANAGED,
    // ACLs disabled: CDK grants the logging service through the bucket policy instead
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [
      {
        id: 'expire-access-logs',
        expiration: Duration.days(props.accessLogExpirationDays ?? DEFAULTS.accessLogExpirationDays),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
    ],
    removalPolicy,
    autoDeleteObjects: !retain,
  });

  const bucketKey =
    props.encryptionKey ??
    (props.encryption === 'kms'
      ? new Key(scope, 'BucketKey', {
          description: 'Encrypts SIP log objects at rest',
          enableKeyRotation: true,
          removalPolicy,
        })
      : undefined);

  const lifecycleRules: LifecycleRule[] = [
    {
      id: 'tidy-versions-and-uploads',
      noncurrentVersionExpiration: Duration.days(
        props.noncurrentVersionExpirationDays ?? DEFAULTS.noncurrentVersionExpirationDays,
      ),
      abortIncompleteMultipartUploadAfter: Duration.days(7),
      expiredObjectDeleteMarker: true,
    },
  ];
  if (logExpirationDays > 0) {
    // only under the prefix: anything else in the bucket is the owner's business, not ours to delete
    lifecycleRules.push({
      id: 'expire-old-logs',
      prefix: keyPrefix,
      expiration: Duration.days(logExpirationDays),
    });
  }

  const bucket = new Bucket(scope, 'Bucket', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    encryption: bucketKey ? BucketEncryption.KMS : BucketEncryption.S3_MANAGED,
    encryptionKey: bucketKey,
    bucketKeyEnabled: bucketKey !== undefined,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    // versions let the ledger tell an overwritten log (a new version, counted) from a redelivery (counted once)
    versioned: true,
    // with `eventBridge`, the bucket's own events reach the queue through an EventBridge rule
    eventBridgeEnabled: props.eventBridge === true,
    serverAccessLogsBucket: accessLogsBucket,
    serverAccessLogsPrefix: 'log-bucket/',
    lifecycleRules,
    removalPolicy,
    autoDeleteObjects: !retain,
  });

  return { bucket, accessLogsBucket, bucketKey };
};

/**
 * An EventBridge rule for the bucket's "Object Created" events under the prefix (and ending in a suffix), delivered to
 * the queue: the handler reads EventBridge events from SQS as it reads S3 notifications.
 */
const routeEventBridgeEvents = (
  scope: Construct,
  bucket: IBucket,
  queue: Queue,
  keyPrefix: string,
  suffixes: readonly string[],
): Rule => {
  const eventPattern: EventPattern = {
    source: ['aws.s3'],
    detailType: ['Object Created'],
    detail: {
      bucket: { name: [bucket.bucketName] },
      // prefix and suffix on one field need a wildcard; keyPrefix and suffixes hold no * (validated)
      object: {
        key: suffixes.length === 0 ? [{ prefix: keyPrefix }] : suffixes.map((s) => ({ wildcard: `${keyPrefix}*${s}` })),
      },
    },
  };
  return new Rule(scope, 'ObjectCreatedRule', {
    description: 'SIP logs created under the prefix, queued for the sip-metrics function',
    eventPattern,
    targets: [new SqsQueue(queue)],
  });
};

/** The id CDK gives the stack-wide Lambda that writes bucket notification configurations. */
const NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/** Acknowledges the findings on CDK's own bucket-notifications handler, which we cannot configure. */
const acknowledgeNotificationsHandler = (bucket: IBucket): void => {
  const handler = Stack.of(bucket).node.tryFindChild(NOTIFICATIONS_HANDLER_ID);
  const role = handler?.node.tryFindChild('Role');
  if (role === undefined) {
    throw new Error(
      `CDK no longer creates ${NOTIFICATIONS_HANDLER_ID}/Role: review the cdk-nag acknowledgements in log-ingest.ts`,
    );
  }
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "CDK's built-in handler that applies the bucket's notification configuration during deployments. The AWS " +
      'managed policy only lets it write its own CloudWatch logs; its one other permission is ' +
      's3:PutBucketNotification on this bucket alone. The construct offers no way to replace the role.',
  });
};
