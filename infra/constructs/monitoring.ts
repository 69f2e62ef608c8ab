import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  AnomalyDetectionAlarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  buildAllSpikeAlarmRules,
  buildKpiAlarmRules,
  DEFAULT_SPIKE_ALARM_SETTINGS,
  describeKpiRule,
  describeSpikeRule,
  isBurstRule,
  type KpiAlarmRule,
  type KpiAlarmSettings,
  type KpiMetric,
  kpiMetric,
  RESPONSE_CLASSES,
  type ResponsesMetric,
  type TreatMissingData as RuleTreatMissingData,
  type SpikeAlarmRule,
  type SpikeAlarmSettings,
} from '../alarm-rules.js';
import { ratioWidgetTitle } from '../dashboard-widgets.js';
import { DEFAULTS, type MetricDetail } from '../defaults.js';
import { createAlarmTopic } from './alarm-topic.js';

/** Properties of {@link Monitoring}. */
export interface MonitoringProps {
  /** The processing function (errors, throttles, duration). */
  readonly function: IFunction;
  /** The notification queue (age of the oldest message). */
  readonly queue: IQueue;
  /** The dead-letter queue (not empty = files that were never counted). */
  readonly deadLetterQueue: IQueue;
  /**
   * The 5xx and 6xx spike alarms: namespace, period, M of N, minimum volume and thresholds.
   * @default DEFAULT_SPIKE_ALARM_SETTINGS (namespace SIP, 60 s periods, 3 of 68, 100 responses, 5 % and 2 %)
   */
  readonly spikeAlarms?: SpikeAlarmSettings;
  /**
   * Detail the function publishes: 'code' adds a top-status-codes graph, 'method' a top-methods graph.
   * @default 'class'
   */
  readonly metricDetail?: MetricDetail;
  /**
   * The function publishes the KPI metrics: adds the KPI and delay graphs.
   * @default true
   */
  readonly kpiMetrics?: boolean;
  /**
   * ISA-above and SER-below alarms on the KPI metrics (each only when its threshold is set).
   * @default no KPI alarm
   */
  readonly kpiAlarms?: KpiAlarmSettings;
  /**
   * The function publishes `Responses` by Peer: adds the top-peers widget.
   * @default false
   */
  readonly peerMetrics?: boolean;
  /**
   * Named peers with their own 5xx and 6xx spike alarms, on `Responses` by Peer (needs {@link peerMetrics}).
   * @default [] (no per-peer alarms)
   */
  readonly peerAlarms?: readonly string[];
  /**
   * Add a CloudWatch anomaly-detection alarm on the 5xx count (about USD 0.30 a month more).
   * @default false
   */
  readonly anomalyDetection?: boolean;
  /**
   * Width of the anomaly band in standard deviations.
   * @default 3
   */
  readonly anomalyStdDevs?: number;
  /**
   * Alarm when the oldest queued notification is at least this old.
   * @default Duration.minutes(15)
   */
  readonly queueAgeAlarm?: Duration;
  /**
   * Subscribe this address to the alarm topic (it must confirm the subscription by e-mail).
   * @default no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Your own SNS topic for every alarm action (ALARM and OK); its policy (and key policy) must let CloudWatch publish.
   * @default a new KMS-encrypted topic that accepts this account's alarms over TLS only
   */
  readonly alarmTopic?: ITopic;
  /**
   * Your own KMS key for the topic this construct creates.
   * @default a new key with rotation
   */
  readonly alarmTopicKey?: IKey;
}

/** Health alarm ids, in the order the dashboard shows them. */
export type HealthAlarmId =
  | 'DeadLetterQueueNotEmpty'
  | 'FunctionErrors'
  | 'FunctionThrottles'
  | 'QueueBacklog'
  | 'FilesFailed';

