import { describe, expect, it } from 'vitest';
import {
  buildKpiAlarmRules,
  buildSpikeAlarmRules,
  DEFAULT_SPIKE_ALARM_SETTINGS,
  type KpiAlarmRule,
  type SpikeAlarmRule,
} from '../../infra/alarm-rules.js';
import {
  evaluateKpiAlarm,
  evaluateSpikeAlarm,
  evaluateSpikeAlarms,
  type KpiMinuteCounts,
  type MinuteCounts,
  replayKpiAlarm,
  replaySpikeAlarm,
} from '../../infra/evaluate-alarms.js';

const MINUTE_MS = 60_000;
const T0 = Date.UTC(2025, 0, 15, 12, 0);
const at = (minutes: number): number => T0 + minutes * MINUTE_MS;

const rules = buildSpikeAlarmRules(DEFAULT_SPIKE_ALARM_SETTINGS);
const serverErrors = rules[0] as SpikeAlarmRule;

/** Normal traffic: 1,000 responses a minute, 1 % of them 5xx, from minute `from` to minute `to` (exclusive). */
const normal = (from: number, to: number): MinuteCounts[] =>
  Array.from({ length: to - from }, (_, i) => ({
    minuteStartMs: at(from + i),
    counts: { '1xx': 300, '2xx': 600, '4xx': 90, '5xx': 10 },
  }));

/** A 5xx spike: 20 % of 1,000 responses a minute are 5xx. */
const spike = (from: number, to: number): MinuteCounts[] =>
  Array.from({ length: to - from }, (_, i) => ({
    minuteStartMs: at(from + i),
    counts: { '1xx': 300, '2xx': 400, '4xx': 100, '5xx': 200 },
  }));

describe('evaluateSpikeAlarm', () => {
  it('goes to ALARM once 3 minutes above 5 % are complete', () => {
    // Prepare
    const series = [...normal(-60, 0), ...spike(0, 3)];
    // Act
    const evaluation = evaluateSpikeAlarm(serverErrors, series, at(3) + 5_000);
    // Assess
    expect(evaluation.state).toBe('ALARM');
    expect(evaluation.breachingPeriods).toBe(3);
    expect(evaluation.periods).toHaveLength(68);
    expect(evaluation.periods.at(-1)).toEqual({
      startMs: at(2),
      classCount: 200,
      totalCount: 1000,
      valuePercent: 20,
      breaching: true,
    });
  });

  it('stays OK with 2 breaching minutes out of 68 (M is 3)', () => {
    // Prepare
    const series = [...normal(-60, 0), ...spike(0, 2), ...normal(2, 10)];
    // Act
    const evaluation = evaluateSpikeAlarm(serverErrors, series, at(10));
    // Assess
    expect(evaluation.state).toBe('OK');
    expect(evaluation.breachingPeriods).toBe(2);
  });

  it('does not judge the minute still running', () => {
    // Prepare
    const series = [...normal(-60, 0), ...spike(0, 3)];
    // Act
    const evaluation = evaluateSpikeAlarm(serverErrors, series, at(2) + 59_000);
    // Assess
    expect(evaluation.state).toBe('OK');
    expect(evaluation.breachingPeriods).toBe(2);
  });

  it('still alarms when the spike arrives 65 minutes after it happened', () => {
    // Prepare: the evaluation at minute 68 sees the spike of minutes 0-2 for the first time (the file came late)
    const series = [...normal(-60, 0), ...spike(0, 3), ...normal(3, 68)];
    // Act
    const evaluation = evaluateSpikeAlarm(serverErrors, series, at(68));
    // Assess
    expect(evaluation.state).toBe('ALARM');
    expect(evaluation.periods[0]?.startMs).toBe(at(0));
  });

  it('no longer sees the spike once its first minute is older than N periods', () => {
    // Prepare
    const series = [...normal(-60, 0), ...spike(0, 3), ...normal(3, 69)];
    // Act
    const evaluation = evaluateSpikeAlarm(serverErrors, series, at(69));
    // Assess
    expect(evaluation.state).toBe('OK');
    expect(evaluation.breachingPeriods).toBe(2);
  });

  it('ignores error bursts in periods under the minimum volume: 1 of 2 at 3 a.m. pages nobody', () => {
    // Prepare
    const series = Array.from({ length: 10 }, (_, i) => ({ minuteStartMs: at(i), counts: { '2xx': 1, '5xx': 1 } }));
    // Act
    const evaluation = evaluateSpikeAlarm(serverErrors, series, at(10));
    // Assess
    expect(evaluation.state).toBe('OK');
    expect(evaluation.periods.at(-1)?.valuePercent).toBe(0);
  });

  it('treats missing data as not breaching: no logs at all is OK, never ALARM', () => {
    // Prepare, Act
    const evaluation = evaluateSpikeAlarm(serverErrors, [], at(0));
    // Assess
    expect(evaluation.state).toBe('OK');
    expect(evaluation.periods.every((p) => p.valuePercent === undefined)).toBe(true);
  });

  it('follows the other missing-data treatments too: missing gives INSUFFICIENT_DATA, breaching gives ALARM', () => {
    // Prepare
    const missing: SpikeAlarmRule = { ...serverErrors, treatMissingData: 'missing' };
    const breaching: SpikeAlarmRule = { ...serverErrors, treatMissingData: 'breaching' };
    // Act
    const asMissing = evaluateSpikeAlarm(missing, [], at(0));
    const asBreaching = evaluateSpikeAlarm(breaching, normal(-68, 0), at(0));
    // Assess
    expect(asMissing.state).toBe('INSUFFICIENT_DATA');
    expect(asBreaching.state).toBe('OK');
    expect(evaluateSpikeAlarm(breaching, normal(-60, -10), at(0)).state).toBe('ALARM');
  });

  it('sums minutes into clock-aligned periods longer than a minute', () => {
    // Prepare
    const [fiveMinute] = buildSpikeAlarmRules({ ...DEFAULT_SPIKE_ALARM_SETTINGS, periodSeconds: 300 });
    if (fiveMinute === undefined) throw new Error('expected a rule');
    const series = [...spike(0, 1), ...normal(1, 5)];
    // Act
    const evaluation = evaluateSpikeAlarm(fiveMinute, series, at(5));
    // Assess
    expect(evaluation.periods.at(-1)).toEqual({
      startMs: at(0),
      classCount: 200 + 4 * 10,
      totalCount: 5000,
      valuePercent: 4.8,
      breaching: false,
    });
  });
});

