import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ledgerKey } from '../../lambda/contract/ledger.js';
import type { LoopbackCloudWatch } from '../../local/loopback-cloudwatch.js';
import { accLog } from '../support/acc-log.js';
import { spawnHandler } from '../support/child-handler.js';
import { CORPUS_DIR } from '../support/corpus.js';
import { startDynamoDbFaultProxy } from '../support/dynamodb-fault-proxy.js';
import { coldStartHandler, type Emulators, startEmulators } from '../support/emulators.js';
import { lambdaContext } from '../support/lambda-context.js';
import { type ObjectEventInput, s3Event } from '../support/s3-event.js';
import { sqsEvent, sqsRecord } from '../support/sqs-event.js';

type Handler = Awaited<ReturnType<typeof coldStartHandler>>['handler'];

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'] as const;

/**
 * 600 minutes x 6 responses, one of each class per minute: 600 x (1 total + 6 classes) = 4,200 `Responses`
 * datums plus FilesProcessed, BytesProcessed and ProcessingLagSeconds = 4,203, i.e. 5 PutMetricData calls
 * of at most 1,000 datums.
 */
const MULTI_BATCH_LOG = accLog({
  startMs: Date.now() - 11 * 3_600_000,
  minutes: 600,
  codes: [100, 200, 302, 486, 503, 603],
  perMinute: 6,
});
const MULTI_BATCH_CALLS = 5;
const MULTI_BATCH_BY_CLASS = { '1xx': 600, '2xx': 600, '3xx': 600, '4xx': 600, '5xx': 600, '6xx': 600 };

const publishedByClass = (cw: LoopbackCloudWatch): Record<string, number> =>
  Object.fromEntries(CLASSES.map((c) => [c, cw.sum('Responses', { Class: c })]));

const ackedBatches = (item: Record<string, unknown> | undefined): number[] =>
  ((item?.ackedBatches as { NS?: string[] } | undefined)?.NS ?? []).map(Number).sort((a, b) => a - b);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds (or fails the test after `timeoutMs`). */
const waitFor = async (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
};

// A short socket timeout makes "a reply that never comes" fail fast enough to retry within the test.
const FUNCTION_ENV = { PUBLISH_CONCURRENCY: '4', PUBLISH_TIMEOUT_MS: '1500', PUBLISH_MAX_ATTEMPTS: '6' } as const;

let emu: Emulators;
let handler: Handler;
let fileNo = 0;

beforeAll(async () => {
  emu = await startEmulators();
  ({ handler } = await coldStartHandler({ ...emu.env, ...FUNCTION_ENV }, vi.resetModules));
});

afterAll(async () => {
  await emu.stop();
});

beforeEach(() => {
  emu.cloudWatch.reset();
});

const putMultiBatch = (): Promise<ObjectEventInput> => emu.put(`multi/${++fileNo}.acc.log`, MULTI_BATCH_LOG.text);

const deliver = (obj: ObjectEventInput, messageId?: string) =>
  handler(sqsEvent(sqsRecord(s3Event(obj), messageId)), lambdaContext());

describe('duplicate deliveries', () => {
  it('skips a second delivery of a finished object: totals unchanged, no call made', async () => {
    // Prepare
    const obj = await emu.put(`dup/${++fileNo}.log`, readFileSync(`${CORPUS_DIR}mixed.pjsip-style.log`));
    await deliver(obj);
    const callsAfterFirst = emu.cloudWatch.accepted();

    // Act
    const second = await deliver(obj);

    // Assess
    expect(second).toEqual({ batchItemFailures: [] });
    expect(callsAfterFirst).toBe(1);
    expect(emu.cloudWatch.requests).toHaveLength(1);
    expect(publishedByClass(emu.cloudWatch)).toEqual({
      '1xx': 648,
      '2xx': 784,
      '3xx': 22,
      '4xx': 279,
      '5xx': 55,
      '6xx': 46,
    });
  });

  it('lets one of two concurrent deliveries process and fails the other, which later finds it done', async () => {
    // Prepare: slow replies keep the first claim held while the second delivery arrives
    const obj = await putMultiBatch();
    emu.cloudWatch.setFaults(() => ({ kind: 'slow', ms: 200 }));

    // Act
    const [a, b] = await Promise.all([deliver(obj, 'copy-a'), deliver(obj, 'copy-b')]);
    const failed = [...(a?.batchItemFailures ?? []), ...(b?.batchItemFailures ?? [])].map((f) => f.itemIdentifier);
    const redelivered = await deliver(obj, failed[0]);

    // Assess
    expect(failed).toHaveLength(1);
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.accepted()).toBe(MULTI_BATCH_CALLS);
    expect(publishedByClass(emu.cloudWatch)).toEqual(MULTI_BATCH_BY_CLASS);
    expect(emu.cloudWatch.sum('FilesProcessed')).toBe(1);
  });
});

