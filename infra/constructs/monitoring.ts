import type { Duration } from 'aws-cdk-lib';
import type { Alarm, Dashboard, IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  buildAllSpikeAlarmRules,
  buildKpiAlarmRules,
  DEFAULT_SPIKE_ALARM_SETTINGS,
  type KpiAlarmRule,
  type KpiAlarmSettings,
  type SpikeAlarmRule,
  type SpikeAlarmSettings,
} from '../alarm-rules.js';
import { dashboardWidgets, widgetConditionsOf } from '../dashboard-widgets.js';
import { DEFAULTS, type MetricDetail } from '../defaults.js';
import {
  createAlarmTopic,
  createAnomalyAlarm,
  createHealthAlarms,
  createKpiAlarms,
  createSpikeAlarms,
  type HealthAlarmId,
} from './monitoring-alarms.js';
import { buildDashboard } from './monitoring-dashboard.js';

export type { HealthAlarmId } from './monitoring-alarms.js';

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

/**
 * The encrypted alarm topic, the spike, KPI and health alarms, and the dashboard. The constructor only composes the
 * named parts of monitoring-alarms.ts and monitoring-dashboard.ts; the dashboard's widgets come from
 * infra/dashboard-widgets.ts, the list the local page of `npm start` renders too.
 */
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
    if (props.peerAlarms !== undefined && props.peerAlarms.length > 0 && props.peerMetrics !== true) {
      throw new Error('peerAlarms read the per-peer metrics: set peerMetrics too');
    }
    this.spikeRules = buildAllSpikeAlarmRules(settings, props.peerAlarms ?? []);
    this.kpiRules = props.kpiAlarms === undefined ? [] : buildKpiAlarmRules(props.kpiAlarms);
    if (this.kpiRules.length > 0 && props.kpiMetrics === false) {
      throw new Error('kpiAlarms read the KPI metrics: keep kpiMetrics on');
    }

    const { topic, key, wire } = createAlarmTopic(this, props.alarmEmail, {
      topic: props.alarmTopic,
      key: props.alarmTopicKey,
    });
    this.alarmTopic = topic;
    this.alarmTopicKey = key;
    this.spikeAlarms = createSpikeAlarms(this, this.spikeRules, wire);
    this.kpiAlarms = createKpiAlarms(this, this.kpiRules, wire);
    this.anomalyAlarm = props.anomalyDetection
      ? createAnomalyAlarm(this, settings, props.anomalyStdDevs ?? DEFAULTS.anomalyStdDevs, wire)
      : undefined;
    this.healthAlarms = createHealthAlarms(
      this,
      {
        namespace: settings.namespace,
        function: props.function,
        queue: props.queue,
        deadLetterQueue: props.deadLetterQueue,
        queueAgeAlarm: props.queueAgeAlarm,
      },
      wire,
    );

    const alarms: IAlarm[] = [
      ...Object.values(this.spikeAlarms),
      ...Object.values(this.kpiAlarms),
      ...(this.anomalyAlarm ? [this.anomalyAlarm] : []),
      ...Object.values(this.healthAlarms),
    ];
    this.dashboard = buildDashboard(this, 'Dashboard', {
      widgets: dashboardWidgets({
        spikeAlarms: settings,
        spikeRules: this.spikeRules,
        kpiRules: this.kpiRules,
        conditions: widgetConditionsOf({
          metricDetail: props.metricDetail ?? DEFAULTS.metricDetail,
          peerMetrics: props.peerMetrics === true,
          kpiMetrics: props.kpiMetrics !== false,
        }),
      }),
      resources: { function: props.function, queue: props.queue, deadLetterQueue: props.deadLetterQueue },
      alarms,
    });
  }
}