describe('evaluateSpikeAlarms', () => {
  it('judges the 5xx and the 6xx rule on the same counts', () => {
    // Prepare
    const series = Array.from({ length: 3 }, (_, i) => ({
      minuteStartMs: at(i),
      counts: { '2xx': 900, '6xx': 100 },
    }));
    // Act
    const evaluations = evaluateSpikeAlarms(rules, series, at(3));
    // Assess
    expect(evaluations.map((e) => [e.ruleId, e.state, e.breachingPeriods])).toEqual([
      ['ServerErrorSpike', 'OK', 0],
      ['GlobalFailureSpike', 'ALARM', 3],
    ]);
  });
});

describe('replaySpikeAlarm', () => {
  it('reports when the alarm would have fired and when it would have returned to OK', () => {
    // Prepare
    const series = [...normal(-60, 0), ...spike(0, 3), ...normal(3, 120)];
    // Act
    const transitions = replaySpikeAlarm(serverErrors, series, at(-10), at(120));
    // Assess
    expect(transitions.map((t) => [t.from, t.to, (t.atMs - T0) / MINUTE_MS])).toEqual([
      ['INSUFFICIENT_DATA', 'OK', -10],
      ['OK', 'ALARM', 3],
      ['ALARM', 'OK', 69],
    ]);
  });
});

describe('evaluateKpiAlarm', () => {
  const kpiRules = buildKpiAlarmRules({
    namespace: 'SIP',
    periodSeconds: 60,
    evaluationPeriods: 68,
    datapointsToAlarm: 3,
    minTransactionsPerPeriod: 30,
    isaThresholdPercent: 10,
    serThresholdPercent: 40,
  });
  const [isa, ser] = kpiRules as [KpiAlarmRule, KpiAlarmRule];
  /** `n` INVITE transactions a minute: 4 redirected, `established` answered 200, `ineffective` ending 503. */
  const minutes = (from: number, to: number, n: number, established: number, ineffective: number): KpiMinuteCounts[] =>
    Array.from({ length: to - from }, (_, i) => ({
      minuteStartMs: at(from + i),
      counts: { inviteTransactions: n, redirected: 4, established, ineffective },
    }));

  it('alarms on ISA above 10 % and SER below 40 % in 3 minutes, each judged by its own ratio', () => {
    // Prepare: 54 transactions a minute, 4 redirected: ISA 12/54 = 22.2 %, SER 15/50 = 30 % in minutes 0-2
    const series = [...minutes(-30, 0, 54, 30, 2), ...minutes(0, 3, 54, 15, 12)];
    // Act
    const [isaNow, serNow] = [evaluateKpiAlarm(isa, series, at(3)), evaluateKpiAlarm(ser, series, at(3))];
    // Assess
    expect([isaNow.state, isaNow.breachingPeriods, serNow.state, serNow.breachingPeriods]).toEqual([
      'ALARM',
      3,
      'ALARM',
      3,
    ]);
    expect(isaNow.periods.at(-1)).toEqual({
      startMs: at(2),
      classCount: 12,
      totalCount: 54,
      valuePercent: (100 * 12) / 54,
      breaching: true,
    });
    expect(serNow.periods.at(-1)).toMatchObject({ classCount: 15, totalCount: 50, valuePercent: 30, breaching: true });
  });

  it('never breaches below the volume gate: ISA reads 0 and SER 100 with fewer than 30 transactions', () => {
    // Prepare: 20 transactions a minute, every one failing
    const series = minutes(0, 10, 20, 0, 16);
    // Act
    const states = [evaluateKpiAlarm(isa, series, at(10)), evaluateKpiAlarm(ser, series, at(10))];
    // Assess
    expect(states.map((e) => [e.state, e.periods.at(-1)?.valuePercent])).toEqual([
      ['OK', 0],
      ['OK', 100],
    ]);
  });

  it('replays the ISA alarm into ALARM after the third bad minute and out when they leave the 68 minutes', () => {
    // Prepare
    const series = [...minutes(0, 5, 54, 30, 2), ...minutes(5, 8, 54, 15, 12), ...minutes(8, 10, 54, 30, 2)];
    // Act
    const transitions = replayKpiAlarm(isa, series, at(0), at(90));
    // Assess
    expect(transitions.map((t) => [t.from, t.to, (t.atMs - T0) / MINUTE_MS])).toEqual([
      ['INSUFFICIENT_DATA', 'OK', 0],
      ['OK', 'ALARM', 8],
      ['ALARM', 'OK', 74],
    ]);
  });
});
