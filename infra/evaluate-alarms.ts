/**
 * Evaluates the spike alarm rules on local per-minute counts the way CloudWatch evaluates the deployed alarms:
 * periods aligned to the clock, the expression of `alarm-rules.ts` per period, M of the last N periods, missing data
 * per `treatMissingData`. Used by the local stack (`npm start`). Pure: no aws-cdk-lib, no I/O, no clock.
 */
import {
  isBreaching,
  isKpiBreaching,
  type KpiAlarmRule,
  type KpiPeriodCounts,
  kpiPercent,
  type ResponseClass,
  ratioPercent,
  type SpikeAlarmRule,
} from './alarm-rules.js';

/** Responses counted in one minute of log time. */
export interface MinuteCounts {
  /** Start of the minute, epoch milliseconds (the datum's timestamp). */
  readonly minuteStartMs: number;
  /** Responses by class in that minute; absent classes count 0. */
  readonly counts: Readonly<Partial<Record<ResponseClass, number>>>;
}

/** CloudWatch's alarm states. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One evaluated period. */
export interface EvaluatedPeriod {
  readonly startMs: number;
  /** Responses of the rule's class in the period. */
  readonly classCount: number;
  /** All responses in the period; undefined when no datum fell in it. */
  readonly totalCount: number | undefined;
  /** The expression's value; undefined is a missing datapoint. */
  readonly valuePercent: number | undefined;
  readonly breaching: boolean;
}

/** The state of one alarm at one instant, with the periods that decided it. */
export interface AlarmEvaluation {
  readonly ruleId: string;
  readonly state: AlarmState;
  /** Breaching periods among the N (missing ones counted per `treatMissingData`). */
  readonly breachingPeriods: number;
  readonly datapointsToAlarm: number;
  readonly evaluationPeriods: number;
  /** The N periods, oldest first. */
  readonly periods: readonly EvaluatedPeriod[];
}

/** A change of state, for "went to ALARM at … / back to OK at …" lines. */
export interface AlarmTransition {
  readonly ruleId: string;
  readonly atMs: number;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly evaluation: AlarmEvaluation;
}

interface PeriodTotals {
  total: number;
  byClass: Map<ResponseClass, number>;
}

const periodStart = (ms: number, periodMs: number): number => Math.floor(ms / periodMs) * periodMs;

/** Sums minutes into the rule's periods (CloudWatch aligns periods to multiples of the period since the epoch). */
const aggregate = (series: Iterable<MinuteCounts>, periodMs: number): Map<number, PeriodTotals> => {
  const periods = new Map<number, PeriodTotals>();
  for (const minute of series) {
    const start = periodStart(minute.minuteStartMs, periodMs);
    let totals = periods.get(start);
    for (const [cls, n] of Object.entries(minute.counts) as [ResponseClass, number | undefined][]) {
      if (n === undefined) continue;
      if (totals === undefined) {
        totals = { total: 0, byClass: new Map() };
        periods.set(start, totals);
      }
      totals.total += n;
      totals.byClass.set(cls, (totals.byClass.get(cls) ?? 0) + n);
    }
  }
  return periods;
};

/** What the evaluator needs of any rule: its period, its M of N and its missing-data treatment. */
type Judged = Pick<SpikeAlarmRule, 'periodSeconds' | 'evaluationPeriods' | 'datapointsToAlarm' | 'treatMissingData'> & {
  readonly id: string;
};

const decide = (rule: Judged, periods: readonly EvaluatedPeriod[]): { state: AlarmState; breaching: number } => {
  const present = periods.filter((p) => p.valuePercent !== undefined);
  const missing = periods.length - present.length;
  const breachingPresent = present.filter((p) => p.breaching).length;
  switch (rule.treatMissingData) {
    case 'notBreaching':
      return { state: breachingPresent >= rule.datapointsToAlarm ? 'ALARM' : 'OK', breaching: breachingPresent };
    case 'breaching': {
      const breaching = breachingPresent + missing;
      return { state: breaching >= rule.datapointsToAlarm ? 'ALARM' : 'OK', breaching };
    }
    case 'missing':
      // CloudWatch would also look further back for datapoints; locally we only judge the N periods we hold
      if (present.length === 0) return { state: 'INSUFFICIENT_DATA', breaching: 0 };
      return { state: breachingPresent >= rule.datapointsToAlarm ? 'ALARM' : 'OK', breaching: breachingPresent };
  }
};

/** The rule's last N completed periods before `nowMs`, each judged by `periodAt`, and the state they give. */
const evaluateWith = (rule: Judged, periodAt: (startMs: number) => EvaluatedPeriod, nowMs: number): AlarmEvaluation => {
  const periodMs = rule.periodSeconds * 1000;
  // only completed periods: the one still running would judge a partial minute
  const end = periodStart(nowMs, periodMs);
  const evaluated: EvaluatedPeriod[] = [];
  for (let i = rule.evaluationPeriods; i >= 1; i--) evaluated.push(periodAt(end - i * periodMs));
  const { state, breaching } = decide(rule, evaluated);
  return {
    ruleId: rule.id,
    state,
    breachingPeriods: breaching,
    datapointsToAlarm: rule.datapointsToAlarm,
    evaluationPeriods: rule.evaluationPeriods,
    periods: evaluated,
  };
};

