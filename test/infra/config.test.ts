import { describe, expect, it } from 'vitest';
import { readAppStackConfig, readStackConfig, type StackConfig, StackConfigError } from '../../infra/config.js';
import { cdkJsonContext } from './synth.js';

const DEFAULT_CONFIG: StackConfig = {
  stackName: 'SipMetrics',
  namespace: 'SIP',
  keyPrefix: 'logs/',
  keySuffixes: [],
  metricDetail: 'class',
  peers: {},
  peerMetrics: false,
  peerTopN: 10,
  kpiMetrics: true,
  peerAlarms: [],
  bucketEncryption: 's3-managed',
  logExpirationDays: 90,
  noncurrentVersionExpirationDays: 30,
  accessLogExpirationDays: 90,
  ledgerRetentionDays: 30,
  retainData: true,
  functionMemoryMiB: 1769,
  functionTimeoutSeconds: 900,
  batchSize: 5,
  maxConcurrency: 10,
  functionLogRetentionDays: 30,
  alarmEmail: undefined,
  alarmLatenessMinutes: 65,
  spikeAlarms: {
    namespace: 'SIP',
    periodSeconds: 60,
    datapointsToAlarm: 3,
    evaluationPeriods: 68,
    minResponsesPerPeriod: 100,
    serverErrorThresholdPercent: 5,
    globalFailureThresholdPercent: 2,
    burstMinResponsesPerPeriod: 200,
    serverErrorBurstThresholdPercent: 10,
    globalFailureBurstThresholdPercent: 5,
  },
  kpiAlarms: {
    namespace: 'SIP',
    periodSeconds: 60,
    datapointsToAlarm: 3,
    evaluationPeriods: 68,
    minTransactionsPerPeriod: 30,
  },
  anomalyDetection: false,
  anomalyStdDevs: 3,
  queueAgeAlarmSeconds: 900,
};

