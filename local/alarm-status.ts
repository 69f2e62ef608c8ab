import type { KpiAlarmRule, SpikeAlarmRule } from '../infra/alarm-rules.js';
import {
  type AlarmEvaluation,
  type AlarmTransition,
  evaluateKpiAlarm,
  evaluateSpikeAlarm,
  type KpiMinuteCounts,
  type MinuteCounts,
  replayKpiAlarm,
  replaySpikeAlarm,
} from '../infra/evaluate-alarms.js';

const MS_PER_MINUTE = 60_000;

/**
 * The instant the local alarms are judged at. Datums carry the log's own minutes, so "now" is the end of the newest
 * minute in the data, not the wall clock: a log from last week still shows the states it would have caused.
 */
export interface DataClock {
  readonly firstMinuteMs: number;
  readonly newestMinuteMs: number;
  /** End of the newest minute: its period is complete, so the evaluator judges it. */
  readonly nowMs: number;
  /** End of the replay: the data's end plus the evaluation range, by when every alarm has settled. */
  readonly replayEndMs: number;
}

/** Any alarm rule the local stack judges: a class ratio (spike, burst, per peer) or a KPI ratio. */
export type LocalAlarmRule = SpikeAlarmRule | KpiAlarmRule;

/** Whether a rule judges a KPI (ISA, SER) rather than a response class. */
export const isKpiRule = (rule: LocalAlarmRule): rule is KpiAlarmRule => 'kpi' in rule;

/** One alarm as the deployed one would be, judged on the local data. */
export interface AlarmStatus {
  readonly rule: LocalAlarmRule;
  /** The state at `clock.nowMs`. */
  readonly evaluation: AlarmEvaluation;
  /**
   * Every change of state, replayed minute by minute from the first minute of data to `clock.replayEndMs` as if the
   * data had arrived on time; those after `clock.nowMs` happen once the data leaves the evaluation range.
   */
  readonly transitions: readonly AlarmTransition[];
}

/** The alarms and the instant they were judged at (null before any response is stored). */
export interface AlarmJudgement {
  readonly clock: DataClock | null;
  readonly alarms: readonly AlarmStatus[];
}

/** The data clock of a per-minute series (oldest first), or null when it is empty. */
export const dataClockOf = (series: readonly MinuteCounts[], rules: readonly LocalAlarmRule[]): DataClock | null => {
  const first = series[0];
  const newest = series[series.length - 1];
  if (first === undefined || newest === undefined) return null;
  const nowMs = newest.minuteStartMs + MS_PER_MINUTE;
  const rangeMs = Math.max(0, ...rules.map((r) => r.evaluationPeriods * r.periodSeconds * 1000));
  return {
    firstMinuteMs: first.minuteStartMs,
    newestMinuteMs: newest.minuteStartMs,
    nowMs,
    replayEndMs: nowMs + rangeMs,
  };
};

/** The other series the rules read, besides the responses by class of all responses. */
export interface OtherSeries {
  /** A peer's per-minute counts (the `Responses` by Class and Peer its alarms read). */
  readonly peer?: (peer: string) => readonly MinuteCounts[];
  /** INVITE transactions per minute (the KPI alarms read them). */
  readonly kpis?: () => readonly KpiMinuteCounts[];
}

/**
 * Judges every rule with the infra evaluator (CloudWatch semantics) at the data clock of all responses: the rules
 * over all responses on `series`, a peer's rules on that peer's series.
 */
export const judgeAlarms = (
  rules: readonly LocalAlarmRule[],
  series: readonly MinuteCounts[],
  other: OtherSeries = {},
): AlarmJudgement => {
  const clock = dataClockOf(series, rules);
  if (clock === null) {
    return {
      clock,
      alarms: rules.map((rule) => ({
        rule,
        evaluation: {
          ruleId: rule.id,
          state: 'INSUFFICIENT_DATA',
          breachingPeriods: 0,
          datapointsToAlarm: rule.datapointsToAlarm,
          evaluationPeriods: rule.evaluationPeriods,
          periods: [],
        },
        transitions: [],
      })),
    };
  }
  return {
    clock,
    alarms: rules.map((rule) => {
      if (isKpiRule(rule)) {
        const kpis = other.kpis?.() ?? [];
        return {
          rule,
          evaluation: evaluateKpiAlarm(rule, kpis, clock.nowMs),
          transitions: replayKpiAlarm(rule, kpis, clock.firstMinuteMs, clock.replayEndMs),
        };
      }
      const judged = rule.peer === undefined ? series : (other.peer?.(rule.peer) ?? []);
      return {
        rule,
        evaluation: evaluateSpikeAlarm(rule, judged, clock.nowMs),
        transitions: replaySpikeAlarm(rule, judged, clock.firstMinuteMs, clock.replayEndMs),
      };
    }),
  };
};
