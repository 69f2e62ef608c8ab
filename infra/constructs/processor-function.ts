import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Code, Function as LambdaFunction, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_ENV, FUNCTION_V8_FLAGS } from '../../lambda/contract/index.js';
import type { PeerMapSpec } from '../../lambda/engine/peers.js';
import { DEFAULTS, type MetricDetail } from '../defaults.js';
import { functionSettingsEnvironment } from '../function-environment.js';
import {
  HANDLER_BANNER,
  HANDLER_MAIN_FIELDS,
  HANDLER_TARGET,
  PREBUILT_HANDLER_FILE,
  PREBUILT_HANDLER_NAME,
} from '../handler-bundling.js';
import { flattenCfnReference } from '../nag-finding-id.js';

/** The repository root: the bundle's project root and where package-lock.json lives. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The product's Lambda entry point (`export const handler`). */
export const DEFAULT_HANDLER_ENTRY = fileURLToPath(new URL('../../lambda/handler.ts', import.meta.url));

/**
 * The prebuilt asset folder beside the compiled library: dist/infra/constructs/ -> dist/handler-asset/ in the npm
 * package (scripts/bundle-handler.ts writes it there). From this repository's TypeScript sources the same relative
 * path is <repo>/handler-asset/, which does not exist, so the handler is bundled from source.
 */
export const PREBUILT_HANDLER_ASSET = fileURLToPath(new URL('../../handler-asset/', import.meta.url));

/** Where the handler code comes from: the package's prebuilt bundle, or esbuild on our TypeScript sources. */
export type HandlerCode = 'prebuilt' | 'source';

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
   * Publish the RFC 6076 KPI metrics (KPI_METRICS); off, the function does not track the KPIs either.
   * @default true
   */
  readonly kpiMetrics?: boolean;
  /**
   * IANA zone of the logs' local times (LOG_TIME_ZONE).
   * @default 'UTC'
   */
  readonly logTimeZone?: string;
  /**
   * Key prefix -> IANA zone, overriding logTimeZone (LOG_TIME_ZONES_BY_PREFIX).
   * @default {}
   */
  readonly logTimeZoneByPrefix?: Readonly<Record<string, string>>;
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
   * TypeScript entry of the handler; setting it bundles from source.
   * @default the product's lambda/handler.ts
   */
  readonly entry?: string;
  /**
   * 'prebuilt' deploys the bundle the npm package ships (no esbuild at synth); 'source' bundles `entry` with esbuild.
   * @default 'prebuilt' when the package holds the asset and no `entry` is set, else 'source'
   */
  readonly handlerCode?: HandlerCode;
}

/** The processing function, its log group, its least-privilege role and its SQS event source. */
export class ProcessorFunction extends Construct {
  /** The Lambda function. */
  readonly function: LambdaFunction;
  /** Its log group (JSON logs, with retention). */
  readonly logGroup: LogGroup;
  /** Its execution role; every statement is scoped to this product's resources. */
  readonly role: Role;
  /** Where its code came from. */
  readonly handlerCode: HandlerCode;

  constructor(scope: Construct, id: string, props: ProcessorFunctionProps) {
    super(scope, id);
    if (/[*?]/.test(props.keyPrefix) || props.keyPrefix.length === 0) {
      // IAM reads * and ? as wildcards: such a prefix would silently widen what the function may read
      throw new Error(`keyPrefix must be non-empty and hold no * or ?, got ${JSON.stringify(props.keyPrefix)}`);
    }
    const namespace = props.namespace ?? DEFAULTS.namespace;
    const retain = props.retainData ?? DEFAULTS.retainData;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.role = createExecutionRole(this, this.logGroup);
    this.handlerCode = chooseHandlerCode(props);
    this.function = createFunction(this, props, this.handlerCode, this.role, this.logGroup);
    this.function.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: props.batchSize ?? DEFAULTS.batchSize,
        maxConcurrency: props.maxConcurrency ?? DEFAULTS.maxConcurrency,
        // only the failed messages of a batch come back; the ledger makes redelivered ones harmless anyway
        reportBatchItemFailures: true,
      }),
    );
    grantProcessorAccess(this.role, props, namespace);
    acknowledgeProcessorFindings(this.role, props, namespace);
  }
}

/**
 * Our own role instead of the default one: the default attaches AWSLambdaBasicExecutionRole, which may write to any
 * log group in the account.
 */
const createExecutionRole = (scope: Construct, logGroup: LogGroup): Role => {
  const role = new Role(scope, 'Role', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: 'SIP metrics processor: reads logs under one prefix, writes its ledger, publishes one namespace',
  });
  logGroup.grantWrite(role);
  return role;
};

/** An explicit choice wins; a custom entry means source; otherwise the shipped bundle when there is one. */
const chooseHandlerCode = (props: ProcessorFunctionProps): HandlerCode => {
  const prebuiltExists = existsSync(join(PREBUILT_HANDLER_ASSET, PREBUILT_HANDLER_FILE));
  const choice = props.handlerCode ?? (props.entry === undefined && prebuiltExists ? 'prebuilt' : 'source');
  if (choice === 'prebuilt' && !prebuiltExists) {
    throw new Error(
      `handlerCode 'prebuilt' needs ${join(PREBUILT_HANDLER_ASSET, PREBUILT_HANDLER_FILE)}: run npm run prepare, or use 'source'`,
    );
  }
  if (choice === 'prebuilt' && props.entry !== undefined) {
    throw new Error("handlerCode 'prebuilt' deploys the shipped bundle: a custom entry needs handlerCode 'source'");
  }
  if (choice === 'source' && props.entry === undefined && !existsSync(DEFAULT_HANDLER_ENTRY)) {
    throw new Error(
      `handlerCode 'source' needs the TypeScript sources (${DEFAULT_HANDLER_ENTRY}), which the npm package does not ship`,
    );
  }
  return choice;
};

