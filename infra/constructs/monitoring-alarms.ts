/**
 * The alarm side of the Monitoring construct, one named part each: the encrypted topic every alarm notifies, the
 * spike alarms, the KPI alarms, the optional anomaly alarm and the health alarms. Each alarm reads the same rule (and
 * the same metric-math expression) the local stack evaluates and the dashboard graphs.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  Alarm,
  AnomalyDetectionAlarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  describeKpiRule,
  describeSpikeRule,
  type KpiAlarmRule,
  type TreatMissingData as RuleTreatMissingData,
  type SpikeAlarmRule,
  type SpikeAlarmSettings,
} from '../alarm-rules.js';
import { ratioSeriesOf } from '../dashboard-widgets.js';
import { DEFAULTS } from '../defaults.js';
import { cdkMetric } from './monitoring-dashboard.js';

/** Health alarm ids, in the order the dashboard shows them. */
export type HealthAlarmId =
  | 'DeadLetterQueueNotEmpty'
  | 'FunctionErrors'
  | 'FunctionThrottles'
  | 'QueueBacklog'
  | 'FilesFailed';

/** Adds the topic as the action of an alarm, on ALARM and on OK, and returns the alarm. */
export type WireAlarm = <A extends Alarm>(alarm: A) => A;

/** The encrypted topic every alarm notifies, its key, and the function that wires an alarm to it. */
export const createAlarmTopic = (
  scope: Construct,
  alarmEmail: string | undefined,
  own: { readonly topic?: ITopic; readonly key?: IKey } = {},
): { topic: ITopic; key: IKey | undefined; wire: WireAlarm } => {
  // a topic of the user's keeps its own encryption, which is theirs to report: no key then
  const { topic, key }: { topic: ITopic; key: IKey | undefined } =
    own.topic === undefined ? createEncryptedTopic(scope, own.key) : { topic: own.topic, key: undefined };
  if (alarmEmail !== undefined) topic.addSubscription(new EmailSubscription(alarmEmail));
  const notify = new SnsAction(topic);
  const wire = <A extends Alarm>(alarm: A): A => {
    alarm.addAlarmAction(notify);
    // "back to OK" is news too: whoever was paged learns the spike is over without opening the console
    alarm.addOkAction(notify);
    return alarm;
  };
  return { topic, key, wire };
};

/**
 * The topic created when the user brings none: encrypted with a new key with rotation (or theirs), accepting only
 * this account's alarms over TLS.
 */
const createEncryptedTopic = (scope: Construct, ownKey: IKey | undefined): { topic: Topic; key: IKey } => {
  const key =
    ownKey ??
    new Key(scope, 'AlarmTopicKey', {
      description: 'Encrypts the SIP metrics alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  // CloudWatch calls KMS itself when it publishes to an encrypted topic, and the account-root statement does not
  // cover service principals: without this grant every notification is dropped silently. (A no-op on an imported
  // key: its policy must allow cloudwatch.amazonaws.com already, as the README says.)
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  const topic = new Topic(scope, 'AlarmTopic', {
    displayName: 'SIP metrics alarms',
    masterKey: key,
    enforceSSL: true,
  });
  // enforceSSL creates a topic policy, which replaces SNS's default owner policy: CloudWatch then needs an
  // explicit allow, limited to alarms of this account
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccount',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
      },
    }),
  );
  return { topic, key };
};

const cdkTreatMissingData = (t: RuleTreatMissingData): TreatMissingData => {
  switch (t) {
    case 'notBreaching':
      return TreatMissingData.NOT_BREACHING;
    case 'breaching':
      return TreatMissingData.BREACHING;
    case 'missing':
      return TreatMissingData.MISSING;
  }
};

/** The CloudWatch form of a spike rule's ratio: the series the dashboard's ratio graph draws. */
const ratioExpressionOf = (rule: SpikeAlarmRule): MathExpression => {
  const s = ratioSeriesOf(rule);
  return new MathExpression({
    expression: s.expression,
    usingMetrics: Object.fromEntries(Object.entries(s.using ?? {}).map(([id, m]) => [id, cdkMetric(m)])),
    period: Duration.seconds(rule.periodSeconds),
    label: s.label,
  });
};

/** One alarm per spike rule (the peers' too), by rule id. */
export const createSpikeAlarms = (
  scope: Construct,
  rules: readonly SpikeAlarmRule[],
  wire: WireAlarm,
): Record<string, Alarm> => {
  const alarms: Record<string, Alarm> = {};
  for (const rule of rules) {
    alarms[rule.id] = wire(
      // a construct id may not hold "/"; the rule id stays the alarm's key
      new Alarm(scope, rule.id.replaceAll('/', '_'), {
        alarmDescription: describeSpikeRule(rule),
        metric: ratioExpressionOf(rule),
        threshold: rule.thresholdPercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: rule.evaluationPeriods,
        datapointsToAlarm: rule.datapointsToAlarm,
        treatMissingData: cdkTreatMissingData(rule.treatMissingData),
      }),
    );
  }
  return alarms;
};

