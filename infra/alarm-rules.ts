/**
 * The 5xx and 6xx spike alarms described as data. `constructs/monitoring.ts` turns each rule into a CloudWatch
 * metric-math alarm; `evaluate-alarms.ts` evaluates the same rules on local counts (`npm start`), so both judge a
 * spike identically. Pure: no aws-cdk-lib, no I/O.
 */
import { DEFAULTS } from './defaults.js';

/** A SIP response class as the function publishes it in the `Class` dimension. */
export type ResponseClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | '6xx';

/** Every response class, in order. */
export const RESPONSE_CLASSES: readonly ResponseClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'];

/** CloudWatch's handling of periods without a datapoint (the subset the local evaluator implements). */
export type TreatMissingData = 'notBreaching' | 'breaching' | 'missing';

/** One `Responses` metric the rule reads: by class, or the dimensionless total. */
export interface ResponsesMetric {
  /** Metric-math id, unique within the alarm. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: 'Responses';
  /**
   * `{ Class: '5xx' }`, or `{}` for the total the function publishes without dimensions; a peer's metrics add
   * `Peer` (`{ Class: '5xx', Peer: 'carrier-a' }`, and `{ Peer: 'carrier-a' }` for the peer's total).
   */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Sum';
  /** What the metric counts, for evaluators that hold counts by class rather than metrics. */
  readonly responseClass: ResponseClass | 'all';
  /** The peer the metric is limited to; undefined for the metrics of all responses. */
  readonly peer?: string;
}

/**
 * The kinds of ratio rule: 5xx (server error) and 6xx (global failure) spikes, which need M breaching periods, and
 * bursts, which fire on one breaching period at a higher threshold and volume: a log that lands in one minute (a
 * PBX that writes no dates, stamped at its upload) can only ever breach one.
 */
export type SpikeRuleKind = 'ServerErrorSpike' | 'GlobalFailureSpike' | 'ServerErrorBurst' | 'GlobalFailureBurst';

/** A ratio alarm: `100 × class / total` per period, above a threshold in M of N periods, gated by volume. */
export interface SpikeAlarmRule {
  /** Stable id: construct id in CDK, key in the local view (the kind, or `<kind>-<peer>` for a peer's rule). */
  readonly id: string;
  readonly kind: SpikeRuleKind;
  /** The peer whose responses the rule judges; undefined for the rules over all responses. */
  readonly peer?: string;
  readonly responseClass: '5xx' | '6xx';
  /** One line for the alarm description and the local view. */
  readonly title: string;
  readonly classMetric: ResponsesMetric;
  readonly totalMetric: ResponsesMetric;
  /** CloudWatch metric math; `ratioPercent()` computes the same value locally. */
  readonly expression: string;
  /** The alarm fires when the ratio is strictly above this (percent of all responses). */
  readonly thresholdPercent: number;
  readonly comparison: 'GreaterThanThreshold';
  readonly periodSeconds: number;
  /** N: periods looked at on every evaluation. */
  readonly evaluationPeriods: number;
  /** M: breaching periods among the N that put the alarm in ALARM. */
  readonly datapointsToAlarm: number;
  /** Periods with fewer responses than this evaluate to 0 %, so a quiet night never pages. */
  readonly minResponsesPerPeriod: number;
  readonly treatMissingData: TreatMissingData;
}

/** The settings both spike alarms share, and their thresholds. */
export interface SpikeAlarmSettings {
  readonly namespace: string;
  readonly periodSeconds: number;
  readonly datapointsToAlarm: number;
  readonly evaluationPeriods: number;
  readonly minResponsesPerPeriod: number;
  readonly serverErrorThresholdPercent: number;
  readonly globalFailureThresholdPercent: number;
  /** The burst rules: one period above these thresholds, with at least this many responses, is enough. */
  readonly burstMinResponsesPerPeriod: number;
  readonly serverErrorBurstThresholdPercent: number;
  readonly globalFailureBurstThresholdPercent: number;
}

/** CloudWatch: for periods of a minute or more, evaluation periods × period may not exceed one day. */
export const MAX_EVALUATION_RANGE_SECONDS = 86_400;

/**
 * The N that keeps a datum arriving `latenessMinutes` after its timestamp inside the evaluated range, with room for
 * the M breaching periods themselves: the alarm reads the last N periods on every evaluation, so a late datum counts
 * as long as its period is still among them.
 */
