import { Aws, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StackConfig } from './config.js';
import { SipMetrics } from './constructs/sip-metrics.js';

/** Properties of {@link SipMetricsStack}. */
export interface SipMetricsStackProps extends StackProps {
  /** The validated cdk.json settings. */
  readonly config: StackConfig;
  /**
   * TypeScript entry of the Lambda handler.
   * @default the product's lambda/handler.ts
   */
  readonly handlerEntry?: string;
}

/** cdk.json's retention days as the CDK enum (config.ts accepted only values the enum holds). */
const retentionDaysOf = (days: number): RetentionDays => {
  const match = Object.values(RetentionDays).find((v) => v === days);
  if (typeof match !== 'number') throw new Error(`${days} is not a CloudWatch Logs retention`);
  return match;
};

/** The one stack of the product: the SipMetrics construct configured from cdk.json, and its outputs. */
export class SipMetricsStack extends Stack {
  /** The product. */
  readonly sipMetrics: SipMetrics;

  constructor(scope: Construct, id: string, props: SipMetricsStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.sipMetrics = new SipMetrics(this, 'SipMetrics', {
      namespace: config.namespace,
      keyPrefix: config.keyPrefix,
      keySuffixes: config.keySuffixes,
      metricDetail: config.metricDetail,
      peers: config.peers,
      peerMetrics: config.peerMetrics,
      peerTopN: config.peerTopN,
      peerAlarms: config.peerAlarms,
      kpiMetrics: config.kpiMetrics,
      kpiAlarms: config.kpiAlarms,
      logTimeZone: config.logTimeZone,
      logTimeZoneByPrefix: config.logTimeZoneByPrefix,
      bucketEncryption: config.bucketEncryption,
      logExpirationDays: config.logExpirationDays,
      noncurrentVersionExpirationDays: config.noncurrentVersionExpirationDays,
      accessLogExpirationDays: config.accessLogExpirationDays,
      ledgerRetentionDays: config.ledgerRetentionDays,
      retainData: config.retainData,
      functionMemoryMiB: config.functionMemoryMiB,
      functionTimeout: Duration.seconds(config.functionTimeoutSeconds),
      batchSize: config.batchSize,
      maxConcurrency: config.maxConcurrency,
      functionLogRetention: retentionDaysOf(config.functionLogRetentionDays),
      spikeAlarms: config.spikeAlarms,
      anomalyDetection: config.anomalyDetection,
      anomalyStdDevs: config.anomalyStdDevs,
      queueAgeAlarm: Duration.seconds(config.queueAgeAlarmSeconds),
      alarmEmail: config.alarmEmail,
      handlerEntry: props.handlerEntry,
    });

    const { bucket, alarmTopic, dashboard, deadLetterQueue, keyPrefix } = this.sipMetrics;
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName, description: 'Drop SIP logs into this bucket' });
    new CfnOutput(this, 'UploadLocation', {
      value: `s3://${bucket.bucketName}/${keyPrefix}`,
      description: 'Objects created under this location are processed',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: alarmTopic.topicArn,
      description: 'Subscribe to this SNS topic to receive every alarm (ALARM and OK)',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${dashboard.dashboardName}`,
      description: 'The CloudWatch dashboard',
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: deadLetterQueue.queueUrl,
      description: 'Notifications of files that failed processing 5 times',
    });
  }
}
