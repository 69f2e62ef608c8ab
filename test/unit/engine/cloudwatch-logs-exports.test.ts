import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { chunked, readFixture } from '../../support/collect.js';

/**
 * How a SIP proxy's log reaches an S3 bucket from CloudWatch Logs, read from the bytes each way writes: a subscription
 * filter's records delivered by Firehose (each record a gzip member of `{"messageType": "DATA_MESSAGE", ...,
 * "logEvents": [{"id", "timestamp", "message"}]}`, written back to back; with Firehose's decompression on, the JSON
 * records back to back), and an export task (`create-export-task`: gzip objects of `TIME message` lines). The events
 * are the entries of a real journal (test/fixtures/journal: Kamailio 5.6.3 logging every message it received and sent,
 * 12 calls from SIPp), each entry's MESSAGE an event at its time, as the CloudWatch agent ships a journal.
 */

interface Truth {
  readonly responses: number;
  readonly byCode: Record<string, number>;
  readonly responsesPerMinute: Record<string, Record<string, number>>;
}
const truth = JSON.parse(readFixture('journal/kamailio-journal-j5.truth.json').toString('utf8')) as Truth;

interface LogEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly message: string;
}

/** The journal's entries (`journalctl -o json-pretty`: records back to back) as CloudWatch Logs events. */
const events = ((): LogEvent[] => {
  const text = gunzipSync(readFixture('journal/kamailio-journal-j5.json-pretty.log.gz')).toString('utf8');
  return text
    .split(/\n(?=\{)/)
    .map((r) => JSON.parse(r) as { MESSAGE?: string | number[] | null; __REALTIME_TIMESTAMP: string })
    .filter((r) => r.MESSAGE !== undefined && r.MESSAGE !== null)
    .map((r, i) => ({
      id: String(37_000_000_000_000_000_000n + BigInt(i)),
      timestamp: Math.floor(Number(r.__REALTIME_TIMESTAMP) / 1000),
      message: typeof r.MESSAGE === 'string' ? r.MESSAGE : Buffer.from(r.MESSAGE as number[]).toString('utf8'),
    }));
})();

/** A subscription filter's record of `batch` (what Firehose writes for it). */
const dataMessage = (batch: readonly LogEvent[]): string =>
  JSON.stringify({
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/sip/kamailio',
    logStream: 'i-0abc',
    subscriptionFilters: ['sip'],
    logEvents: batch,
  });

/** The health check CloudWatch Logs sends first. */
const CONTROL_MESSAGE = JSON.stringify({
  messageType: 'CONTROL_MESSAGE',
  owner: 'CloudwatchLogs',
  logGroup: '',
  logStream: '',
  subscriptionFilters: [],
  logEvents: [
    { id: '', timestamp: 1796684536985, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' },
  ],
});

const batches = (size: number): LogEvent[][] =>
  Array.from({ length: Math.ceil(events.length / size) }, (_, i) => events.slice(i * size, (i + 1) * size));

const perMinute = (r: ScanResult): Record<string, Record<string, number>> =>
  Object.fromEntries(r.series.map((m) => [m.minute, m.byCode]));

describe('CloudWatch Logs delivered to S3', () => {
  it.each([
    [
      'a subscription through Firehose: gzip members back to back',
      () => Buffer.concat([CONTROL_MESSAGE, ...batches(7).map(dataMessage)].map((r) => gzipSync(r))),
      ['gzip', 'json-objects', 'kamailio-log'],
    ],
    [
      'a subscription through Firehose with decompression on: JSON records back to back',
      () => Buffer.from([CONTROL_MESSAGE, ...batches(7).map(dataMessage)].join(''), 'utf8'),
      ['json-objects', 'kamailio-log'],
    ],
    [
      'an export task: a gzip of TIME message lines',
      () => gzipSync(events.map((e) => `${new Date(e.timestamp).toISOString()} ${e.message}\n`).join('')),
      ['gzip', 'kamailio-log'],
    ],
  ])('counts every response as tshark counted the capture, at its event`s minute: %s', async (_how, make, formats) => {
    // Prepare
    const bytes = make();

    // Act
    const r = await scan(chunked(bytes, [1000, 4096]));

    // Assess
    expect(r.formats).toEqual(formats);
    expect([r.responses, r.byCode]).toEqual([truth.responses, truth.byCode]);
    expect(r.timedResponses).toBe(truth.responses);
    expect(perMinute(r)).toEqual(truth.responsesPerMinute);
    expect(r.anomalies).toEqual({});
  });
});