export const evaluationPeriodsFor = (
  latenessMinutes: number,
  periodSeconds: number,
  datapointsToAlarm: number,
): number => datapointsToAlarm + Math.ceil((latenessMinutes * 60) / periodSeconds);

/** Spike settings with every default applied (`evaluationPeriods` derived from the default lateness). */
export const DEFAULT_SPIKE_ALARM_SETTINGS: SpikeAlarmSettings = {
  namespace: DEFAULTS.namespace,
  periodSeconds: DEFAULTS.alarmPeriodSeconds,
  datapointsToAlarm: DEFAULTS.alarmDatapointsToAlarm,
  evaluationPeriods: evaluationPeriodsFor(
    DEFAULTS.alarmLatenessMinutes,
    DEFAULTS.alarmPeriodSeconds,
    DEFAULTS.alarmDatapointsToAlarm,
  ),
  minResponsesPerPeriod: DEFAULTS.alarmMinResponses,
  serverErrorThresholdPercent: DEFAULTS.serverErrorThresholdPercent,
  globalFailureThresholdPercent: DEFAULTS.globalFailureThresholdPercent,
  burstMinResponsesPerPeriod: DEFAULTS.burstMinResponses,
  serverErrorBurstThresholdPercent: DEFAULTS.serverErrorBurstThresholdPercent,
  globalFailureBurstThresholdPercent: DEFAULTS.globalFailureBurstThresholdPercent,
};

const responsesMetric = (
  namespace: string,
  responseClass: ResponseClass | 'all',
  peer: string | undefined,
): ResponsesMetric => ({
  id: responseClass === 'all' ? 'mTotal' : `m${responseClass}`,
  namespace,
  metricName: 'Responses',
  dimensions: {
    ...(responseClass === 'all' ? {} : { Class: responseClass }),
    ...(peer === undefined ? {} : { Peer: peer }),
  },
  statistic: 'Sum',
  responseClass,
  ...(peer === undefined ? {} : { peer }),
});

/**
 * The ratio in percent, gated by volume: the CloudWatch expression of every spike rule. FILL: a period with responses
 * but no 5xx has no 5xx datum at all, which must read as 0 %, not as a missing ratio.
 */
const ratioExpression = (classId: string, totalId: string, minResponses: number): string =>
  `IF(${totalId} >= ${minResponses}, 100 * FILL(${classId}, 0) / ${totalId}, 0)`;

const spikeRule = (
  kind: SpikeRuleKind,
  responseClass: SpikeAlarmRule['responseClass'],
  thresholdPercent: number,
  title: string,
  s: SpikeAlarmSettings,
  peer: string | undefined,
  burst = false,
): SpikeAlarmRule => {
  const classMetric = responsesMetric(s.namespace, responseClass, peer);
  const totalMetric = responsesMetric(s.namespace, 'all', peer);
  const minResponsesPerPeriod = burst ? s.burstMinResponsesPerPeriod : s.minResponsesPerPeriod;
  return {
    id: peer === undefined ? kind : `${kind}-${peer}`,
    kind,
    ...(peer === undefined ? {} : { peer }),
    responseClass,
    title,
    classMetric,
    totalMetric,
    expression: ratioExpression(classMetric.id, totalMetric.id, minResponsesPerPeriod),
    thresholdPercent,
    comparison: 'GreaterThanThreshold',
    periodSeconds: s.periodSeconds,
    // a burst keeps the spike's N, so a late file's burst minute is still judged
    evaluationPeriods: s.evaluationPeriods,
    datapointsToAlarm: burst ? 1 : s.datapointsToAlarm,
    minResponsesPerPeriod,
    // "missing data must not alarm": no logs (a quiet system, a late upload) is good news, not a spike
    treatMissingData: 'notBreaching',
  };
};

/**
 * The 5xx (server error) and 6xx (global failure) spike rules for these settings; with a peer, the same rules over
 * that peer's responses alone (its `Responses` by Class and Peer against its `Responses` by Peer), so a carrier that
 * answers 503 to 10 % of its calls alarms even when it carries a small share of all traffic.
 */