/** The encrypted alarm topic, the spike and health alarms, and the dashboard. */
export class Monitoring extends Construct {
  /** Every alarm notifies this topic, on ALARM and on OK (yours when you passed one). */
  readonly alarmTopic: ITopic;
  /** Encrypts {@link alarmTopic} when this construct created it; CloudWatch may use it to publish. */
  readonly alarmTopicKey: IKey | undefined;
  /** The rules the spike alarms were built from (the local stack evaluates the same ones). */
  readonly spikeRules: readonly SpikeAlarmRule[];
  /** Spike alarms by rule id (the peers' ones too, as `ServerErrorSpike-<peer>`). */
  readonly spikeAlarms: Readonly<Record<string, Alarm>>;
  /** The KPI rules the KPI alarms were built from (the local stack evaluates the same ones). */
  readonly kpiRules: readonly KpiAlarmRule[];
  /** KPI alarms by rule id. */
  readonly kpiAlarms: Readonly<Record<string, Alarm>>;
  /** The optional anomaly-detection alarm on the 5xx count. */
  readonly anomalyAlarm: Alarm | undefined;
  /** Health alarms by id. */
  readonly healthAlarms: Readonly<Record<HealthAlarmId, Alarm>>;
  /** The product's dashboard. */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const settings = props.spikeAlarms ?? DEFAULT_SPIKE_ALARM_SETTINGS;
    const namespace = settings.namespace;
    const period = Duration.seconds(settings.periodSeconds);

    if (props.alarmTopic === undefined) {
      const created = createAlarmTopic(this, props.alarmTopicKey);
      this.alarmTopic = created.topic;
      this.alarmTopicKey = created.key;
    } else {
      this.alarmTopic = props.alarmTopic;
      this.alarmTopicKey = undefined;
    }
    if (props.alarmEmail !== undefined) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const notify = new SnsAction(this.alarmTopic);
    const wire = (alarm: Alarm): Alarm => {
      alarm.addAlarmAction(notify);
      // "back to OK" is news too: whoever was paged learns the spike is over without opening the console
      alarm.addOkAction(notify);
      return alarm;
    };

    if (props.peerAlarms !== undefined && props.peerAlarms.length > 0 && props.peerMetrics !== true) {
      throw new Error('peerAlarms read the per-peer metrics: set peerMetrics too');
    }
    this.spikeRules = buildAllSpikeAlarmRules(settings, props.peerAlarms ?? []);
    const spikeAlarms: Record<string, Alarm> = {};
    const ratioExpressions = new Map<string, MathExpression>();
    for (const rule of this.spikeRules) {
      const expression = ratioExpressionOf(rule);
      ratioExpressions.set(rule.id, expression);
      spikeAlarms[rule.id] = wire(
        // a construct id may not hold "/"; the rule id stays the alarm's key
        new Alarm(this, rule.id.replaceAll('/', '_'), {
          alarmDescription: describeSpikeRule(rule),
          metric: expression,
          threshold: rule.thresholdPercent,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: rule.evaluationPeriods,
          datapointsToAlarm: rule.datapointsToAlarm,
          treatMissingData: cdkTreatMissingData(rule.treatMissingData),
        }),
      );
    }
    this.spikeAlarms = spikeAlarms;