/** The function with the settings both code sources share; only the code and how it is built differ. */
const createFunction = (
  scope: Construct,
  props: ProcessorFunctionProps,
  code: HandlerCode,
  role: Role,
  logGroup: LogGroup,
): LambdaFunction => {
  const timeout = props.timeout ?? Duration.seconds(DEFAULTS.functionTimeoutSeconds);
  const common = {
    // the newest Node.js LTS Lambda offers (cdk-nag AwsSolutions-L1 asks for the latest); arm64 (Graviton) costs
    // 20 % less per GB-second than x86_64 for the same work
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memoryMiB ?? DEFAULTS.functionMemoryMiB,
    timeout,
    role,
    logGroup,
    loggingFormat: LoggingFormat.JSON,
    description: 'Turns SIP logs dropped into S3 into per-class CloudWatch response metrics',
    environment: {
      ...functionSettingsEnvironment({
        namespace: props.namespace ?? DEFAULTS.namespace,
        metricDetail: props.metricDetail,
        peers: props.peers,
        peerMetrics: props.peerMetrics,
        peerTopN: props.peerTopN,
        kpiMetrics: props.kpiMetrics,
        logTimeZone: props.logTimeZone,
        logTimeZoneByPrefix: props.logTimeZoneByPrefix,
        ledgerRetentionDays: props.ledgerRetentionDays,
      }),
      [FUNCTION_ENV.ledgerTable]: props.ledgerTable.tableName,
      // a failed message comes back in 1, 5, 25 minutes instead of the 6x-timeout visibility (lambda/adapters/sqs-retry.ts)
      [FUNCTION_ENV.retryQueueUrl]: props.queue.queueUrl,
      // fallback only: the handler leases for the invocation's remaining time when Lambda tells it
      [FUNCTION_ENV.leaseSeconds]: String(timeout.toSeconds()),
      POWERTOOLS_SERVICE_NAME: 'sip-metrics',
      // source-mapped stack traces, and the young generation the engine scans fastest with (FUNCTION_V8_FLAGS)
      NODE_OPTIONS: ['--enable-source-maps', ...FUNCTION_V8_FLAGS].join(' '),
    },
  };
  if (code === 'prebuilt') {
    // the folder holds index.mjs and its map only: the asset hash changes exactly when the bundle does
    return new LambdaFunction(scope, 'Function', {
      ...common,
      code: Code.fromAsset(PREBUILT_HANDLER_ASSET),
      handler: PREBUILT_HANDLER_NAME,
    });
  }
  return new NodejsFunction(scope, 'Function', {
    ...common,
    entry: props.entry ?? DEFAULT_HANDLER_ENTRY,
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
    // the same settings as scripts/bundle-handler.ts, which builds the package's prebuilt asset
    bundling: {
      // local esbuild (a dev dependency): synth works offline and without Docker
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      mainFields: [...HANDLER_MAIN_FIELDS],
      target: HANDLER_TARGET,
      banner: HANDLER_BANNER,
      // bundle our pinned AWS SDK v3 rather than the runtime's: the integration tests verified this exact version's
      // PutMetricData protocol (AWS JSON 1.0, gzip request compression) and retry behaviour
      bundleAwsSDK: true,
      externalModules: [],
      minify: true,
      sourceMap: true,
      sourcesContent: false,
    },
  });
};

/** Read logs under the prefix, write the ledger, publish to one namespace: nothing more. */
const grantProcessorAccess = (role: Role, props: ProcessorFunctionProps, namespace: string): void => {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ReadLogObjectsUnderPrefix',
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [props.bucket.arnForObjects(`${props.keyPrefix}*`)],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'TellDeletedObjectsFromDenied',
      // without ListBucket, S3 answers 403 for a deleted object; with it, 404 NoSuchKey, which the function records
      // as a permanent failure instead of retrying into the DLQ. It reveals key names, never contents.
      actions: ['s3:ListBucket'],
      resources: [props.bucket.bucketArn],
    }),
  );
  props.bucketKey?.grantDecrypt(role);
  props.ledgerTable.grantReadWriteData(role);
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'PublishOwnNamespaceOnly',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': namespace } },
    }),
  );
};

/** The two wildcards IAM cannot avoid, each acknowledged with why it is safe. */
const acknowledgeProcessorFindings = (role: Role, props: ProcessorFunctionProps, namespace: string): void => {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (policy === undefined) throw new Error('the processor role has no DefaultPolicy to acknowledge findings on');
  // cdk-nag names a finding by the flattened resource: <LogicalId.Arn>/logs/* for a bucket of this app, the literal
  // ARN for an imported one
  const objectsUnderPrefix = flattenCfnReference(
    Stack.of(role).resolve(props.bucket.arnForObjects(`${props.keyPrefix}*`)),
  );
  Validations.of(policy).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData supports no resource ARNs, so IAM requires Resource "*". The statement is ' +
        `restricted by the cloudwatch:namespace condition to the product's own namespace (${namespace}).`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::${objectsUnderPrefix}]`,
      reason:
        'Log object keys are not known in advance; the wildcard covers only objects under the configured prefix, ' +
        'with read-only actions (s3:GetObject, s3:GetObjectVersion). Nothing lets the function write to the bucket.',
    },
  );
};
