import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardWidgets, widgetTitled } from './dashboard-body.js';
import { acknowledgementsIn, logicalIdOf, type Synthesized, synthesize } from './synth.js';

// One synthesis of the default configuration (the repository's cdk.json) for the whole file.
let s: Synthesized;
let ids: {
  bucket: string;
  accessLogs: string;
  queue: string;
  dlq: string;
  table: string;
  fn: string;
  logGroup: string;
  role: string;
  topic: string;
  topicKey: string;
};

beforeAll(() => {
  s = synthesize();
  const t = s.template;
  ids = {
    bucket: logicalIdOf(t, 'AWS::S3::Bucket', 'IngestBucket'),
    accessLogs: logicalIdOf(t, 'AWS::S3::Bucket', 'AccessLogsBucket'),
    queue: logicalIdOf(t, 'AWS::SQS::Queue', 'IngestQueue'),
    dlq: logicalIdOf(t, 'AWS::SQS::Queue', 'DeadLetterQueue'),
    table: logicalIdOf(t, 'AWS::DynamoDB::Table', 'Ledger'),
    fn: logicalIdOf(t, 'AWS::Lambda::Function', 'ProcessorFunction'),
    logGroup: logicalIdOf(t, 'AWS::Logs::LogGroup', 'Processor'),
    role: logicalIdOf(t, 'AWS::IAM::Role', 'ProcessorRole'),
    topic: logicalIdOf(t, 'AWS::SNS::Topic', 'AlarmTopic'),
    topicKey: logicalIdOf(t, 'AWS::KMS::Key', 'AlarmTopicKey'),
  };
}, 60_000);

afterAll(() => s.cleanup());

const arnOf = (id: string): unknown => ({ 'Fn::GetAtt': [id, 'Arn'] });
const tlsOnlyStatements = (resources: unknown): unknown[] => [
  {
    Action: 's3:*',
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Resource: resources,
  },
  {
    Action: 's3:*',
    Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Resource: resources,
  },
];
const BLOCK_ALL = {
  BlockPublicAcls: true,
  BlockPublicPolicy: true,
  IgnorePublicAcls: true,
  RestrictPublicBuckets: true,
};

describe('log bucket', () => {
  it('blocks all public access, encrypts with S3-managed keys, versions objects and logs access to its own bucket', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: BLOCK_ALL,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { BucketKeyEnabled: false, ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: ids.accessLogs }, LogFilePrefix: 'log-bucket/' },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'tidy-versions-and-uploads',
              Status: 'Enabled',
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
              ExpiredObjectDeleteMarker: true,
            },
            { Id: 'expire-old-logs', Status: 'Enabled', Prefix: 'logs/', ExpirationInDays: 90 },
          ],
        },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('denies every request without TLS 1.2 or later, on the bucket and its objects', () => {
    // Prepare
    const resources = [arnOf(ids.bucket), { 'Fn::Join': ['', [arnOf(ids.bucket), '/*']] }];
    // Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.bucket },
      PolicyDocument: { Statement: tlsOnlyStatements(resources) },
    });
  });

  it('queues object-created notifications under logs/ for every key suffix', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: ids.bucket },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'logs/' }] } },
            QueueArn: arnOf(ids.queue),
          },
        ],
      },
    });
    s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: ids.queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
            Condition: { ArnLike: { 'aws:SourceArn': arnOf(ids.bucket) } },
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Resource: arnOf(ids.queue),
          },
        ]),
      },
    });
  });
});

describe('access-log bucket', () => {
  it('is private, TLS-only, S3-encrypted (the only encryption log delivery accepts) and expires logs after 90 days', () => {
    // Prepare
    const resources = [arnOf(ids.accessLogs), { 'Fn::Join': ['', [arnOf(ids.accessLogs), '/*']] }];
    // Act: synthesized in beforeAll
    // Assess
    s.template.hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: BLOCK_ALL,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'expire-access-logs',
              Status: 'Enabled',
              ExpirationInDays: 90,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
        LoggingConfiguration: Match.absent(),
      },
      DeletionPolicy: 'Retain',
    });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.accessLogs },
      PolicyDocument: { Statement: Match.arrayWith(tlsOnlyStatements(resources)) },
    });
  });
});

describe('queues', () => {
  it('redrives to the DLQ after 3 receives, hides a message for 6 × the function timeout and encrypts with SSE-SQS', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: arnOf(ids.dlq), maxReceiveCount: 5 },
      VisibilityTimeout: 5400,
      MessageRetentionPeriod: 4 * 86_400,
      SqsManagedSseEnabled: true,
    });
  });

  it('keeps dead letters for 14 days, encrypted', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    expect(s.template.findResources('AWS::SQS::Queue')[ids.dlq]?.Properties).toEqual({
      MessageRetentionPeriod: 14 * 86_400,
      SqsManagedSseEnabled: true,
    });
  });

  it('refuses non-TLS requests on both queues', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    for (const queue of [ids.queue, ids.dlq]) {
      s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Resource: arnOf(queue),
            },
          ]),
        },
      });
    }
  });
});