    this.kpiRules = props.kpiAlarms === undefined ? [] : buildKpiAlarmRules(props.kpiAlarms);
    if (this.kpiRules.length > 0 && props.kpiMetrics === false) {
      throw new Error('kpiAlarms read the KPI metrics: keep kpiMetrics on');
    }
    const kpiAlarms: Record<string, Alarm> = {};
    for (const rule of this.kpiRules) {
      kpiAlarms[rule.id] = wire(
        new Alarm(this, rule.id, {
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
    this.kpiAlarms = kpiAlarms;

    const serverErrors = new Metric({
      namespace,
      metricName: 'Responses',
      dimensionsMap: { Class: '5xx' },
      statistic: 'Sum',
      period,
      label: '5xx responses',
    });
    this.anomalyAlarm = props.anomalyDetection
      ? wire(
          new AnomalyDetectionAlarm(this, 'ServerErrorAnomaly', {
            alarmDescription:
              `5xx responses above the band CloudWatch learned from this metric's history ` +
              `(${props.anomalyStdDevs ?? DEFAULTS.anomalyStdDevs} standard deviations), in ` +
              `${settings.datapointsToAlarm} of the last ${settings.evaluationPeriods} periods; complements the ratio ` +
              'alarm when the usual error level itself shifts.',
            metric: serverErrors,
            stdDevs: props.anomalyStdDevs ?? DEFAULTS.anomalyStdDevs,
            comparisonOperator: ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
            evaluationPeriods: settings.evaluationPeriods,
            datapointsToAlarm: settings.datapointsToAlarm,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          }),
        )
      : undefined;

    const filesFailed = new Metric({
      namespace,
      metricName: 'FilesFailed',
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    const queueAge = props.queueAgeAlarm ?? Duration.seconds(DEFAULTS.queueAgeAlarmSeconds);
    this.healthAlarms = {
      DeadLetterQueueNotEmpty: wire(
        new Alarm(this, 'DeadLetterQueueNotEmpty', {
          alarmDescription:
            'S3 notifications failed processing 3 times and sit in the dead-letter queue: those files are NOT counted. ' +
            'Read the function logs for their keys, fix the cause, then redrive the DLQ (the ledger prevents double counts).',
          metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
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
        new Alarm(this, 'FunctionErrors', {
          alarmDescription:
            'The function crashed or timed out (failed records of a batch are not errors; whole invocations are). ' +
            'Its messages come back after the visibility timeout; repeated failures end in the DLQ.',
          metric: props.function.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      ),
      FunctionThrottles: wire(
        new Alarm(this, 'FunctionThrottles', {
          alarmDescription:
            'Lambda refused invocations (account concurrency exhausted): processing is delayed, and with it the ' +
            'spike alarms. Raise the account limit or lower maxConcurrency.',
          metric: props.function.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      ),
      QueueBacklog: wire(
        new Alarm(this, 'QueueBacklog', {
          alarmDescription:
            `An S3 notification has waited ${queueAge.toSeconds()} s or more: processing lags behind uploads, and ` +
            'spikes in the waiting files may reach CloudWatch too late for the spike alarms.',
          metric: props.queue.metricApproximateAgeOfOldestMessage({
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
        new Alarm(this, 'FilesFailed', {
          alarmDescription:
            'A log file could never be read (corrupt gzip, no SIP in any known format, deleted before processing). ' +
            'It is recorded in the ledger and not retried; the function logs name the file and the reason.',
          metric: filesFailed,
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      ),
    };

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          `# SIP responses (namespace \`${namespace}\`)\n` +
          "Times are the log's own timestamps: a file uploaded late fills in the past. " +
          `Spike alarms judge ${settings.periodSeconds} s periods with at least ${settings.minResponsesPerPeriod} responses.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Responses by class',
        stacked: true,
        left: RESPONSE_CLASSES.map(
          (cls) =>
            new Metric({
              namespace,
              metricName: 'Responses',
              dimensionsMap: { Class: cls },
              statistic: 'Sum',
              period,
              label: cls,
            }),
        ),
        width: 24,
        height: 6,
      }),
    );
    this.dashboard.addWidgets(
      ...this.spikeRules
        .filter((rule) => rule.peer === undefined && !isBurstRule(rule))
        .map((rule) => {
          const expression = ratioExpressions.get(rule.id);
          if (expression === undefined) throw new Error(`no expression for ${rule.id}`);
          // the burst rule of the same class judges the same share, at its own threshold
          const burst = this.spikeRules.find(
            (r) => r.peer === undefined && isBurstRule(r) && r.responseClass === rule.responseClass,
          );
          return new GraphWidget({
            title: ratioWidgetTitle(rule),
            left: [expression],
            leftYAxis: { min: 0, showUnits: false },
            leftAnnotations: [
              {
                value: rule.thresholdPercent,
                label: `alarm above ${rule.thresholdPercent} % in ${rule.datapointsToAlarm} periods`,
                color: '#ff7f0e',
              },
              ...(burst === undefined
                ? []
                : [
                    {
                      value: burst.thresholdPercent,
                      label: `alarm above ${burst.thresholdPercent} % in one period of ≥ ${burst.minResponsesPerPeriod}`,
                      color: '#d62728',
                    },
                  ]),
            ],
            width: 12,
            height: 6,
          });
        }),
    );
    const top = topBreakdownWidget(namespace, props.metricDetail ?? DEFAULTS.metricDetail);
    if (top !== undefined) this.dashboard.addWidgets(top);
    if (props.peerMetrics === true) this.dashboard.addWidgets(...topPeersWidgets(namespace));
    if (props.kpiMetrics !== false) this.dashboard.addWidgets(...kpiWidgets(namespace, period, this.kpiRules));
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Files',
        left: [
          new Metric({ namespace, metricName: 'FilesProcessed', statistic: 'Sum', label: 'processed' }),
          new Metric({ namespace, metricName: 'FilesFailed', statistic: 'Sum', label: 'failed', color: '#d62728' }),
          new Metric({ namespace, metricName: 'ParseAnomalies', statistic: 'Sum', label: 'parse anomalies' }),
        ],
        width: 8,
        height: 6,
      }),
      new GraphWidget({
        title: 'Bytes processed',
        left: [new Metric({ namespace, metricName: 'BytesProcessed', statistic: 'Sum', label: 'bytes' })],
        width: 8,
        height: 6,
      }),
      new GraphWidget({
        title: 'Upload to metrics (s)',
        left: [
          new Metric({ namespace, metricName: 'ProcessingLagSeconds', statistic: 'Maximum', label: 'max' }),
          new Metric({ namespace, metricName: 'ProcessingLagSeconds', statistic: 'p50', label: 'median' }),
        ],
        width: 8,
        height: 6,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Queues',
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ label: 'waiting', statistic: 'Maximum' }),
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'in DLQ', statistic: 'Maximum' }),
        ],
        right: [props.queue.metricApproximateAgeOfOldestMessage({ label: 'oldest (s)', statistic: 'Maximum' })],
        width: 12,
        height: 6,
      }),
      new GraphWidget({
        title: 'Function',
        left: [
          props.function.metricInvocations({ statistic: 'Sum', label: 'invocations' }),
          props.function.metricErrors({ statistic: 'Sum', label: 'errors' }),
          props.function.metricThrottles({ statistic: 'Sum', label: 'throttles' }),
        ],
        right: [props.function.metricDuration({ statistic: 'Maximum', label: 'max duration (ms)' })],
        width: 12,
        height: 6,
      }),
    );
    const allAlarms: IAlarm[] = [
      ...Object.values(this.spikeAlarms),
      ...Object.values(this.kpiAlarms),
      ...(this.anomalyAlarm ? [this.anomalyAlarm] : []),
      ...Object.values(this.healthAlarms),
    ];
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: allAlarms, width: 24, height: 3 }));
  }
}

/** A metric a rule reads (a `Responses` or an `InviteTransactions` one), at the rule's period. */
const metricOf = (m: ResponsesMetric | KpiMetric, period: Duration): Metric =>
  new Metric({
    namespace: m.namespace,
    metricName: m.metricName,
    dimensionsMap: { ...m.dimensions },
    statistic: m.statistic,
    period,
  });

/** The CloudWatch form of a spike rule's ratio: the rule's own expression over the rule's own metrics. */
const ratioExpressionOf = (rule: SpikeAlarmRule): MathExpression => {
  const period = Duration.seconds(rule.periodSeconds);
  return new MathExpression({
    expression: rule.expression,
    usingMetrics: {
      [rule.classMetric.id]: metricOf(rule.classMetric, period),
      [rule.totalMetric.id]: metricOf(rule.totalMetric, period),
    },
    period,
    label: `${rule.responseClass} % (0 below ${rule.minResponsesPerPeriod} responses)`,
  });
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

/** Top status codes (detail 'code') or methods (detail 'method'), by Metrics Insights; nothing at detail 'class'. */
const topBreakdownWidget = (namespace: string, detail: MetricDetail): IWidget | undefined => {
  if (detail === 'class') return undefined;
  const dimension = detail === 'code' ? 'Code' : 'Method';
  return new GraphWidget({
    title: detail === 'code' ? 'Top 10 status codes' : 'Top 10 CSeq methods (responses)',
    left: [
      new MathExpression({
        // Metrics Insights: one query graphs whatever codes occur, without knowing them in advance
        expression: `SELECT SUM(Responses) FROM SCHEMA("${namespace}", Class, ${dimension}) GROUP BY ${dimension} ORDER BY SUM() DESC LIMIT 10`,
        // an empty label lets CloudWatch name each series by its code or method (CDK would repeat the query)
        label: '',
      }),
    ],
    stacked: true,
    width: 24,
    height: 6,
  });
};

/**
 * The ten peers answering the most 5xx, and the most 6xx, by Metrics Insights over `Responses` by Class and Peer:
 * whoever they are this hour, without listing peers in advance.
 */
const topPeersWidgets = (namespace: string): IWidget[] =>
  (['5xx', '6xx'] as const).map(
    (cls) =>
      new GraphWidget({
        title: `Top 10 peers by ${cls} responses`,
        left: [
          new MathExpression({
            expression: `SELECT SUM(Responses) FROM SCHEMA("${namespace}", Class, Peer) WHERE Class = '${cls}' GROUP BY Peer ORDER BY SUM() DESC LIMIT 10`,
            label: '',
          }),
        ],
        stacked: true,
        width: 12,
        height: 6,
      }),
  );

/** The CloudWatch form of a KPI rule: its own expression over its own metrics. */
const kpiExpressionOf = (rule: KpiAlarmRule): MathExpression => {
  const period = Duration.seconds(rule.periodSeconds);
  return new MathExpression({
    expression: rule.expression,
    usingMetrics: Object.fromEntries(rule.metrics.map((m) => [m.id, metricOf(m, period)])),
    period,
    label: `${rule.kpi.toUpperCase()} % (gated at ${rule.minTransactionsPerPeriod} INVITE transactions)`,
  });
};

/**
 * RFC 6076 SER, SEER, ISA and SCR per period from the published numerators and denominator (exact over any
 * period: sums divide, averages of ratios would not), with the KPI alarm thresholds; and the delays' percentiles.
 */
const kpiWidgets = (namespace: string, period: Duration, rules: readonly KpiAlarmRule[]): IWidget[] => {
  const using = {
    mAll: metricOf(kpiMetric(namespace, 'mAll'), period),
    mRedirected: metricOf(kpiMetric(namespace, 'mRedirected', 'Redirected'), period),
    mEstablished: metricOf(kpiMetric(namespace, 'mEstablished', 'Established'), period),
    mEffective: metricOf(kpiMetric(namespace, 'mEffective', 'Effective'), period),
    mIneffective: metricOf(kpiMetric(namespace, 'mIneffective', 'Ineffective'), period),
    mCompleted: metricOf(kpiMetric(namespace, 'mCompleted', 'Completed'), period),
  };
  const answerable = '(mAll - FILL(mRedirected, 0))';
  const ratio = (label: string, expression: string): MathExpression =>
    new MathExpression({ expression, usingMetrics: using, period, label });
  const delay = (metricName: string, statistic: string, label: string): Metric =>
    new Metric({ namespace, metricName, statistic, period, label });
  return [
    new GraphWidget({
      title: 'Call KPIs, RFC 6076 (% of INVITE transactions)',
      left: [
        ratio('SER', `100 * FILL(mEstablished, 0) / ${answerable}`),
        ratio('SEER', `100 * FILL(mEffective, 0) / ${answerable}`),
        ratio('ISA', '100 * FILL(mIneffective, 0) / mAll'),
        ratio('SCR', '100 * FILL(mCompleted, 0) / mAll'),
      ],
      leftYAxis: { min: 0, max: 100, showUnits: false },
      leftAnnotations: rules.map((r) => ({
        value: r.thresholdPercent,
        label: `${r.kpi.toUpperCase()} alarm ${r.comparison === 'GreaterThanThreshold' ? 'above' : 'below'} ${r.thresholdPercent} %`,
        color: '#d62728',
      })),
      width: 12,
      height: 6,
    }),
    new GraphWidget({
      title: 'Setup and teardown delays (ms)',
      left: [
        delay('SessionRequestDelay', 'p50', 'SRD p50'),
        delay('SessionRequestDelay', 'p90', 'SRD p90'),
        delay('SessionRequestDelay', 'p99', 'SRD p99'),
        delay('SessionDisconnectDelay', 'p90', 'SDD p90'),
        delay('RegistrationRequestDelay', 'p90', 'RRD p90'),
      ],
      width: 12,
      height: 6,
    }),
  ];
};