const problemsOf = (context: Record<string, unknown>): readonly string[] => {
  try {
    readStackConfig(context);
  } catch (e) {
    if (e instanceof StackConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a StackConfigError');
};

describe('readStackConfig', () => {
  it('reads the repository cdk.json as the documented defaults', () => {
    // Prepare
    const context = cdkJsonContext();
    // Act
    const config = readStackConfig(context);
    // Assess
    expect(config).toEqual(DEFAULT_CONFIG);
  });

  it('applies the same defaults to an empty context and ignores context keys that are not ours', () => {
    // Prepare
    const context = { '@aws-cdk/core:enablePartitionLiterals': true, 'cli-telemetry': false };
    // Act
    const config = readStackConfig(context);
    // Assess
    expect(config).toEqual(DEFAULT_CONFIG);
  });

  it('accepts command-line strings for numbers, booleans and lists', () => {
    // Prepare
    const context = {
      'sipMetrics:batchSize': '8',
      'sipMetrics:retainData': 'false',
      'sipMetrics:keySuffixes': ' .gz , .pcap,',
      'sipMetrics:serverErrorThresholdPercent': '2.5',
    };
    // Act
    const config = readStackConfig(context);
    // Assess
    expect(config.batchSize).toBe(8);
    expect(config.retainData).toBe(false);
    expect(config.keySuffixes).toEqual(['.gz', '.pcap']);
    expect(config.spikeAlarms.serverErrorThresholdPercent).toBe(2.5);
  });

  it('derives N from the lateness: M + lateness / period, so a datum that late still lands in the range', () => {
    // Prepare
    const context = {
      'sipMetrics:alarmPeriodSeconds': 300,
      'sipMetrics:alarmDatapointsToAlarm': 2,
      'sipMetrics:alarmLatenessMinutes': 62,
    };
    // Act
    const config = readStackConfig(context);
    // Assess
    expect(config.spikeAlarms.evaluationPeriods).toBe(2 + 13);
  });

  it('keeps an explicit N that covers the lateness', () => {
    // Prepare
    const context = { 'sipMetrics:alarmEvaluationPeriods': 120 };
    // Act
    const config = readStackConfig(context);
    // Assess
    expect(config.spikeAlarms.evaluationPeriods).toBe(120);
  });

  it('lists every problem in one error, each naming the key, what is valid and what it got', () => {
    // Prepare
    const context = {
      'sipMetrics:metricDetail': 'all',
      'sipMetrics:alarmEmial': 'ops@example.com',
      'sipMetrics:namespace': 'AWS/SIP',
      'sipMetrics:keyPrefix': 'logs/*',
      'sipMetrics:keySuffixes': ['.gz', '.log.gz'],
      'sipMetrics:functionMemoryMiB': 128,
      'sipMetrics:functionTimeoutSeconds': '15m',
      'sipMetrics:functionLogRetentionDays': 31,
      'sipMetrics:retainData': 'yes',
      'sipMetrics:alarmEmail': 'ops',
      'sipMetrics:alarmPeriodSeconds': 90,
      'sipMetrics:serverErrorThresholdPercent': 100,
      'sipMetrics:ledgerRetentionDays': 7,
    };
    // Act
    const problems = problemsOf(context);
    // Assess
    expect(problems).toEqual([
      'sipMetrics:alarmEmial is not a setting of this app (known: stackName, namespace, keyPrefix, keySuffixes, ' +
        'metricDetail, peers, peerMetrics, peerTopN, kpiMetrics, peerAlarms, bucketEncryption, logExpirationDays, noncurrentVersionExpirationDays, accessLogExpirationDays, ' +
        'ledgerRetentionDays, retainData, functionMemoryMiB, functionTimeoutSeconds, batchSize, maxConcurrency, ' +
        'functionLogRetentionDays, alarmEmail, alarmPeriodSeconds, alarmDatapointsToAlarm, alarmEvaluationPeriods, ' +
        'alarmLatenessMinutes, alarmMinResponses, serverErrorThresholdPercent, globalFailureThresholdPercent, ' +
        'burstMinResponses, serverErrorBurstThresholdPercent, globalFailureBurstThresholdPercent, isaAlarmThresholdPercent, ' +
        'serAlarmThresholdPercent, kpiAlarmMinTransactions, anomalyDetection, anomalyStdDevs, queueAgeAlarmSeconds)',
      'sipMetrics:namespace must be 1-255 of A-Z a-z 0-9 . - _ / # : and must not start with "AWS/" or ":", got "AWS/SIP"',
      'sipMetrics:keyPrefix must be a non-empty S3 key prefix without * or ? and without a leading /, got "logs/*"',
      'sipMetrics:metricDetail must be one of class, code, method, got "all"',
      'sipMetrics:ledgerRetentionDays must be a whole number of days from 15 (longer than the 14-day DLQ retention) to 3650, got 7',
      'sipMetrics:retainData must be true or false, got "yes"',
      'sipMetrics:functionMemoryMiB must be a whole number of MiB from 256 (the engine needs about 150 MB) to 10240, got 128',
      'sipMetrics:functionTimeoutSeconds must be a whole number of seconds from 60 to 900 (the Lambda maximum), got "15m"',
      'sipMetrics:functionLogRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, ' +
        '731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (days CloudWatch Logs accepts), got 31',
      'sipMetrics:alarmEmail must be an e-mail address, got "ops"',
      'sipMetrics:alarmPeriodSeconds must be a multiple of 60 seconds from 60 to 21600, got 90',
      'sipMetrics:serverErrorThresholdPercent must be a percentage above 0 and below 100, got 100',
      'sipMetrics:keySuffixes ".log.gz" and ".gz" overlap (S3 rejects overlapping filters); keep ".gz"',
    ]);
  });

  it('reports a key named like an Object method as unknown, not as a setting', () => {
    // Prepare
    const context = { 'sipMetrics:toString': 'x' };
    // Act
    const problems = problemsOf(context);
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]?.startsWith('sipMetrics:toString is not a setting of this app (known: stackName, ')).toBe(true);
  });

  it('rejects an explicit N too short for the lateness, and M above N', () => {
    // Prepare
    const context = { 'sipMetrics:alarmEvaluationPeriods': 5, 'sipMetrics:alarmDatapointsToAlarm': 6 };
    // Act
    const problems = problemsOf(context);
    // Assess
    expect(problems).toEqual([
      'sipMetrics:alarmDatapointsToAlarm (6) must not exceed the evaluation periods (5)',
      'sipMetrics:alarmEvaluationPeriods (5) is too short for sipMetrics:alarmLatenessMinutes (65): a late ' +
        "file's spike would fall outside the evaluated range; use at least 71 or omit it",
    ]);
  });

  it('rejects an evaluation range longer than the day CloudWatch allows', () => {
    // Prepare
    const context = { 'sipMetrics:alarmPeriodSeconds': 3600, 'sipMetrics:alarmLatenessMinutes': 1380 };
    // Act
    const problems = problemsOf(context);
    // Assess
    expect(problems).toEqual([
      'evaluation periods × sipMetrics:alarmPeriodSeconds is 26 × 3600 s, more than the one day CloudWatch allows; ' +
        'lower sipMetrics:alarmLatenessMinutes or raise the period',
    ]);
  });

  it('throws a CONFIG error whose message carries every problem', () => {
    // Prepare
    const context = { 'sipMetrics:batchSize': 0, 'sipMetrics:maxConcurrency': 1 };
    // Act
    const act = (): StackConfig => readStackConfig(context);
    // Assess
    expect(act).toThrowError(
      new StackConfigError([
        'sipMetrics:batchSize must be a whole number from 1 to 10, got 0',
        'sipMetrics:maxConcurrency must be a whole number from 2 to 1000 (the SQS event source limits), got 1',
      ]),
    );
    try {
      act();
    } catch (e) {
      expect((e as StackConfigError).code).toBe('CONFIG');
      expect((e as StackConfigError).message).toBe(
        'Invalid cdk.json context: sipMetrics:batchSize must be a whole number from 1 to 10, got 0; ' +
          'sipMetrics:maxConcurrency must be a whole number from 2 to 1000 (the SQS event source limits), got 1',
      );
    }
  });
});

