import { fileURLToPath } from 'node:url';
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PeerMapSpec } from '../../lambda/engine/peers.js';
import { DEFAULTS, type MetricDetail } from '../defaults.js';
import { functionSettingsEnvironment } from '../function-environment.js';

/** The repository root: the bundle's project root and where package-lock.json lives. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The product's Lambda entry point (`export const handler`). */
export const DEFAULT_HANDLER_ENTRY = fileURLToPath(new URL('../../lambda/handler.ts', import.meta.url));

/** Properties of {@link ProcessorFunction}. */
export interface ProcessorFunctionProps {
  /** The log bucket; the function may read objects under `keyPrefix` only. */
  readonly bucket: IBucket;
  /** The key of the log bucket when it is KMS-encrypted (the function may decrypt with it). */
  readonly bucketKey?: IKey;
  /** Key prefix the function may read. */
  readonly keyPrefix: string;
  /** Queue of S3 notifications the function consumes. */
  readonly queue: IQueue;
  /** The exactly-once ledger. */
  readonly ledgerTable: ITable;
  /**
   * CloudWatch namespace; the function may publish to this one only.
   * @default 'SIP'
   */
  readonly namespace?: string;
  /**
   * Extra `Responses` dimensions.
   * @default 'class'
   */
  readonly metricDetail?: MetricDetail;
  /**
   * Names for sender addresses (the function's PEERS).
   * @default {} (senders are keyed by IP)
   */
  readonly peers?: PeerMapSpec;
  /**
   * Publish `Responses` by (Class, Peer) too (PEER_METRICS).
   * @default false
   */
  readonly peerMetrics?: boolean;
  /**
   * Unnamed senders per file published under their own IP (PEER_TOP_N).
   * @default 10
   */
  readonly peerTopN?: number;
  /**
   * Publish the RFC 6076 KPI metrics (KPI_METRICS).
   * @default true
   */
  readonly kpiMetrics?: boolean;
  /**
   * Ledger items expire this many days after they were written.
   * @default 30
   */
  readonly ledgerRetentionDays?: number;
  /**
   * Memory, which also buys CPU: 1769 MB is one full vCPU, all a single-threaded engine can use.
   * @default 1769
   */
  readonly memoryMiB?: number;
  /**
   * Timeout of one invocation (one SQS batch).
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /**
   * Messages (S3 notifications) per invocation.
   * @default 5
   */
  readonly batchSize?: number;
  /**
   * Concurrent invocations the SQS event source may run (bounds the PutMetricData rate and DynamoDB load).
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Keep the log group when the stack is deleted.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * TypeScript entry of the handler.
   * @default the product's lambda/handler.ts
   */
  readonly entry?: string;
}

/** The processing function, its log group, its least-privilege role and its SQS event source. */
export class ProcessorFunction extends Construct {
  /** The Lambda function. */
  readonly function: NodejsFunction;
  /** Its log group (JSON logs, with retention). */
  readonly logGroup: LogGroup;
  /** Its execution role; every statement is scoped to this product's resources. */
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ProcessorFunctionProps) {
    super(scope, id);
    if (/[*?]/.test(props.keyPrefix) || props.keyPrefix.length === 0) {
      // IAM reads * and ? as wildcards: such a prefix would silently widen what the function may read
      throw new Error(`keyPrefix must be non-empty and hold no * or ?, got ${JSON.stringify(props.keyPrefix)}`);
    }
    const namespace = props.namespace ?? DEFAULTS.namespace;
    const timeout = props.timeout ?? Duration.seconds(DEFAULTS.functionTimeoutSeconds);
    const retain = props.retainData ?? DEFAULTS.retainData;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // our own role instead of the default one: the default attaches AWSLambdaBasicExecutionRole, which may write
    // to any log group in the account
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'SIP metrics processor: reads logs under one prefix, writes its ledger, publishes one namespace',
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry ?? DEFAULT_HANDLER_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      // the newest Node.js LTS Lambda offers (cdk-nag AwsSolutions-L1 asks for the latest); arm64 (Graviton) costs
      // 20 % less per GB-second than x86_64 for the same work
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMiB ?? DEFAULTS.functionMemoryMiB,
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      description: 'Turns SIP logs dropped into S3 into per-class CloudWatch response metrics',
      environment: {
        ...functionSettingsEnvironment({
          namespace,
          metricDetail: props.metricDetail,
          peers: props.peers,
          peerMetrics: props.peerMetrics,
          peerTopN: props.peerTopN,
          kpiMetrics: props.kpiMetrics,
          ledgerRetentionDays: props.ledgerRetentionDays,
        }),
        LEDGER_TABLE: props.ledgerTable.tableName,
        // fallback only: the handler leases for the invocation's remaining time when Lambda tells it
        LEASE_SECONDS: String(timeout.toSeconds()),
        POWERTOOLS_SERVICE_NAME: 'sip-metrics',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        // local esbuild (a dev dependency): synth works offline and without Docker
        forceDockerBundling: false,
        // ESM: our code is ESM (import.meta, top-level await are legal), and the SDK's ESM builds tree-shake better
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        target: 'node22',
        // a few bundled dependencies are CommonJS and call require(); ESM has none, so give them one
        banner:
          "import { createRequire as __sipCreateRequire } from 'node:module'; const require = __sipCreateRequire(import.meta.url);",
        // bundle our pinned AWS SDK v3 rather than the runtime's: the integration tests verified this exact version's
        // PutMetricData protocol (AWS JSON 1.0, gzip request compression) and retry behaviour
        bundleAwsSDK: true,
        externalModules: [],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
      },
    });

    this.function.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: props.batchSize ?? DEFAULTS.batchSize,
        maxConcurrency: props.maxConcurrency ?? DEFAULTS.maxConcurrency,
        // only the failed messages of a batch come back; the ledger makes redelivered ones harmless anyway
        reportBatchItemFailures: true,
      }),
    );

    const objectsUnderPrefix = props.bucket.arnForObjects(`${props.keyPrefix}*`);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadLogObjectsUnderPrefix',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [objectsUnderPrefix],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'TellDeletedObjectsFromDenied',
        // without ListBucket, S3 answers 403 for a deleted object; with it, 404 NoSuchKey, which the function records
        // as a permanent failure instead of retrying into the DLQ. It reveals key names, never contents.
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
      }),
    );
    props.bucketKey?.grantDecrypt(this.role);
    props.ledgerTable.grantReadWriteData(this.role);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'PublishOwnNamespaceOnly',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': namespace } },
      }),
    );

    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error('the processor role has no DefaultPolicy to acknowledge findings on');
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:PutMetricData supports no resource ARNs, so IAM requires Resource "*". The statement is ' +
          `restricted by the cloudwatch:namespace condition to the product's own namespace (${namespace}).`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${stackLogicalId(props.bucket)}.Arn>/${props.keyPrefix}*]`,
        reason:
          'Log object keys are not known in advance; the wildcard covers only objects under the configured prefix, ' +
          'with read-only actions (s3:GetObject, s3:GetObjectVersion). Nothing lets the function write to the bucket.',
      },
    );
  }
}

/** The CloudFormation logical id of a bucket defined in this app, as cdk-nag prints it in finding ids. */
const stackLogicalId = (bucket: IBucket): string => {
  const resource = bucket.node.defaultChild;
  if (!(resource instanceof CfnElement)) throw new Error('the processor function expects a bucket defined in this app');
  return Stack.of(bucket).getLogicalId(resource);
};
