import type { SpikeAlarmRule } from '../infra/alarm-rules.js';
import {
  type AlarmEvaluation,
  type AlarmTransition,
  evaluateSpikeAlarm,
  type MinuteCounts,
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

/** One spike alarm as the deployed one would be, judged on the local data. */
export interface AlarmStatus {
  readonly rule: SpikeAlarmRule;
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
export const dataClockOf = (series: readonly MinuteCounts[], rules: readonly SpikeAlarmRule[]): DataClock | null => {
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

/** A peer's per-minute counts (the `Responses` by Class and Peer its alarms read). */
export type PeerSeries = (peer: string) => readonly MinuteCounts[];

/**
 * Judges every rule with the infra evaluator (CloudWatch semantics) at the data clock of all responses: the rules
 * over all responses on `series`, a peer's rules on that peer's series.
 */
export const judgeAlarms = (
  rules: readonly SpikeAlarmRule[],
  series: readonly MinuteCounts[],
  peerSeries: PeerSeries = () => [],
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
      const judged = rule.peer === undefined ? series : peerSeries(rule.peer);
      return {
        rule,
        evaluation: evaluateSpikeAlarm(rule, judged, clock.nowMs),
        transitions: replaySpikeAlarm(rule, judged, clock.firstMinuteMs, clock.replayEndMs),
      };
    }),
  };
};
