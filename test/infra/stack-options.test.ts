import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../lambda/config.js';
import { dashboardWidgets, widgetTitled } from './dashboard-body.js';
import { acknowledgementsIn, logicalIdOf, type Synthesized, synthesize } from './synth.js';

// Every option away from its default, the way an operator would pass them on the command line (`-c key=value`
// gives strings): one synthesis for the whole file.
const OVERRIDES = {
  'sipMetrics:stackName': 'SipMetricsAcme',
  'sipMetrics:namespace': 'Acme/SIP',
  'sipMetrics:keyPrefix': 'sbc/',
  'sipMetrics:keySuffixes': '.gz,.log',
  'sipMetrics:metricDetail': 'code',
  'sipMetrics:bucketEncryption': 'kms',
  'sipMetrics:retainData': 'false',
  'sipMetrics:logExpirationDays': '0',
  'sipMetrics:functionMemoryMiB': '3008',
  'sipMetrics:functionTimeoutSeconds': '300',
  'sipMetrics:batchSize': '2',
  'sipMetrics:maxConcurrency': '4',
  'sipMetrics:functionLogRetentionDays': '7',
  'sipMetrics:alarmEmail': 'oncall@example.com',
  'sipMetrics:alarmPeriodSeconds': '300',
  'sipMetrics:alarmDatapointsToAlarm': '2',
  'sipMetrics:alarmLatenessMinutes': '60',
  'sipMetrics:alarmMinResponses': '500',
  'sipMetrics:serverErrorThresholdPercent': '10',
  'sipMetrics:globalFailureThresholdPercent': '0.5',
  'sipMetrics:anomalyDetection': 'true',
  'sipMetrics:anomalyStdDevs': '2',
  'sipMetrics:queueAgeAlarmSeconds': '600',
  'sipMetrics:peers': '{"carrier-a":["203.0.113.0/24","198.51.100.7:5060"]}',
  'sipMetrics:peerMetrics': 'true',
  'sipMetrics:peerTopN': '5',
  'sipMetrics:peerAlarms': 'carrier-a',
  'sipMetrics:isaAlarmThresholdPercent': '15',
  'sipMetrics:serAlarmThresholdPercent': '35',
  'sipMetrics:kpiAlarmMinTransactions': '50',
};

let s: Synthesized;
let ids: { bucket: string; bucketKey: string; role: string; topic: string };

beforeAll(() => {
  s = synthesize(OVERRIDES);
  ids = {
    bucket: logicalIdOf(s.template, 'AWS::S3::Bucket', 'IngestBucket'),
    bucketKey: logicalIdOf(s.template, 'AWS::KMS::Key', 'BucketKey'),
    role: logicalIdOf(s.template, 'AWS::IAM::Role', 'ProcessorRole'),
    topic: logicalIdOf(s.template, 'AWS::SNS::Topic', 'AlarmTopic'),
  };
}, 60_000);

afterAll(() => s.cleanup());

