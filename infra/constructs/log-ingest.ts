import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
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

/** Properties of {@link LogIngest}. */
export interface LogIngestProps {
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
  /** Where users drop SIP logs. */
  readonly bucket: Bucket;
  /** Receives the server access logs of {@link bucket}. */
  readonly accessLogsBucket: Bucket;
  /** The customer-managed key of {@link bucket}, when `encryption` is 'kms'. */
  readonly bucketKey: Key | undefined;
  /** S3 object-created notifications, consumed by the function. */
  readonly queue: Queue;
  /** Messages that failed {@link MAX_RECEIVE_COUNT} times. */
  readonly deadLetterQueue: Queue;
  /** The prefix the notifications (and the function's read permission) cover. */
  readonly keyPrefix: string;

  constructor(scope: Construct, id: string, props: LogIngestProps = {}) {
    super(scope, id);
    this.keyPrefix = props.keyPrefix ?? DEFAULTS.keyPrefix;
    const suffixes = props.keySuffixes ?? DEFAULTS.keySuffixes;
    const retain = props.retainData ?? DEFAULTS.retainData;
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logExpirationDays = props.logExpirationDays ?? DEFAULTS.logExpirationDays;

    this.accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
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

    this.bucketKey =
      props.encryption === 'kms'
        ? new Key(this, 'BucketKey', {
            description: 'Encrypts SIP log objects at rest',
            enableKeyRotation: true,
            removalPolicy,
          })
        : undefined;

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
        prefix: this.keyPrefix,
        expiration: Duration.days(logExpirationDays),
      });
    }

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: this.bucketKey ? BucketEncryption.KMS : BucketEncryption.S3_MANAGED,
      encryptionKey: this.bucketKey,
      bucketKeyEnabled: this.bucketKey !== undefined,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // versions let the ledger tell an overwritten log (a new version, counted) from a redelivery (counted once)
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'log-bucket/',
      lifecycleRules,
      removalPolicy,
      autoDeleteObjects: !retain,
    });

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

    const destination = new SqsDestination(this.queue);
    if (suffixes.length === 0) {
      this.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, { prefix: this.keyPrefix });
    } else {
      // one rule per suffix: an S3 notification filter holds one prefix and one suffix
      for (const suffix of suffixes) {
        this.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, { prefix: this.keyPrefix, suffix });
      }
    }
    acknowledgeNotificationsHandler(this);
  }
}

/** The id CDK gives the stack-wide Lambda that writes bucket notification configurations. */
const NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/** Acknowledges the findings on CDK's own bucket-notifications handler, which we cannot configure. */
const acknowledgeNotificationsHandler = (scope: Construct): void => {
  const handler = Stack.of(scope).node.tryFindChild(NOTIFICATIONS_HANDLER_ID);
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