describe('readAppStackConfig', () => {
  it("reads the whole context of the app's construct node", () => {
    // Prepare
    const app = { node: { getAllContext: (): Record<string, unknown> => ({ 'sipMetrics:metricDetail': 'code' }) } };
    // Act
    const config = readAppStackConfig(app);
    // Assess
    expect(config).toEqual({ ...DEFAULT_CONFIG, metricDetail: 'code' });
  });

  it('refuses a peer map the function would refuse', () => {
    // Act, Assess
    expect(() => readStackConfig({ 'sipMetrics:peers': { other: ['10.0.0.1'] }, 'sipMetrics:peerTopN': 500 })).toThrow(
      expect.objectContaining({ code: 'CONFIG' }),
    );
    expect(readStackConfig({ 'sipMetrics:peers': '{"pbx":["192.0.2.10"]}' }).peers).toEqual({ pbx: ['192.0.2.10'] });
  });

  it('takes per-peer alarms for named peers, from JSON or a comma-separated -c value', () => {
    // Prepare
    const peers = { 'carrier-a': ['203.0.113.0/24'], pbx: ['192.0.2.10'] };

    // Act
    const fromJson = readStackConfig({
      'sipMetrics:peers': peers,
      'sipMetrics:peerMetrics': true,
      'sipMetrics:peerAlarms': ['carrier-a'],
    });
    const fromCli = readStackConfig({
      'sipMetrics:peers': JSON.stringify(peers),
      'sipMetrics:peerMetrics': 'true',
      'sipMetrics:peerAlarms': 'carrier-a, pbx',
    });

    // Assess
    expect(fromJson.peerAlarms).toEqual(['carrier-a']);
    expect(fromCli.peerAlarms).toEqual(['carrier-a', 'pbx']);
  });

  it('sets the ISA and SER alarms from their thresholds, and refuses them without the KPI metrics', () => {
    // Act
    const config = readStackConfig({
      'sipMetrics:isaAlarmThresholdPercent': '15',
      'sipMetrics:serAlarmThresholdPercent': 35,
    });
    const problems = problemsOf({ 'sipMetrics:kpiMetrics': false, 'sipMetrics:serAlarmThresholdPercent': 35 });

    // Assess
    expect(config.kpiAlarms).toEqual({
      namespace: 'SIP',
      periodSeconds: 60,
      datapointsToAlarm: 3,
      evaluationPeriods: 68,
      minTransactionsPerPeriod: 30,
      isaThresholdPercent: 15,
      serThresholdPercent: 35,
    });
    expect(problems).toEqual([
      'sipMetrics:isaAlarmThresholdPercent and serAlarmThresholdPercent read the KPI metrics: keep kpiMetrics on',
    ]);
  });

  it('refuses per-peer alarms without per-peer metrics, for unnamed peers, or twice, all at once', () => {
    // Act
    const problems = problemsOf({
      'sipMetrics:peers': { 'carrier-a': ['203.0.113.0/24'] },
      'sipMetrics:peerAlarms': ['carrier-a', '198.51.100.7', 'carrier-a'],
    });

    // Assess
    expect(problems).toEqual([
      'sipMetrics:peerAlarms: per-peer alarms read the per-peer metrics: turn peerMetrics on',
      'sipMetrics:peerAlarms: "198.51.100.7" is not a peer of the peer map (peers: carrier-a)',
      'sipMetrics:peerAlarms: a peer is listed twice',
    ]);
  });
});
