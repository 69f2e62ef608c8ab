import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lambda/config.js';

describe('readConfig', () => {
  it('applies the documented defaults', () => {
    // Act, Assess
    expect(readConfig({ LEDGER_TABLE: 'sip-ledger' })).toEqual({
      metricsNamespace: 'SIP',
      ledgerTable: 'sip-ledger',
      metricDetail: 'class',
      leaseSeconds: 900,
      publishConcurrency: 4,
      objectConcurrency: 4,
      publishMaxAttempts: 6,
      publishTimeoutMs: 10_000,
      ledgerTtlDays: 30,
      s3ForcePathStyle: false,
      kpiMetrics: true,
      logTimeZones: { defaultZone: 'UTC', byPrefix: [] },
    });
  });

  it('turns the KPI metrics off with KPI_METRICS=false and refuses anything but true or false', () => {
    // Act, Assess
    expect(readConfig({ LEDGER_TABLE: 'sip-ledger', KPI_METRICS: 'false' }).kpiMetrics).toBe(false);
    expect(() => readConfig({ LEDGER_TABLE: 'sip-ledger', KPI_METRICS: 'yes' })).toThrow(
      expect.objectContaining({ code: 'CONFIG', message: 'KPI_METRICS must be true or false, got "yes"' }),
    );
  });

  it('uses path-style S3 addressing when an S3 or global endpoint is configured', () => {
    // Act, Assess
    expect(readConfig({ LEDGER_TABLE: 't12', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4568' }).s3ForcePathStyle).toBe(
      true,
    );
    expect(readConfig({ LEDGER_TABLE: 't12', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).s3ForcePathStyle).toBe(true);
  });

  it('reads the retry queue URL the stack passes and refuses what is no http(s) URL', () => {
    // Prepare
    const url = 'https://sqs.eu-west-1.amazonaws.com/111122223333/SipMetrics-Queue';

    // Act, Assess
    expect(readConfig({ LEDGER_TABLE: 'sip-ledger', RETRY_QUEUE_URL: url }).retryQueueUrl).toBe(url);
    expect(readConfig({ LEDGER_TABLE: 'sip-ledger', RETRY_QUEUE_URL: ' ' }).retryQueueUrl).toBeUndefined();
    expect(() => readConfig({ LEDGER_TABLE: 'sip-ledger', RETRY_QUEUE_URL: 'arn:aws:sqs:eu-west-1:1:q' })).toThrow(
      expect.objectContaining({ message: 'RETRY_QUEUE_URL must be an SQS queue URL (https://sqs...)' }),
    );
  });

  it('reports every problem in one ConfigError', () => {
    // Act, Assess
    expect(() =>
      readConfig({
        METRICS_NAMESPACE: 'AWS/SIP',
        METRIC_DETAIL: 'all',
        PUBLISH_TIMEOUT_MS: '10',
        LEDGER_TTL_DAYS: '7',
      }),
    ).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        code: 'CONFIG',
        message:
          'METRICS_NAMESPACE must not start with "AWS/" or ":"; LEDGER_TABLE is required; ' +
          'METRIC_DETAIL must be one of class, code, method, got "all"; PUBLISH_TIMEOUT_MS must be >= 100; ' +
          'LEDGER_TTL_DAYS must be >= 15',
      }),
    );
  });

  it('reads the log time zone and its overrides by key prefix (longest first), with every zone problem listed', () => {
    // Act
    const c = readConfig({
      LEDGER_TABLE: 't12',
      LOG_TIME_ZONE: 'Europe/Berlin',
      LOG_TIME_ZONES_BY_PREFIX: '{"ny/":"America/New_York","ny/lab/":"UTC"}',
    });

    // Assess
    expect(c.logTimeZones).toEqual({
      defaultZone: 'Europe/Berlin',
      byPrefix: [
        ['ny/lab/', 'UTC'],
        ['ny/', 'America/New_York'],
      ],
    });
    expect(() =>
      readConfig({ LEDGER_TABLE: 't12', LOG_TIME_ZONE: 'CEST', LOG_TIME_ZONES_BY_PREFIX: '{"a/":"Mars/Olympus"}' }),
    ).toThrow(
      'LOG_TIME_ZONE: "CEST" is not an IANA time zone or UTC offset (e.g. Europe/Berlin, UTC, +05:30); ' +
        'LOG_TIME_ZONES_BY_PREFIX: "Mars/Olympus" (for key prefix "a/") is not an IANA time zone or UTC offset',
    );
  });

  it('reads a peer map and per-peer metrics, with every peer-map problem listed', () => {
    // Act
    const c = readConfig({ LEDGER_TABLE: 't12', PEERS: '{"carrier":["203.0.113.0/24"]}', PEER_METRICS: 'true' });

    // Assess
    expect(c.peers?.nameOf('203.0.113.9:5060')).toBe('carrier');
    expect(c.peerMetrics).toEqual({ names: ['carrier'], topN: 10 });
    expect(() => readConfig({ LEDGER_TABLE: 't12', PEERS: '{"unknown":["1.2.3.4/99"]}', PEER_METRICS: 'yes' })).toThrow(
      'PEERS: peer name "unknown" is reserved; PEERS: peer "unknown": "1.2.3.4/99" is not a CIDR block; ' +
        'PEER_METRICS must be true or false, got "yes"',
    );
  });
});
