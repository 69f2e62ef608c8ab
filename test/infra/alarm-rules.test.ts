import { describe, expect, it } from 'vitest';
import {
  buildAllSpikeAlarmRules,
  buildBurstAlarmRules,
  buildSpikeAlarmRules,
  DEFAULT_SPIKE_ALARM_SETTINGS,
  describeSpikeRule,
  evaluationPeriodsFor,
  isBreaching,
  ratioPercent,
} from '../../infra/alarm-rules.js';

describe('buildSpikeAlarmRules', () => {
  it('describes the 5xx and 6xx ratio alarms as data, with the CloudWatch expression and its metrics', () => {
    // Prepare
    const settings = DEFAULT_SPIKE_ALARM_SETTINGS;
    // Act
    const rules = buildSpikeAlarmRules(settings);
    // Assess
    expect(rules).toEqual([
      {
        id: 'ServerErrorSpike',
        kind: 'ServerErrorSpike',
        responseClass: '5xx',
        title: '5xx responses above 5 % of all responses',
        classMetric: {
          id: 'm5xx',
          namespace: 'SIP',
          metricName: 'Responses',
          dimensions: { Class: '5xx' },
          statistic: 'Sum',
          responseClass: '5xx',
        },
        totalMetric: {
          id: 'mTotal',
          namespace: 'SIP',
          metricName: 'Responses',
          dimensions: {},
          statistic: 'Sum',
          responseClass: 'all',
        },
        expression: 'IF(mTotal >= 100, 100 * FILL(m5xx, 0) / mTotal, 0)',
        thresholdPercent: 5,
        comparison: 'GreaterThanThreshold',
        periodSeconds: 60,
        evaluationPeriods: 68,
        datapointsToAlarm: 3,
        minResponsesPerPeriod: 100,
        treatMissingData: 'notBreaching',
      },
      {
        id: 'GlobalFailureSpike',
        kind: 'GlobalFailureSpike',
        responseClass: '6xx',
        title: '6xx responses above 2 % of all responses',
        classMetric: {
          id: 'm6xx',
          namespace: 'SIP',
          metricName: 'Responses',
          dimensions: { Class: '6xx' },
          statistic: 'Sum',
          responseClass: '6xx',
        },
        totalMetric: {
          id: 'mTotal',
          namespace: 'SIP',
          metricName: 'Responses',
          dimensions: {},
          statistic: 'Sum',
          responseClass: 'all',
        },
        expression: 'IF(mTotal >= 100, 100 * FILL(m6xx, 0) / mTotal, 0)',
        thresholdPercent: 2,
        comparison: 'GreaterThanThreshold',
        periodSeconds: 60,
        evaluationPeriods: 68,
        datapointsToAlarm: 3,
        minResponsesPerPeriod: 100,
        treatMissingData: 'notBreaching',
      },
    ]);
  });

  it('puts the volume gate and namespace of the settings into the expression and metrics', () => {
    // Prepare
    const settings = { ...DEFAULT_SPIKE_ALARM_SETTINGS, namespace: 'Edge/SIP', minResponsesPerPeriod: 20 };
    // Act
    const [serverErrors] = buildSpikeAlarmRules(settings);
    // Assess
    expect(serverErrors?.expression).toBe('IF(mTotal >= 20, 100 * FILL(m5xx, 0) / mTotal, 0)');
    expect(serverErrors?.classMetric.namespace).toBe('Edge/SIP');
    expect(serverErrors?.totalMetric.namespace).toBe('Edge/SIP');
  });

  it('makes burst rules that need one breaching period, at 10 % / 5 % of at least 200 responses, over the same N', () => {
    // Prepare
    const settings = DEFAULT_SPIKE_ALARM_SETTINGS;
    // Act
    const bursts = buildBurstAlarmRules(settings);
    // Assess
    expect(
      bursts.map((r) => [
        r.id,
        r.responseClass,
        r.thresholdPercent,
        r.datapointsToAlarm,
        r.evaluationPeriods,
        r.expression,
      ]),
    ).toEqual([
      ['ServerErrorBurst', '5xx', 10, 1, 68, 'IF(mTotal >= 200, 100 * FILL(m5xx, 0) / mTotal, 0)'],
      ['GlobalFailureBurst', '6xx', 5, 1, 68, 'IF(mTotal >= 200, 100 * FILL(m6xx, 0) / mTotal, 0)'],
    ]);
    expect(buildAllSpikeAlarmRules(settings, []).map((r) => r.id)).toEqual([
      'ServerErrorSpike',
      'GlobalFailureSpike',
      'ServerErrorBurst',
      'GlobalFailureBurst',
    ]);
  });

  it("judges a peer's share of its own responses, on Responses by Class and Peer over Responses by Peer", () => {
    // Prepare
    const settings = DEFAULT_SPIKE_ALARM_SETTINGS;
    // Act
    const rules = buildAllSpikeAlarmRules(settings, ['carrier-a']);
    // Assess
    expect(rules.map((r) => r.id)).toEqual([
      'ServerErrorSpike',
      'GlobalFailureSpike',
      'ServerErrorBurst',
      'GlobalFailureBurst',
      'ServerErrorSpike-carrier-a',
      'GlobalFailureSpike-carrier-a',
    ]);
    const peerRule = rules[4];
    expect(peerRule).toEqual({
      ...buildSpikeAlarmRules(settings)[0],
      id: 'ServerErrorSpike-carrier-a',
      peer: 'carrier-a',
      title: '5xx responses from peer carrier-a above 5 % of its responses',
      classMetric: {
        id: 'm5xx',
        namespace: 'SIP',
        metricName: 'Responses',
        dimensions: { Class: '5xx', Peer: 'carrier-a' },
        statistic: 'Sum',
        responseClass: '5xx',
        peer: 'carrier-a',
      },
      totalMetric: {
        id: 'mTotal',
        namespace: 'SIP',
        metricName: 'Responses',
        dimensions: { Peer: 'carrier-a' },
        statistic: 'Sum',
        responseClass: 'all',
        peer: 'carrier-a',
      },
    });
  });
});