describe('function', () => {
  it('runs the bundled handler on Node.js 24, arm64, one vCPU of memory and the 15-minute timeout', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1769,
      Timeout: 900,
      Role: arnOf(ids.role),
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: ids.logGroup } },
    });
  });

  it('passes the environment contract of lambda/config.ts', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          METRICS_NAMESPACE: 'SIP',
          LEDGER_TABLE: { Ref: ids.table },
          RETRY_QUEUE_URL: { Ref: ids.queue },
          METRIC_DETAIL: 'class',
          LEDGER_TTL_DAYS: '30',
          LEASE_SECONDS: '900',
          POWERTOOLS_SERVICE_NAME: 'sip-metrics',
          NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=2',
        },
      },
    });
  });

  it('consumes the queue in batches of 5 with at most 10 concurrent invocations, reporting failed items only', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(ids.queue),
      FunctionName: { Ref: ids.fn },
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('keeps its logs 30 days in its own log group', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('function permissions', () => {
  it('has a role of its own with no managed policy', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    expect(s.template.findResources('AWS::IAM::Role')[ids.role]?.Properties).toEqual({
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        Version: '2012-10-17',
      },
      Description: 'SIP metrics processor: reads logs under one prefix, writes its ledger, publishes one namespace',
    });
  });

  it('may write its log group, consume its queue, read under logs/, use its ledger and publish to SIP only', () => {
    // Prepare
    const policies = Object.values(s.template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(ids.role),
    );
    // Act: synthesized in beforeAll
    // Assess
    expect(policies).toHaveLength(1);
    expect(policies[0]?.Properties.PolicyDocument.Statement).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: arnOf(ids.logGroup) },
      {
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        Effect: 'Allow',
        Resource: arnOf(ids.queue),
      },
      {
        Sid: 'ReadLogObjectsUnderPrefix',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [arnOf(ids.bucket), '/logs/*']] },
      },
      { Sid: 'TellDeletedObjectsFromDenied', Action: 's3:ListBucket', Effect: 'Allow', Resource: arnOf(ids.bucket) },
      {
        Action: [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:Scan',
          'dynamodb:UpdateItem',
        ],
        Effect: 'Allow',
        Resource: arnOf(ids.table),
      },
      {
        Sid: 'PublishOwnNamespaceOnly',
        Action: 'cloudwatch:PutMetricData',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'SIP' } },
        Effect: 'Allow',
        Resource: '*',
      },
    ]);
  });

  it('holds no permission that writes to any bucket (no recursive processing)', () => {
    // Prepare
    const statements = Object.values(s.template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(ids.role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]);
    // Act
    const s3Actions = statements.flatMap((st) => [st.Action].flat()).filter((a) => a.startsWith('s3:'));
    // Assess
    expect(s3Actions).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
  });
});

describe('ledger', () => {
  it('is on-demand, recoverable to any point in time, expired by TTL on expiresAt and protected from deletion', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('alarm topic', () => {
  it('is encrypted with a rotating key that CloudWatch may use, and accepts TLS publishes from this account only', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(ids.topicKey) });
    s.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowCloudWatchAlarmsToPublish',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Resource: '*',
          },
        ]),
      },
    });
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: ids.topic }],
      PolicyDocument: {
        Statement: [
          {
            Sid: 'AllowPublishThroughSSLOnly',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Effect: 'Deny',
            Principal: '*',
            Resource: { Ref: ids.topic },
          },
          {
            Sid: 'AllowCloudWatchAlarmsOfThisAccount',
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
            },
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Resource: { Ref: ids.topic },
          },
        ],
      },
    });
  });

  it('has no subscription unless an e-mail address is configured', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('spike alarms', () => {
  const ratioAlarm = (cls: '5xx' | '6xx', threshold: number): Record<string, unknown> => ({
    Metrics: [
      {
        Id: 'expr_1',
        Expression: `IF(mTotal >= 100, 100 * FILL(m${cls}, 0) / mTotal, 0)`,
        Label: `${cls} % (0 below 100 responses)`,
        ReturnData: true,
      },
      {
        Id: `m${cls}`,
        MetricStat: {
          Metric: { Namespace: 'SIP', MetricName: 'Responses', Dimensions: [{ Name: 'Class', Value: cls }] },
          Period: 60,
          Stat: 'Sum',
        },
        ReturnData: false,
      },
      {
        Id: 'mTotal',
        MetricStat: { Metric: { Namespace: 'SIP', MetricName: 'Responses' }, Period: 60, Stat: 'Sum' },
        ReturnData: false,
      },
    ],
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: threshold,
    // 3 breaching minutes among the last 68: a file uploaded 65 minutes late still lands inside the range
    EvaluationPeriods: 68,
    DatapointsToAlarm: 3,
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: ids.topic }],
    OKActions: [{ Ref: ids.topic }],
  });

  it('alarms on 5xx above 5 % of all responses in periods of at least 100 responses, 3 of 68 minutes', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', ratioAlarm('5xx', 5));
  });

  it('alarms on 6xx above 2 % of all responses, with the same volume gate and M of N', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', ratioAlarm('6xx', 2));
  });

  it('explains in the alarm description how late data still alarms', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription:
        '5xx responses above 5 % of all responses (periods of 60 s with at least 100 responses), in 3 of the last ' +
        '68 periods: data up to 65 min late still alarms. Missing data is treated as notBreaching.',
    });
  });

  it('alarms on a single minute of 5xx above 10 % (6xx above 5 %) of at least 200 responses, within the same 68 minutes', () => {
    // Prepare
    const burst = (cls: '5xx' | '6xx', threshold: number): Record<string, unknown> => ({
      AlarmDescription: Match.stringLikeRegexp(
        `^${cls} responses above ${threshold} % of all responses in a single period`,
      ),
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: `IF(mTotal >= 200, 100 * FILL(m${cls}, 0) / mTotal, 0)`, ReturnData: true }),
      ]),
      Threshold: threshold,
      EvaluationPeriods: 68,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    // Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', burst('5xx', 10));
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', burst('6xx', 5));
  });

  it('creates no anomaly-detection alarm unless asked', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { ThresholdMetricId: Match.anyValue() }, 0);
  });
});

