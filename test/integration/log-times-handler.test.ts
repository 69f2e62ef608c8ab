import { readFileSync } from 'node:fs';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalS3Client } from '../../local/emulators.js';
import { readFixture } from '../support/collect.js';
import { CORPUS_DIR } from '../support/corpus.js';
import { coldStartHandler, type Emulators, startEmulators } from '../support/emulators.js';
import { lambdaContext } from '../support/lambda-context.js';
import { s3Event } from '../support/s3-event.js';
import { sqsEvent, sqsRecord } from '../support/sqs-event.js';

const DAY_MS = 86_400_000;
/** The last stamp of the FreeSWITCH fixture: 00:00:00.298519 in Berlin on 2026-11-25 (test/fixtures/time). */
const FIXTURE_LAST_MS = Date.parse('2026-11-24T23:00:00.298519Z');
/** How far past the reference instant the last time may lie (lambda/engine/log-clock.ts FUTURE_TOLERANCE_MS). */
const TOLERANCE_MS = 5 * 60_000;

let emu: Emulators;

beforeAll(async () => {
  emu = await startEmulators();
});

afterAll(async () => {
  await emu.stop();
});

describe('the deployed function places log times with LastModified and the configured zones', () => {
  it('reads a FreeSWITCH siptrace under pbx-berlin/ in Europe/Berlin, dated by its LastModified, none untimed', async () => {
    // Prepare
    const { handler } = await coldStartHandler(
      { ...emu.env, LOG_TIME_ZONE: 'UTC', LOG_TIME_ZONES_BY_PREFIX: '{"pbx-berlin/":"Europe/Berlin"}' },
      vi.resetModules,
    );
    const obj = await emu.put(
      'pbx-berlin/siptrace.log.gz',
      readFixture('time/freeswitch-siptrace-midnight-berlin.log.gz'),
    );
    const head = await createLocalS3Client(emu.env.AWS_ENDPOINT_URL_S3 ?? '').send(
      new HeadObjectCommand({ Bucket: emu.bucket, Key: obj.key }),
    );
    const lastModified = head.LastModified?.getTime() ?? Number.NaN;
    // the log's last time of day on the latest date not after LastModified: whole days after the capture's
    const days = Math.floor((lastModified + TOLERANCE_MS - FIXTURE_LAST_MS) / DAY_MS);
    const truth: Record<string, Record<string, number>> = JSON.parse(
      readFixture('time/freeswitch-siptrace-midnight-berlin.log.truth.json').toString(),
    ).responsesPerMinute;
    const expected = Object.fromEntries(
      Object.entries(truth).map(([m, codes]) => [
        Date.parse(m) + days * DAY_MS,
        Object.values(codes).reduce((a, b) => a + b, 0),
      ]),
    );

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess
    const totals = emu.cloudWatch.datums.filter(
      (d) => d.metricName === 'Responses' && Object.keys(d.dimensions).length === 0,
    );
    expect(Object.fromEntries(totals.map((d) => [d.timestampMs, d.counts[0]]))).toEqual(expected);
    expect(emu.cloudWatch.sum('UntimedResponses')).toBe(0);
  });

  it('publishes UntimedResponses at the upload minute for a log that prints no time (ngrep without -t)', async () => {
    // Prepare
    emu.cloudWatch.reset();
    const { handler } = await coldStartHandler(emu.env, vi.resetModules);
    const obj = await emu.put('untimed/mixed.ngrep.txt.gz', readFileSync(`${CORPUS_DIR}mixed.ngrep.txt.gz`));
    const uploaded = Date.now() - 42 * 60_000;

    // Act
    await handler(
      sqsEvent(sqsRecord(s3Event({ ...obj, eventTime: new Date(uploaded).toISOString() }))),
      lambdaContext(),
    );

    // Assess
    const untimed = emu.cloudWatch.datums.filter((d) => d.metricName === 'UntimedResponses');
    const responses = emu.cloudWatch.datums.filter(
      (d) => d.metricName === 'Responses' && Object.keys(d.dimensions).length === 0,
    );
    expect(untimed.map((d) => [d.timestampMs, d.counts[0]])).toEqual(
      responses.map((d) => [d.timestampMs, d.counts[0]]),
    );
    expect(emu.cloudWatch.sum('UntimedResponses')).toBe(1834);
  });
});
