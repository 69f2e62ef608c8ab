import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { afterAll, describe, expect, it } from 'vitest';
import { SipMetrics, type SipMetricsProps } from '../../infra/constructs/sip-metrics.js';
import { SipMetricsPropsError } from '../../infra/constructs/sip-metrics-validation.js';
import { RecordingAwsSolutionsChecks } from './synth.js';

// The construct as a library user places it: in a stack of their own, with resources of their own. The handler is
// not bundled here (test/package/pack.test.ts deploys the prebuilt bundle; bundle.test.ts bundles from source).
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

const synthesizeWith = (
  make: (stack: Stack) => SipMetricsProps,
): { template: Template; nag: RecordingAwsSolutionsChecks; sip: SipMetrics } => {
  const outdir = mkdtempSync(join(tmpdir(), 'sip-metrics-byo-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Telephony', { env: { account: '123456789012', region: 'eu-west-1' } });
  const sip = new SipMetrics(stack, 'Sip', { ...make(stack), handlerCode: 'source' });
  const nag = new RecordingAwsSolutionsChecks(app);
  Validations.of(app).addPlugins(nag);
  return { template: Template.fromStack(stack), nag, sip };
};

describe('an imported bucket that sends its events to EventBridge', () => {
  const { template, nag } = synthesizeWith((stack) => ({
    bucket: Bucket.fromBucketName(stack, 'SbcLogs', 'acme-sbc-logs'),
    bucketSendsToEventBridge: true,
    keyPrefix: 'sbc/',
    keySuffixes: ['.pcap', '.log.gz'],
  }));

  it('routes "Object Created" events under the prefix with each suffix to the queue, and leaves the bucket alone', () => {
    // Prepare, Act: synthesized above
    const queue = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith('SipIngestQueue'));
    // Assess
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: ['acme-sbc-logs'] },
          object: { key: [{ wildcard: 'sbc/*.pcap' }, { wildcard: 'sbc/*.log.gz' }] },
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] } })],
    });
  });

  it('lets the function read only under the prefix of that bucket, and stays clean under cdk-nag', () => {
    // Prepare, Act: synthesized above
    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ReadLogObjectsUnderPrefix',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::acme-sbc-logs/sbc/*']] },
          }),
        ]),
      },
    });
    // the acknowledgement names the imported ARN the way cdk-nag flattens it
    expect(nag.findings.map((f) => f.ruleId)).toContain(
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::acme-sbc-logs/sbc/*]',
    );
    expect(nag.reports).toEqual([{ success: true, violations: [] }]);
  });
});

describe('an imported bucket with S3 notifications (the README example)', () => {
  const { template, nag } = synthesizeWith((stack) => ({
    bucket: Bucket.fromBucketName(stack, 'SbcLogs', 'acme-sbc-logs'),
    keyPrefix: 'sbc/',
  }));

  it("adds the prefix's notification next to the bucket's others, and stays clean under cdk-nag", () => {
    // Prepare
    const queue = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith('SipIngestQueue'));
    // Act
    const [notifications] = Object.values(template.findResources('Custom::S3BucketNotifications'));
    // Assess: Managed false makes CDK's handler merge ours into the configuration it did not write
    expect(notifications?.Properties).toMatchObject({
      BucketName: 'acme-sbc-logs',
      Managed: false,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'sbc/' }] } },
            QueueArn: { 'Fn::GetAtt': [queue, 'Arn'] },
          },
        ],
      },
    });
    expect(nag.reports).toEqual([{ success: true, violations: [] }]);
  });
});

describe('the bucket SipMetrics creates, sending to EventBridge', () => {
  const { template, nag } = synthesizeWith(() => ({ bucketSendsToEventBridge: true }));

  it('turns on its EventBridge delivery, routes "Object Created" under logs/ to the queue, and stays clean under cdk-nag', () => {
    // Prepare
    const bucket = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) =>
      id.startsWith('SipIngestBucket'),
    );
    // Act
    const [notifications] = Object.values(template.findResources('Custom::S3BucketNotifications'));
    // Assess
    expect(notifications?.Properties.BucketName).toEqual({ Ref: bucket });
    expect(notifications?.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: {} });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: { bucket: { name: [{ Ref: bucket }] }, object: { key: [{ prefix: 'logs/' }] } },
      }),
    });
    expect(nag.reports).toEqual([{ success: true, violations: [] }]);
  });
});

describe('an existing KMS key', () => {
  const { template, nag } = synthesizeWith((stack) => ({
    encryptionKey: new Key(stack, 'TeamKey', { enableKeyRotation: true }),
  }));

  it('encrypts the log bucket and the alarm topic SipMetrics creates, instead of new keys', () => {
    // Prepare
    const key = Object.keys(template.findResources('AWS::KMS::Key'));
    // Act, Assess
    expect(key).toEqual([expect.stringMatching(/^TeamKey/)]);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [key[0], 'Arn'] },
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key[0], 'Arn'] } });
    // CloudWatch may use the key to publish to the topic
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarmsToPublish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
          }),
        ]),
      },
    });
    expect(nag.reports).toEqual([{ success: true, violations: [] }]);
  });
});

describe('props validation', () => {
  it('lists every problem at once before creating anything', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Telephony');
    const props: SipMetricsProps = {
      bucket: new Bucket(stack, 'SbcLogs'),
      alarmTopic: new Topic(stack, 'OnCall'),
      encryptionKey: new Key(stack, 'TeamKey'),
      bucketEncryption: 's3-managed',
      logExpirationDays: 30,
      keyPrefix: 'sbc/*',
      keySuffixes: ['.gz', '.log.gz'],
      batchSize: 11,
      peerAlarms: ['carrier-a'],
    };
    // Act
    let error: unknown;
    try {
      new SipMetrics(stack, 'Sip', props);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(SipMetricsPropsError);
    expect((error as SipMetricsPropsError).code).toBe('CONFIG');
    expect((error as SipMetricsPropsError).problems).toEqual([
      'keyPrefix must be non-empty, without * or ? and without a leading /, got "sbc/*"',
      'keySuffixes ".log.gz" and ".gz" overlap (S3 rejects overlapping filters); keep ".gz"',
      'peerAlarms: per-peer alarms read the per-peer metrics: turn peerMetrics on',
      'peerAlarms: "carrier-a" is not a peer of the peer map (peers: none)',
      'bucketEncryption shapes the bucket SipMetrics creates: with your own bucket, configure it on the bucket',
      'logExpirationDays shapes the bucket SipMetrics creates: with your own bucket, configure it on the bucket',
      "encryptionKey encrypts the log bucket with KMS: leave bucketEncryption unset or 'kms'",
      'encryptionKey encrypts the bucket and topic SipMetrics creates: with your own bucket and topic it has nothing to encrypt',
      'batchSize must be a whole number from 1 to 10, got 11',
    ]);
    expect(stack.node.findChild('Sip').node.children).toEqual([]);
  });
});