export const buildSpikeAlarmRules = (
  settings: SpikeAlarmSettings = DEFAULT_SPIKE_ALARM_SETTINGS,
  peer?: string,
): SpikeAlarmRule[] => {
  const from = peer === undefined ? '' : ` from peer ${peer}`;
  const of = peer === undefined ? 'all responses' : `its responses`;
  return [
    spikeRule(
      'ServerErrorSpike',
      '5xx',
      settings.serverErrorThresholdPercent,
      `5xx responses${from} above ${settings.serverErrorThresholdPercent} % of ${of}`,
      settings,
      peer,
    ),
    spikeRule(
      'GlobalFailureSpike',
      '6xx',
      settings.globalFailureThresholdPercent,
      `6xx responses${from} above ${settings.globalFailureThresholdPercent} % of ${of}`,
      settings,
      peer,
    ),
  ];
};

/** The 5xx and 6xx burst rules: one breaching period at the burst thresholds and volume puts them in ALARM. */
export const buildBurstAlarmRules = (settings: SpikeAlarmSettings = DEFAULT_SPIKE_ALARM_SETTINGS): SpikeAlarmRule[] => [
  spikeRule(
    'ServerErrorBurst',
    '5xx',
    settings.serverErrorBurstThresholdPercent,
    `5xx responses above ${settings.serverErrorBurstThresholdPercent} % of all responses in a single period`,
    settings,
    undefined,
    true,
  ),
  spikeRule(
    'GlobalFailureBurst',
    '6xx',
    settings.globalFailureBurstThresholdPercent,
    `6xx responses above ${settings.globalFailureBurstThresholdPercent} % of all responses in a single period`,
    settings,
    undefined,
    true,
  ),
];

/** The global spike rules, the burst rules, then each named peer's pair (`peerAlarms`), in the order given. */
export const buildAllSpikeAlarmRules = (
  settings: SpikeAlarmSettings,
  peerAlarms: readonly string[],
): SpikeAlarmRule[] => [
  ...buildSpikeAlarmRules(settings),
  ...buildBurstAlarmRules(settings),
  ...peerAlarms.flatMap((peer) => buildSpikeAlarmRules(settings, peer)),
];

/**
 * What `rule.expression` yields for one period: `undefined` when the period has no responses at all (CloudWatch has
 * no datapoint then), 0 below the minimum volume, else the class's share of all responses in percent.
 */
export const ratioPercent = (
  rule: Pick<SpikeAlarmRule, 'minResponsesPerPeriod'>,
  classCount: number,
  totalCount: number | undefined,
): number | undefined => {
  if (totalCount === undefined) return undefined;
  if (totalCount < rule.minResponsesPerPeriod) return 0;
  return (100 * classCount) / totalCount;
};

/** Whether one datapoint breaches the rule's threshold. */
export const isBreaching = (rule: Pick<SpikeAlarmRule, 'thresholdPercent'>, valuePercent: number): boolean =>
  valuePercent > rule.thresholdPercent;

/** A human description of the alarm, with the lateness it tolerates spelled out. */
export const describeSpikeRule = (rule: SpikeAlarmRule): string =>
  `${rule.title} (periods of ${rule.periodSeconds} s with at least ${rule.minResponsesPerPeriod} responses), ` +
  `in ${rule.datapointsToAlarm} of the last ${rule.evaluationPeriods} periods: ` +
  `data up to ${Math.floor(((rule.evaluationPeriods - rule.datapointsToAlarm) * rule.periodSeconds) / 60)} min late still alarms. ` +
  `Missing data is treated as ${rule.treatMissingData}.`;

/** The KPI alarms' settings; an absent threshold means no alarm for that KPI. */
export interface KpiAlarmSettings {
  readonly namespace: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /** Periods whose denominator holds fewer INVITE transactions evaluate as not breaching. */
  readonly minTransactionsPerPeriod: number;
  /** ISA (RFC 6076 §4.7) above this percentage breaches. */
  readonly isaThresholdPercent?: number;
  /** SER (RFC 6076 §4.5) below this percentage breaches. */
  readonly serThresholdPercent?: number;
}

/** The INVITE transaction counts of one period, as the KPI metrics publish them. */
export interface KpiPeriodCounts {
  readonly inviteTransactions: number;
  readonly redirected: number;
  readonly established: number;
  readonly ineffective: number;
}

/** One `InviteTransactions` metric a KPI rule reads: the total, or one Outcome numerator. */
export interface KpiMetric {
  readonly id: string;
  readonly namespace: string;
  readonly metricName: 'InviteTransactions';
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Sum';
}