describe('evaluationPeriodsFor', () => {
  it('adds the periods the lateness spans (rounded up) to M', () => {
    // Prepare, Act, Assess
    expect(evaluationPeriodsFor(65, 60, 3)).toBe(68);
    expect(evaluationPeriodsFor(61, 300, 2)).toBe(15);
    expect(evaluationPeriodsFor(0, 60, 1)).toBe(1);
  });
});

describe('ratioPercent', () => {
  const rule = { minResponsesPerPeriod: 100 };

  it('is missing when the period holds no response at all', () => {
    // Prepare, Act, Assess
    expect(ratioPercent(rule, 0, undefined)).toBeUndefined();
  });

  it('is 0 below the minimum volume, however many errors: 1 error out of 2 pages nobody', () => {
    // Prepare, Act, Assess
    expect(ratioPercent(rule, 1, 2)).toBe(0);
    expect(ratioPercent(rule, 99, 99)).toBe(0);
  });

  it('is the class share in percent from the minimum volume on', () => {
    // Prepare, Act, Assess
    expect(ratioPercent(rule, 5, 100)).toBe(5);
    expect(ratioPercent(rule, 0, 400)).toBe(0);
    expect(ratioPercent(rule, 30, 200)).toBe(15);
  });
});

describe('isBreaching', () => {
  it('breaches strictly above the threshold, as GreaterThanThreshold does', () => {
    // Prepare
    const rule = { thresholdPercent: 5 };
    // Act, Assess
    expect(isBreaching(rule, 5)).toBe(false);
    expect(isBreaching(rule, 5.01)).toBe(true);
  });
});

describe('describeSpikeRule', () => {
  it('states the gate, M of N and the lateness tolerated', () => {
    // Prepare
    const [, globalFailures] = buildSpikeAlarmRules();
    if (globalFailures === undefined) throw new Error('expected two rules');
    // Act
    const text = describeSpikeRule(globalFailures);
    // Assess
    expect(text).toBe(
      '6xx responses above 2 % of all responses (periods of 60 s with at least 100 responses), in 3 of the last 68 ' +
        'periods: data up to 65 min late still alarms. Missing data is treated as notBreaching.',
    );
  });
});