/** The CloudWatch form of a KPI rule: its own expression over its own metrics. */
const kpiExpressionOf = (rule: KpiAlarmRule): MathExpression => {
  const period = Duration.seconds(rule.periodSeconds);
  return new MathExpression({
    expression: rule.expression,
    usingMetrics: Object.fromEntries(
      rule.metrics.map((m) => [
        m.id,
        new Metric({
          namespace: m.namespace,
          metricName: m.metricName,
          dimensionsMap: { ...m.dimensions },
          statistic: m.statistic,
          period,
        }),
      ]),
    ),
    period,
    label: `${rule.kpi.toUpperCase()} % (gated at ${rule.minTransactionsPerPeriod} INVITE transactions)`,
  });
};

/** One alarm per KPI rule (ISA above, SER below), by rule id. */
export const createKpiAlarms = (
  scope: Construct,
  rules: readonly KpiAlarmRule[],
  wire: WireAlarm,
): Record<string, Alarm> => {
  const alarms: Record<string, Alarm> = {};
  for (const rule of rules) {
    alarms[rule.id] = wire(
      new Alarm(scope, rule.id, {
        alarmDescription: describeKpiRule(rule),
        metric: kpiExpressionOf(rule),
        threshold: rule.thresholdPercent,
        comparisonOperator:
          rule.comparison === 'GreaterThanThreshold'
            ? ComparisonOperator.GREATER_THAN_THRESHOLD
            : ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: rule.evaluationPeriods,
        datapointsToAlarm: rule.datapointsToAlarm,
        treatMissingData: cdkTreatMissingData(rule.treatMissingData),
      }),
    );
  }
  return alarms;
};

/** The anomaly-detection alarm on the 5xx count. */
export const createAnomalyAlarm = (
  scope: Construct,
  settings: SpikeAlarmSettings,
  stdDevs: number,
  wire: WireAlarm,
): Alarm =>
  wire(
    new AnomalyDetectionAlarm(scope, 'ServerErrorAnomaly', {
      alarmDescription:
        `5xx responses above the band CloudWatch learned from this metric's history ` +
        `(${stdDevs} standard deviations), in ` +
        `${settings.datapointsToAlarm} of the last ${settings.evaluationPeriods} periods; complements the ratio ` +
        'alarm when the usual error level itself shifts.',
      metric: new Metric({
        namespace: settings.namespace,
        metricName: 'Responses',
        dimensionsMap: { Class: '5xx' },
        statistic: 'Sum',
        period: Duration.seconds(settings.periodSeconds),
        label: '5xx responses',
      }),
      stdDevs,
      comparisonOperator: ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
      evaluationPeriods: settings.evaluationPeriods,
      datapointsToAlarm: settings.datapointsToAlarm,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }),
  );

/** The alarms on the pipeline itself: files not counted, function failures, backlog. */
export const createHealthAlarms = (
  scope: Construct,
  o: {
    readonly namespace: string;
    readonly function: IFunction;
    readonly queue: IQueue;
    readonly deadLetterQueue: IQueue;
    readonly queueAgeAlarm: Duration | undefined;
  },
  wire: WireAlarm,
): Record<HealthAlarmId, Alarm> => {
  const queueAge = o.queueAgeAlarm ?? Duration.seconds(DEFAULTS.queueAgeAlarmSeconds);
  return {
    DeadLetterQueueNotEmpty: wire(
      new Alarm(scope, 'DeadLetterQueueNotEmpty', {
        alarmDescription:
          'S3 notifications failed processing 5 times and sit in the dead-letter queue: those files are NOT counted. ' +
          'Read the function logs for their keys, fix the cause, then redrive the DLQ (the ledger prevents double counts).',
        metric: o.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ),
    FunctionErrors: wire(
      new Alarm(scope, 'FunctionErrors', {
        alarmDescription:
          'The function crashed or timed out (failed records of a batch are not errors; whole invocations are). ' +
          'Its messages come back after the visibility timeout; repeated failures end in the DLQ.',
        metric: o.function.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ),
    FunctionThrottles: wire(
      new Alarm(scope, 'FunctionThrottles', {
        alarmDescription:
          'Lambda refused invocations (account concurrency exhausted): processing is delayed, and with it the ' +
          'spike alarms. Raise the account limit or lower maxConcurrency.',
        metric: o.function.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ),
    QueueBacklog: wire(
      new Alarm(scope, 'QueueBacklog', {
        alarmDescription:
          `An S3 notification has waited ${queueAge.toSeconds()} s or more: processing lags behind uploads, and ` +
          'spikes in the waiting files may reach CloudWatch too late for the spike alarms.',
        metric: o.queue.metricApproximateAgeOfOldestMessage({
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
        threshold: queueAge.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ),
    FilesFailed: wire(
      new Alarm(scope, 'FilesFailed', {
        alarmDescription:
          'A log file could never be read (corrupt gzip, no SIP in any known format, deleted before processing). ' +
          'It is recorded in the ledger and not retried; the function logs name the file and the reason.',
        metric: new Metric({
          namespace: o.namespace,
          metricName: 'FilesFailed',
          statistic: 'Sum',
          period: Duration.minutes(5),
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ),
  };
};