describe('health alarms', () => {
  const simpleAlarm = (props: Record<string, unknown>): Record<string, unknown> => ({
    ...props,
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: ids.topic }],
    OKActions: [{ Ref: ids.topic }],
  });

  it('alarms when a message reaches the dead-letter queue', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties(
      'AWS::CloudWatch::Alarm',
      simpleAlarm({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.dlq, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 60,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
      }),
    );
  });

  it('alarms on any function error or throttle within 5 minutes', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    for (const metricName of ['Errors', 'Throttles']) {
      s.template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        simpleAlarm({
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }],
          Statistic: 'Sum',
          Period: 300,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold: 1,
        }),
      );
    }
  });

  it('alarms when the oldest notification has waited 15 minutes', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties(
      'AWS::CloudWatch::Alarm',
      simpleAlarm({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 60,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 900,
      }),
    );
  });

  it('alarms when any file failed', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties(
      'AWS::CloudWatch::Alarm',
      simpleAlarm({
        Namespace: 'SIP',
        MetricName: 'FilesFailed',
        Statistic: 'Sum',
        Period: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      }),
    );
  });

  it('makes nine alarms in all, every one notifying the topic on ALARM and on OK', () => {
    // Prepare
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm'));
    // Act
    const wired = alarms.filter(
      (a) =>
        JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([{ Ref: ids.topic }]) &&
        JSON.stringify(a.Properties.OKActions) === JSON.stringify([{ Ref: ids.topic }]),
    );
    // Assess
    expect(alarms).toHaveLength(9);
    expect(wired).toHaveLength(9);
  });
});