/** Every change of state from `fromMs` to `toMs`, evaluated once a minute as CloudWatch does. */
const replayWith = (
  rule: Judged,
  periodAt: (startMs: number) => EvaluatedPeriod,
  fromMs: number,
  toMs: number,
): AlarmTransition[] => {
  const stepMs = 60_000;
  const transitions: AlarmTransition[] = [];
  let state: AlarmState = 'INSUFFICIENT_DATA';
  for (let at = periodStart(fromMs, stepMs); at <= toMs; at += stepMs) {
    const evaluation = evaluateWith(rule, periodAt, at);
    if (evaluation.state !== state) {
      transitions.push({ ruleId: rule.id, atMs: at, from: state, to: evaluation.state, evaluation });
      state = evaluation.state;
    }
  }
  return transitions;
};

const spikePeriods =
  (rule: SpikeAlarmRule, periods: ReadonlyMap<number, PeriodTotals>) =>
  (startMs: number): EvaluatedPeriod => {
    const totals = periods.get(startMs);
    const classCount = totals?.byClass.get(rule.responseClass) ?? 0;
    const valuePercent = ratioPercent(rule, classCount, totals?.total);
    return {
      startMs,
      classCount,
      totalCount: totals?.total,
      valuePercent,
      breaching: valuePercent !== undefined && isBreaching(rule, valuePercent),
    };
  };

const evaluateAggregated = (
  rule: SpikeAlarmRule,
  periods: ReadonlyMap<number, PeriodTotals>,
  nowMs: number,
): AlarmEvaluation => evaluateWith(rule, spikePeriods(rule, periods), nowMs);

/** The state of one alarm at `nowMs`, given every minute of counts received so far (late minutes included). */
export const evaluateSpikeAlarm = (
  rule: SpikeAlarmRule,
  series: Iterable<MinuteCounts>,
  nowMs: number,
): AlarmEvaluation => evaluateAggregated(rule, aggregate(series, rule.periodSeconds * 1000), nowMs);

/** The state of every alarm at `nowMs`. */
export const evaluateSpikeAlarms = (
  rules: readonly SpikeAlarmRule[],
  series: readonly MinuteCounts[],
  nowMs: number,
): AlarmEvaluation[] => rules.map((rule) => evaluateSpikeAlarm(rule, series, nowMs));

/**
 * Replays the alarm minute by minute from `fromMs` to `toMs` over data that is all known (a file replayed with
 * `--once`) and returns every change of state, starting from INSUFFICIENT_DATA like a new alarm. It shows when the
 * deployed alarm would have fired had the data arrived on time.
 */
export const replaySpikeAlarm = (
  rule: SpikeAlarmRule,
  series: Iterable<MinuteCounts>,
  fromMs: number,
  toMs: number,
): AlarmTransition[] =>
  replayWith(rule, spikePeriods(rule, aggregate(series, rule.periodSeconds * 1000)), fromMs, toMs);

/** INVITE transaction counts of one minute (by the minute of each INVITE), as the KPI metrics carry them. */
export interface KpiMinuteCounts {
  readonly minuteStartMs: number;
  readonly counts: KpiPeriodCounts;
}

const aggregateKpis = (series: Iterable<KpiMinuteCounts>, periodMs: number): Map<number, KpiPeriodCounts> => {
  const out = new Map<number, KpiPeriodCounts>();
  for (const m of series) {
    const start = periodStart(m.minuteStartMs, periodMs);
    const c = out.get(start);
    out.set(
      start,
      c === undefined
        ? { ...m.counts }
        : {
            inviteTransactions: c.inviteTransactions + m.counts.inviteTransactions,
            redirected: c.redirected + m.counts.redirected,
            established: c.established + m.counts.established,
            ineffective: c.ineffective + m.counts.ineffective,
          },
    );
  }
  return out;
};

const kpiPeriods =
  (rule: KpiAlarmRule, periods: ReadonlyMap<number, KpiPeriodCounts>) =>
  (startMs: number): EvaluatedPeriod => {
    const c = periods.get(startMs);
    const valuePercent = kpiPercent(rule, c);
    return {
      startMs,
      classCount: rule.kpi === 'isa' ? (c?.ineffective ?? 0) : (c?.established ?? 0),
      totalCount:
        c === undefined ? undefined : rule.kpi === 'isa' ? c.inviteTransactions : c.inviteTransactions - c.redirected,
      valuePercent,
      breaching: valuePercent !== undefined && isKpiBreaching(rule, valuePercent),
    };
  };

/** The state of a KPI alarm at `nowMs` (classCount/totalCount of each period: the ratio's numerator/denominator). */
export const evaluateKpiAlarm = (
  rule: KpiAlarmRule,
  series: Iterable<KpiMinuteCounts>,
  nowMs: number,
): AlarmEvaluation => evaluateWith(rule, kpiPeriods(rule, aggregateKpis(series, rule.periodSeconds * 1000)), nowMs);

/** Every change of state of a KPI alarm, replayed as replaySpikeAlarm does. */
export const replayKpiAlarm = (
  rule: KpiAlarmRule,
  series: Iterable<KpiMinuteCounts>,
  fromMs: number,
  toMs: number,
): AlarmTransition[] =>
  replayWith(rule, kpiPeriods(rule, aggregateKpis(series, rule.periodSeconds * 1000)), fromMs, toMs);