const arnOf = (id: string): unknown => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('stack options from cdk.json context', () => {
  it('names the stack from sipMetrics:stackName', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    expect(s.stack.stackName).toBe('SipMetricsAcme');
  });

  it('encrypts the log bucket with a rotating customer-managed key and an S3 Bucket Key', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts SIP log objects at rest',
      EnableKeyRotation: true,
    });
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arnOf(ids.bucketKey) },
          },
        ],
      },
    });
  });

  it('lets the function decrypt with the bucket key, read under sbc/ and publish to Acme/SIP only', () => {
    // Prepare
    const statements = Object.values(s.template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(ids.role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as unknown[]);
    // Act: synthesized in beforeAll
    // Assess
    expect(statements).toEqual(
      expect.arrayContaining([
        { Action: 'kms:Decrypt', Effect: 'Allow', Resource: arnOf(ids.bucketKey) },
        {
          Sid: 'ReadLogObjectsUnderPrefix',
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', [arnOf(ids.bucket), '/sbc/*']] },
        },
        {
          Sid: 'PublishOwnNamespaceOnly',
          Action: 'cloudwatch:PutMetricData',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'Acme/SIP' } },
          Effect: 'Allow',
          Resource: '*',
        },
      ]),
    );
  });

  it('sends one notification rule per suffix, each under the prefix', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: ['.gz', '.log'].map((suffix) => ({
          Events: ['s3:ObjectCreated:*'],
          Filter: {
            Key: {
              FilterRules: [
                { Name: 'suffix', Value: suffix },
                { Name: 'prefix', Value: 'sbc/' },
              ],
            },
          },
          QueueArn: Match.anyValue(),
        })),
      },
    });
  });

  it('keeps log objects forever when logExpirationDays is 0', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.anyValue(),
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Id: 'tidy-versions-and-uploads' })],
      },
    });
  });

  it('sizes the function, its batches, its concurrency and the visibility timeout (6 × 300 s) from context', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 3008,
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          METRICS_NAMESPACE: 'Acme/SIP',
          METRIC_DETAIL: 'code',
          LEASE_SECONDS: '300',
        }),
      },
    });
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 2,
      ScalingConfig: { MaximumConcurrency: 4 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    s.template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 1800 });
    s.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('hands the peer settings to the function in the form its own config reader accepts', () => {
    // Prepare: the function's environment as synthesized
    const fn = Object.values(s.template.findResources('AWS::Lambda::Function')).find(
      (r) => (r.Properties?.Environment?.Variables as Record<string, unknown> | undefined)?.PEERS !== undefined,
    );
    const env = fn?.Properties?.Environment?.Variables as Record<string, unknown>;

    // Act: read through the function's cold-start reader (the table name is a CloudFormation reference here)
    const config = readConfig({
      ...Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')),
      LEDGER_TABLE: 'ledger-table',
    } as Record<string, string>);

    // Assess
    expect([env.PEERS, env.PEER_METRICS, env.PEER_TOP_N]).toEqual([
      '{"carrier-a":["203.0.113.0/24","198.51.100.7:5060"]}',
      'true',
      '5',
    ]);
    expect(config.peers?.nameOf('203.0.113.9:5060')).toBe('carrier-a');
    expect(config.peerMetrics).toEqual({ names: ['carrier-a'], topN: 5 });
  });

  it('deletes data with the stack when retainData is false: buckets emptied, no deletion protection', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    s.template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    s.template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
    s.template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  it('subscribes the alarm e-mail address to the topic', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: ids.topic },
    });
  });
});

describe('alarms from context', () => {
  it('judges 5-minute periods of at least 500 responses, 2 of 14 (60 minutes of lateness), at 10 % and 0.5 %', () => {
    // Prepare
    const expected = (cls: '5xx' | '6xx', threshold: number): Record<string, unknown> => ({
      Metrics: [
        Match.objectLike({ Expression: `IF(mTotal >= 500, 100 * FILL(m${cls}, 0) / mTotal, 0)`, ReturnData: true }),
        Match.objectLike({
          Id: `m${cls}`,
          MetricStat: {
            Metric: { Namespace: 'Acme/SIP', MetricName: 'Responses', Dimensions: [{ Name: 'Class', Value: cls }] },
            Period: 300,
            Stat: 'Sum',
          },
        }),
        Match.objectLike({
          Id: 'mTotal',
          MetricStat: { Metric: { Namespace: 'Acme/SIP', MetricName: 'Responses' }, Period: 300, Stat: 'Sum' },
        }),
      ],
      Threshold: threshold,
      EvaluationPeriods: 14,
      DatapointsToAlarm: 2,
    });
    // Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', expected('5xx', 10));
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', expected('6xx', 0.5));
  });

  it('adds the anomaly-detection alarm on the 5xx count, 2 standard deviations wide', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanUpperThreshold',
      ThresholdMetricId: 'expr_1',
      EvaluationPeriods: 14,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Metrics: [
        {
          Id: 'expr_1',
          Expression: 'ANOMALY_DETECTION_BAND(m0, 2)',
          Label: 'Anomaly Detection Band',
          ReturnData: true,
        },
        {
          Id: 'm0',
          Label: '5xx responses',
          MetricStat: {
            Metric: { Namespace: 'Acme/SIP', MetricName: 'Responses', Dimensions: [{ Name: 'Class', Value: '5xx' }] },
            Period: 300,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      ],
      AlarmActions: [{ Ref: ids.topic }],
    });
    // 2 spike + 2 burst + 2 carrier-a spike + ISA + SER + anomaly + 5 health
    s.template.resourceCountIs('AWS::CloudWatch::Alarm', 14);
  });

  it('alarms on ISA above 15 % and SER below 35 % of at least 50 INVITE transactions per 5-minute period, 2 of 14', () => {
    // Prepare
    const outcome = (id: string, name?: string): unknown =>
      Match.objectLike({
        Id: id,
        MetricStat: {
          Metric: {
            Namespace: 'Acme/SIP',
            MetricName: 'InviteTransactions',
            ...(name === undefined ? {} : { Dimensions: [{ Name: 'Outcome', Value: name }] }),
          },
          Period: 300,
          Stat: 'Sum',
        },
      });
    // Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(mAll >= 50, 100 * FILL(mIneffective, 0) / mAll, 0)', ReturnData: true }),
        outcome('mAll'),
        outcome('mIneffective', 'Ineffective'),
      ]),
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 15,
      EvaluationPeriods: 14,
      DatapointsToAlarm: 2,
      AlarmActions: [{ Ref: ids.topic }],
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression:
            'IF(mAll - FILL(mRedirected, 0) >= 50, 100 * FILL(mEstablished, 0) / (mAll - FILL(mRedirected, 0)), 100)',
          ReturnData: true,
        }),
        outcome('mRedirected', 'Redirected'),
        outcome('mEstablished', 'Established'),
      ]),
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 35,
      EvaluationPeriods: 14,
      DatapointsToAlarm: 2,
    });
  });

  it("alarms on carrier-a's own 5xx and 6xx share, from Responses by Peer, with the same periods and gates", () => {
    // Prepare
    const expected = (cls: '5xx' | '6xx', threshold: number): Record<string, unknown> => ({
      AlarmDescription: Match.stringLikeRegexp(
        `^${cls} responses from peer carrier-a above ${threshold} % of its responses`,
      ),
      Metrics: [
        Match.objectLike({ Expression: `IF(mTotal >= 500, 100 * FILL(m${cls}, 0) / mTotal, 0)`, ReturnData: true }),
        Match.objectLike({
          Id: `m${cls}`,
          MetricStat: {
            Metric: {
              Namespace: 'Acme/SIP',
              MetricName: 'Responses',
              Dimensions: [
                { Name: 'Class', Value: cls },
                { Name: 'Peer', Value: 'carrier-a' },
              ],
            },
            Period: 300,
            Stat: 'Sum',
          },
        }),
        Match.objectLike({
          Id: 'mTotal',
          MetricStat: {
            Metric: {
              Namespace: 'Acme/SIP',
              MetricName: 'Responses',
              Dimensions: [{ Name: 'Peer', Value: 'carrier-a' }],
            },
            Period: 300,
            Stat: 'Sum',
          },
        }),
      ],
      Threshold: threshold,
      EvaluationPeriods: 14,
      DatapointsToAlarm: 2,
      AlarmActions: [{ Ref: ids.topic }],
      OKActions: [{ Ref: ids.topic }],
    });
    // Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', expected('5xx', 10));
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', expected('6xx', 0.5));
  });

  it('reads FilesFailed from the configured namespace and alarms on a 10-minute-old message', () => {
    // Prepare, Act: synthesized in beforeAll
    // Assess
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Acme/SIP', MetricName: 'FilesFailed' });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 600,
    });
  });
});

describe('dashboard at code detail', () => {
  it('graphs the top 10 status codes with a Metrics Insights query on the namespace', () => {
    // Prepare
    const widgets = dashboardWidgets(s.template);
    // Act
    const top = widgetTitled(widgets, 'Top 10 status codes');
    // Assess
    expect(top.properties.metrics).toEqual([
      [
        {
          expression:
            'SELECT SUM(Responses) FROM SCHEMA("Acme/SIP", Class, Code) GROUP BY Code ORDER BY SUM() DESC LIMIT 10',
        },
      ],
    ]);
    expect(widgetTitled(widgets, 'Alarms').properties.alarms).toHaveLength(14);
  });

  it('graphs the top 10 peers by 5xx and by 6xx with Metrics Insights queries over Class and Peer', () => {
    // Prepare
    const widgets = dashboardWidgets(s.template);
    // Act
    const queries = (['5xx', '6xx'] as const).map(
      (cls) => widgetTitled(widgets, `Top 10 peers by ${cls} responses`).properties.metrics,
    );
    // Assess
    expect(queries).toEqual(
      (['5xx', '6xx'] as const).map((cls) => [
        [
          {
            expression: `SELECT SUM(Responses) FROM SCHEMA("Acme/SIP", Class, Peer) WHERE Class = '${cls}' GROUP BY Peer ORDER BY SUM() DESC LIMIT 10`,
          },
        ],
      ]),
    );
  });
});

describe('cdk-nag AwsSolutions with every option', () => {
  it('reports no unacknowledged finding and acknowledges only findings that occur', () => {
    // Prepare
    const acks = acknowledgementsIn(s.app);
    // Act
    const unused = acks.filter(
      (a) => !s.nag.findings.some((f) => f.ruleId === a.ruleId && f.path.startsWith(`${a.path}/`)),
    );
    // Assess
    expect(s.nag.reports).toEqual([{ success: true, violations: [] }]);
    expect(unused).toEqual([]);
    expect(s.nag.findings.map((f) => f.ruleId)).toEqual([
      `AwsSolutions-IAM5[Resource::<${ids.bucket}.Arn>/sbc/*]`,
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    ]);
  });
});