describe('dashboard', () => {
  it('stacks responses by class, draws each alarm threshold on its ratio, and shows every alarm', () => {
    // Prepare
    const widgets = dashboardWidgets(s.template);
    // Act
    const byClass = widgetTitled(widgets, 'Responses by class');
    const ratio5xx = widgetTitled(widgets, '5xx share of responses (%)');
    const ratio6xx = widgetTitled(widgets, '6xx share of responses (%)');
    const alarms = widgetTitled(widgets, 'Alarms');
    // Assess
    expect(byClass.properties.stacked).toBe(true);
    expect(byClass.properties.metrics).toEqual(
      ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'].map((cls) => [
        'SIP',
        'Responses',
        'Class',
        cls,
        { label: cls, period: 60, stat: 'Sum' },
      ]),
    );
    expect(ratio5xx.properties.annotations?.horizontal).toEqual([
      { value: 5, label: 'alarm above 5 % in 3 periods', color: '#ff7f0e', yAxis: 'left' },
      { value: 10, label: 'alarm above 10 % in one period of ≥ 200', color: '#d62728', yAxis: 'left' },
    ]);
    expect(ratio6xx.properties.annotations?.horizontal).toEqual([
      { value: 2, label: 'alarm above 2 % in 3 periods', color: '#ff7f0e', yAxis: 'left' },
      { value: 5, label: 'alarm above 5 % in one period of ≥ 200', color: '#d62728', yAxis: 'left' },
    ]);
    expect(ratio5xx.properties.metrics?.[0]).toEqual([
      {
        expression: 'IF(mTotal >= 100, 100 * FILL(m5xx, 0) / mTotal, 0)',
        label: '5xx % (0 below 100 responses)',
        period: 60,
      },
    ]);
    expect(alarms.type).toBe('alarm');
    expect(alarms.properties.alarms).toHaveLength(9);
  });

  it('graphs SER, SEER, ISA and SCR from the published sums, and the delays as CloudWatch percentiles', () => {
    // Prepare
    const widgets = dashboardWidgets(s.template);
    // Act
    const kpis = widgetTitled(widgets, 'Call KPIs, RFC 6076 (% of INVITE transactions)');
    const delays = widgetTitled(widgets, 'Setup and teardown delays (ms)');
    // Assess
    const expressions = (kpis.properties.metrics ?? [])
      .map((m) => m[0] as { expression?: string; label?: string })
      .filter((m) => m.expression !== undefined)
      .map((m) => [m.label, m.expression]);
    expect(expressions).toEqual([
      ['SER', '100 * FILL(mEstablished, 0) / (mAll - FILL(mRedirected, 0))'],
      ['SEER', '100 * FILL(mEffective, 0) / (mAll - FILL(mRedirected, 0))'],
      ['ISA', '100 * FILL(mIneffective, 0) / mAll'],
      ['SCR', '100 * FILL(mCompleted, 0) / mAll'],
    ]);
    expect((delays.properties.metrics ?? []).map((m) => [m[1], (m.at(-1) as { stat: string }).stat])).toEqual([
      ['SessionRequestDelay', 'p50'],
      ['SessionRequestDelay', 'p90'],
      ['SessionRequestDelay', 'p99'],
      ['SessionDisconnectDelay', 'p90'],
      ['RegistrationRequestDelay', 'p90'],
    ]);
  });

  it('graphs files, bytes, lag, queues and the function, and no top-codes widget at class detail', () => {
    // Prepare
    const widgets = dashboardWidgets(s.template);
    // Act
    const titles = widgets.map((w) => w.properties.title).filter((t) => t !== undefined);
    // Assess
    expect(titles).toEqual([
      'Responses by class',
      '5xx share of responses (%)',
      '6xx share of responses (%)',
      'Call KPIs, RFC 6076 (% of INVITE transactions)',
      'Setup and teardown delays (ms)',
      'Files',
      'Bytes processed',
      'Upload to metrics (s)',
      'Queues',
      'Function',
      'Alarms',
    ]);
  });
});

describe('outputs', () => {
  it('names the bucket, the upload location, the alarm topic, the dashboard URL and the DLQ URL', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    expect(Object.keys(s.template.findOutputs('*')).sort()).toEqual([
      'AlarmTopicArn',
      'BucketName',
      'DashboardUrl',
      'DeadLetterQueueUrl',
      'UploadLocation',
    ]);
    s.template.hasOutput('BucketName', { Value: { Ref: ids.bucket } });
    s.template.hasOutput('AlarmTopicArn', { Value: { Ref: ids.topic } });
    s.template.hasOutput('DeadLetterQueueUrl', { Value: { Ref: ids.dlq } });
    s.template.hasOutput('DashboardUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: 'AWS::Region' },
            '.console.aws.amazon.com/cloudwatch/home?region=',
            { Ref: 'AWS::Region' },
            '#dashboards:name=',
            { Ref: logicalIdOf(s.template, 'AWS::CloudWatch::Dashboard', 'Dashboard') },
          ],
        ],
      },
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no finding that has not been acknowledged', () => {
    // Prepare, Act: synthesized in beforeAll (the checks ran during synthesis)
    // Assess
    expect(s.nag.reports).toEqual([{ success: true, violations: [] }]);
  });

  it('acknowledges exactly the findings that occur, each with a reason, and nothing more', () => {
    // Prepare
    const acks = acknowledgementsIn(s.app);
    // Act
    const unused = acks.filter(
      (a) => !s.nag.findings.some((f) => f.ruleId === a.ruleId && f.path.startsWith(`${a.path}/`)),
    );
    // Assess
    expect(unused).toEqual([]);
    expect(s.nag.findings).toEqual([
      {
        ruleId: `AwsSolutions-IAM5[Resource::<${ids.bucket}.Arn>/logs/*]`,
        path: 'SipMetrics/SipMetrics/Processor/Role/DefaultPolicy/Resource',
      },
      { ruleId: 'AwsSolutions-IAM5[Resource::*]', path: 'SipMetrics/SipMetrics/Processor/Role/DefaultPolicy/Resource' },
      {
        ruleId:
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        path: 'SipMetrics/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role/Resource',
      },
    ]);
    for (const a of acks) expect(a.reason.length).toBeGreaterThan(100);
  });
});