describe('a failure after k of n metric batches, then redelivery', () => {
  it('sends only the 3 unacknowledged batches when CloudWatch refused the rest after 2 of 5', async () => {
    // Prepare: a 403 is not retried by the SDK, and it is not the data's fault, so the message comes back
    const obj = await putMultiBatch();
    emu.cloudWatch.setFaults((_i, accepted) => (accepted < 2 ? null : { kind: 'denied' }));

    // Act
    const first = await deliver(obj, 'crash-1');
    const afterFirst = await emu.ledgerItem(ledgerKey(obj));
    emu.cloudWatch.setFaults(null);
    const acceptedBefore = emu.cloudWatch.accepted();
    const second = await deliver(obj, 'crash-1');

    // Assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'crash-1' }] });
    expect(afterFirst?.status).toEqual({ S: 'claimed' });
    expect(ackedBatches(afterFirst)).toHaveLength(2);
    expect(second).toEqual({ batchItemFailures: [] });
    expect(acceptedBefore).toBe(2);
    expect(emu.cloudWatch.accepted()).toBe(MULTI_BATCH_CALLS);
    expect(publishedByClass(emu.cloudWatch)).toEqual(MULTI_BATCH_BY_CLASS);
    expect(emu.cloudWatch.sum('Responses')).toBe(3600);
    expect(emu.cloudWatch.sum('FilesProcessed')).toBe(1);
    const done = await emu.ledgerItem(ledgerKey(obj));
    expect(done?.status).toEqual({ S: 'done' });
    expect(ackedBatches(done)).toEqual([0, 1, 2, 3, 4]);
  });

  it('sends a one-batch file once when the key progress write after its send fails for a while', async () => {
    // Prepare: a handler whose DynamoDB answers the key progress commit (growing logs) with 500s while `failing`
    let failing = true;
    const proxy = await startDynamoDbFaultProxy(
      emu.env.AWS_ENDPOINT_URL_DYNAMODB ?? '',
      (target, body) => failing && target.endsWith('.UpdateItem') && body.includes('committedBy'),
    );
    const dynamoDbUrl = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    const faulty = await coldStartHandler(
      { ...emu.env, ...FUNCTION_ENV, AWS_ENDPOINT_URL_DYNAMODB: proxy.url },
      vi.resetModules,
    );
    const obj = await emu.put('single/sipp.log', readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`));
    const event = sqsEvent(sqsRecord(s3Event(obj), 'commit'));

    // Act
    let first: unknown;
    let second: unknown;
    let callsFirst = -1;
    try {
      first = await faulty.handler(event, lambdaContext());
      callsFirst = emu.cloudWatch.accepted();
      failing = false;
      second = await faulty.handler(event, lambdaContext());
    } finally {
      // the SDK reads the endpoint from the environment when it sends: the other tests' handler goes on as before
      process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDbUrl;
      await proxy.stop();
    }

    // Assess: before, the single batch was acknowledged only with the file's completion, after the commit: the
    // retry sent it again and every count of the file doubled
    expect([first, second]).toEqual([{ batchItemFailures: [{ itemIdentifier: 'commit' }] }, { batchItemFailures: [] }]);
    expect(proxy.failed()).toBeGreaterThan(0);
    expect([callsFirst, emu.cloudWatch.accepted()]).toEqual([1, 1]);
    expect(publishedByClass(emu.cloudWatch)).toEqual({ '1xx': 80, '2xx': 40, '3xx': 0, '4xx': 40, '5xx': 0, '6xx': 0 });
    expect((await emu.ledgerItem(ledgerKey(obj)))?.status).toEqual({ S: 'done' });
  });

  it('takes over the claim of a killed process after its lease and completes the file exactly', async () => {
    // Prepare: the child gets 2 batches through, then CloudWatch stops answering and we kill it
    const obj = await putMultiBatch();
    emu.cloudWatch.setFaults((_i, accepted) => (accepted < 2 ? null : { kind: 'hang' }));
    const child = spawnHandler(sqsEvent(sqsRecord(s3Event(obj), 'killed')), {
      ...emu.env,
      ...FUNCTION_ENV,
      PUBLISH_TIMEOUT_MS: '60000',
      REMAINING_MS: '3000',
    });
    await waitFor(async () => ackedBatches(await emu.ledgerItem(ledgerKey(obj))).length === 2, 30_000, '2 acks');
    child.process.kill('SIGKILL');
    const killed = await child.exited;
    const orphaned = await emu.ledgerItem(ledgerKey(obj));
    emu.cloudWatch.reset();

    // Act
    const early = await deliver(obj, 'killed');
    const leaseEnd = Number((orphaned?.leaseExpiresAtMs as { N?: string } | undefined)?.N ?? 0);
    await sleep(Math.max(0, leaseEnd - Date.now() + 50));
    const late = await deliver(obj, 'killed');

    // Assess
    expect(killed.signal).toBe('SIGKILL');
    expect(orphaned?.status).toEqual({ S: 'claimed' });
    expect(early).toEqual({ batchItemFailures: [{ itemIdentifier: 'killed' }] });
    expect(late).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.accepted()).toBe(MULTI_BATCH_CALLS - 2);
    const done = await emu.ledgerItem(ledgerKey(obj));
    expect(done?.status).toEqual({ S: 'done' });
    expect(ackedBatches(done)).toEqual([0, 1, 2, 3, 4]);
    expect(done?.attempts).toEqual({ N: '2' });
  }, 60_000);

  it('fails the record during a CloudWatch outage longer than the SDK retries, then completes it exactly', async () => {
    // Prepare
    const obj = await putMultiBatch();
    emu.cloudWatch.setFaults((_i, accepted) => (accepted < 1 ? null : { kind: 'server-error', status: 503 }));

    // Act
    const during = await deliver(obj, 'outage');
    emu.cloudWatch.setFaults(null);
    const after = await deliver(obj, 'outage');

    // Assess
    expect(during).toEqual({ batchItemFailures: [{ itemIdentifier: 'outage' }] });
    expect(after).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.accepted()).toBe(MULTI_BATCH_CALLS);
    expect(publishedByClass(emu.cloudWatch)).toEqual(MULTI_BATCH_BY_CLASS);
  });
});

describe('CloudWatch misbehaving within the SDK retries', () => {
  it('keeps totals exact through a burst of throttling', async () => {
    // Prepare
    const obj = await putMultiBatch();
    emu.cloudWatch.setFaults((i) => (i < 6 ? { kind: 'throttle' } : null));

    // Act
    const out = await deliver(obj);

    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.requests.filter((r) => r.status === 400)).toHaveLength(6);
    expect(emu.cloudWatch.accepted()).toBe(MULTI_BATCH_CALLS);
    expect(publishedByClass(emu.cloudWatch)).toEqual(MULTI_BATCH_BY_CLASS);
  });

  it('keeps totals exact through a burst of 500, 502, 503 and 504 replies', async () => {
    // Prepare
    const obj = await putMultiBatch();
    const statuses = [500, 502, 503, 504, 500, 503] as const;
    emu.cloudWatch.setFaults((i) => (i < statuses.length ? { kind: 'server-error', status: statuses[i] } : null));

    // Act
    const out = await deliver(obj);

    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.requests.map((r) => r.status).filter((s) => s >= 500)).toEqual([...statuses]);
    expect(emu.cloudWatch.accepted()).toBe(MULTI_BATCH_CALLS);
    expect(publishedByClass(emu.cloudWatch)).toEqual(MULTI_BATCH_BY_CLASS);
  });

  it('keeps totals exact with slow replies and retries a reply that never comes', async () => {
    // Prepare
    const obj = await putMultiBatch();
    emu.cloudWatch.setFaults((i) => (i === 0 ? { kind: 'hang' } : { kind: 'slow', ms: 150 }));

    // Act
    const out = await deliver(obj);

    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.requests).toHaveLength(MULTI_BATCH_CALLS + 1);
    expect(emu.cloudWatch.accepted()).toBe(MULTI_BATCH_CALLS);
    expect(publishedByClass(emu.cloudWatch)).toEqual(MULTI_BATCH_BY_CLASS);
  });

  it('sends large batches gzip-compressed, within 1,000 datums and 1 MB per call', async () => {
    // Prepare
    const obj = await putMultiBatch();

    // Act
    await deliver(obj);

    // Assess
    const sizes = emu.cloudWatch.requests.map((r) => r.datums);
    expect(sizes).toHaveLength(MULTI_BATCH_CALLS);
    expect([...sizes].sort((a, b) => b - a)).toEqual([1000, 1000, 1000, 1000, 203]);
    expect(emu.cloudWatch.requests.every((r) => r.contentEncoding === 'gzip')).toBe(true);
    expect(Math.max(...emu.cloudWatch.requests.map((r) => r.jsonBytes))).toBeLessThan(1024 * 1024);
  });
});