/** An alarm on an RFC 6076 ratio of INVITE transactions per period, M of N, gated by volume. */
export interface KpiAlarmRule {
  readonly id: 'IneffectiveSessionAttempts' | 'LowSessionEstablishment';
  readonly kpi: 'isa' | 'ser';
  readonly title: string;
  readonly metrics: readonly KpiMetric[];
  /** CloudWatch metric math; `kpiPercent()` computes the same value locally. */
  readonly expression: string;
  readonly thresholdPercent: number;
  readonly comparison: 'GreaterThanThreshold' | 'LessThanThreshold';
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly minTransactionsPerPeriod: number;
  readonly treatMissingData: TreatMissingData;
}

const kpiMetric = (namespace: string, id: string, outcome?: string): KpiMetric => ({
  id,
  namespace,
  metricName: 'InviteTransactions',
  dimensions: outcome === undefined ? {} : { Outcome: outcome },
  statistic: 'Sum',
});

/**
 * ISA above and SER below their thresholds, for the thresholds that are set. Below the volume gate ISA reads 0 and
 * SER 100, so a quiet period never breaches either.
 */
export const buildKpiAlarmRules = (s: KpiAlarmSettings): KpiAlarmRule[] => {
  const common = {
    periodSeconds: s.periodSeconds,
    evaluationPeriods: s.evaluationPeriods,
    datapointsToAlarm: s.datapointsToAlarm,
    minTransactionsPerPeriod: s.minTransactionsPerPeriod,
    treatMissingData: 'notBreaching' as const,
  };
  const min = s.minTransactionsPerPeriod;
  const rules: KpiAlarmRule[] = [];
  if (s.isaThresholdPercent !== undefined) {
    rules.push({
      ...common,
      id: 'IneffectiveSessionAttempts',
      kpi: 'isa',
      title: `ISA (INVITEs ending 408, 500, 503 or 504) above ${s.isaThresholdPercent} % of INVITE transactions`,
      metrics: [kpiMetric(s.namespace, 'mAll'), kpiMetric(s.namespace, 'mIneffective', 'Ineffective')],
      expression: `IF(mAll >= ${min}, 100 * FILL(mIneffective, 0) / mAll, 0)`,
      thresholdPercent: s.isaThresholdPercent,
      comparison: 'GreaterThanThreshold',
    });
  }
  if (s.serThresholdPercent !== undefined) {
    rules.push({
      ...common,
      id: 'LowSessionEstablishment',
      kpi: 'ser',
      title: `SER (INVITEs answered 200, of those not redirected) below ${s.serThresholdPercent} %`,
      metrics: [
        kpiMetric(s.namespace, 'mAll'),
        kpiMetric(s.namespace, 'mRedirected', 'Redirected'),
        kpiMetric(s.namespace, 'mEstablished', 'Established'),
      ],
      expression: `IF(mAll - FILL(mRedirected, 0) >= ${min}, 100 * FILL(mEstablished, 0) / (mAll - FILL(mRedirected, 0)), 100)`,
      thresholdPercent: s.serThresholdPercent,
      comparison: 'LessThanThreshold',
    });
  }
  return rules;
};

/** What a KPI rule's expression yields for one period: undefined without INVITE transactions (no datapoint). */
export const kpiPercent = (rule: KpiAlarmRule, c: KpiPeriodCounts | undefined): number | undefined => {
  if (c === undefined || c.inviteTransactions === 0) return undefined;
  if (rule.kpi === 'isa') {
    return c.inviteTransactions < rule.minTransactionsPerPeriod ? 0 : (100 * c.ineffective) / c.inviteTransactions;
  }
  const answerable = c.inviteTransactions - c.redirected;
  return answerable < rule.minTransactionsPerPeriod ? 100 : (100 * c.established) / answerable;
};

/** Whether one datapoint breaches a KPI rule. */
export const isKpiBreaching = (rule: KpiAlarmRule, valuePercent: number): boolean =>
  rule.comparison === 'GreaterThanThreshold'
    ? valuePercent > rule.thresholdPercent
    : valuePercent < rule.thresholdPercent;

/** A human description of a KPI alarm. */
export const describeKpiRule = (rule: KpiAlarmRule): string =>
  `${rule.title} (periods of ${rule.periodSeconds} s with at least ${rule.minTransactionsPerPeriod} INVITE transactions), ` +
  `in ${rule.datapointsToAlarm} of the last ${rule.evaluationPeriods} periods, by the minute of each INVITE. ` +
  `Missing data is treated as ${rule.treatMissingData}.`;
