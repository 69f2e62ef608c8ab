import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbLedger } from '../../lambda/adapters/dynamodb-ledger.js';
import { ledgerKey } from '../../lambda/contract/ledger.js';
import { scan } from '../../lambda/engine/index.js';
import { partialResultOf } from '../../lambda/errors.js';
import { createLocalDynamoDbClient } from '../../local/emulators.js';
import type { LoopbackCloudWatch } from '../../local/loopback-cloudwatch.js';
import { accLog } from '../support/acc-log.js';
import { chunked } from '../support/collect.js';
import { CORPUS_DIR, corpusFiles, expectedFor } from '../support/corpus.js';
import { coldStartHandler, type Emulators, startEmulators } from '../support/emulators.js';
import { lambdaContext } from '../support/lambda-context.js';
import { type LoopbackSqs, startLoopbackSqs } from '../support/loopback-sqs.js';
import { eventBridgeObjectCreated, type ObjectEventInput, s3Event, s3TestEvent } from '../support/s3-event.js';
import { sqsEvent, sqsRecord } from '../support/sqs-event.js';

type Handler = Awaited<ReturnType<typeof coldStartHandler>>['handler'];

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'] as const;

/** Published `Responses` per Class, summed over every datum and minute. */
const publishedByClass = (cw: LoopbackCloudWatch): Record<string, number> =>
  Object.fromEntries(CLASSES.map((c) => [c, cw.sum('Responses', { Class: c })]));

/** A deterministic byte generator (xorshift32), so the "binary file" is the same in every run. */
const pseudoRandomBytes = (n: number, seed: number): Buffer => {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};

let emu: Emulators;
let sqs: LoopbackSqs;
let handler: Handler;
/** The queue the stack would pass in RETRY_QUEUE_URL (any URL: the SDK sends to AWS_ENDPOINT_URL_SQS). */
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/sip-logs';

beforeAll(async () => {
  emu = await startEmulators();
  sqs = await startLoopbackSqs();
  ({ handler } = await coldStartHandler(
    { ...emu.env, AWS_ENDPOINT_URL_SQS: sqs.url, RETRY_QUEUE_URL: QUEUE_URL },
    vi.resetModules,
  ));
});

afterAll(async () => {
  await emu.stop();
  await sqs.stop();
});

beforeEach(() => {
  emu.cloudWatch.reset();
  sqs.reset();
});

/** Delivers each payload as one SQS message of one batch, as the event source mapping does. */
const deliver = (...payloads: unknown[]) => handler(sqsEvent(...payloads.map((p) => sqsRecord(p))), lambdaContext());

describe('every corpus file through S3, SQS and the handler', () => {
  for (const file of corpusFiles()) {
    it(`publishes the responses of ${file} per Class exactly as tshark counts them`, async () => {
      // Prepare
      const expected = expectedFor(file);
      const obj = await emu.put(`corpus/${file}`, readFileSync(`${CORPUS_DIR}${file}`));

      // Act
      const out = await deliver(s3Event(obj));

      // Assess
      expect(out).toEqual({ batchItemFailures: [] });
      expect(publishedByClass(emu.cloudWatch)).toEqual(expected.responses_by_class);
      expect(emu.cloudWatch.sum('Responses')).toBe(expected.responses);
      expect(emu.cloudWatch.sum('FilesProcessed')).toBe(1);
      expect(emu.cloudWatch.sum('BytesProcessed')).toBe(obj.size);
      expect(emu.cloudWatch.sum('FilesFailed')).toBe(0);
      expect(emu.cloudWatch.accepted()).toBe(1);
    });
  }
});

describe('events', () => {
  it('processes a direct S3 notification and an EventBridge "Object Created" event', async () => {
    // Prepare
    const a = await emu.put(
      'direct/sipp-uac-cancel-tcp.messages.log',
      readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`),
    );
    const b = await emu.put(
      'eventbridge/sipp-uac-cancel-tcp.messages.log',
      readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`),
    );

    // Act
    const direct = await handler(s3Event(a), lambdaContext());
    const bridged = await handler(eventBridgeObjectCreated(b), lambdaContext());

    // Assess
    expect(direct).toBeUndefined();
    expect(bridged).toBeUndefined();
    expect(publishedByClass(emu.cloudWatch)).toEqual({
      '1xx': 160,
      '2xx': 80,
      '3xx': 0,
      '4xx': 80,
      '5xx': 0,
      '6xx': 0,
    });
    expect(emu.cloudWatch.sum('FilesProcessed')).toBe(2);
  });

  it('acknowledges an s3:TestEvent without publishing anything', async () => {
    // Act
    const out = await deliver(s3TestEvent(emu.bucket));

    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.requests).toHaveLength(0);
  });

  it('decodes keys with spaces, a plus sign and non-ASCII characters', async () => {
    // Prepare
    const key = 'traces/2026 11 24/appel été ☎ +33 1.log';
    const obj = await emu.put(key, readFileSync(`${CORPUS_DIR}sipp-uac-invite.messages.log`));
    const event = s3Event(obj);

    // Act
    const out = await deliver(event);

    // Assess
    expect(event.Records[0]?.s3.object.key).toBe('traces/2026+11+24/appel+%C3%A9t%C3%A9+%E2%98%8E+%2B33+1.log');
    expect(out).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.sum('Responses')).toBe(853);
    const item = await emu.ledgerItem(ledgerKey({ bucket: emu.bucket, key, eTag: obj.eTag }));
    expect(item?.status).toEqual({ S: 'done' });
  });

  it('skips folder keys and zero-byte objects without a ledger item or a metric', async () => {
    // Prepare
    const folder = await emu.put('folder/', '');
    const empty = await emu.put('empty.log', '');

    // Act
    const out = await deliver(s3Event(folder), s3Event(empty));

    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.requests).toHaveLength(0);
    expect(await emu.ledgerItem(ledgerKey({ bucket: emu.bucket, key: 'empty.log', eTag: empty.eTag }))).toBeUndefined();
  });
});

describe('input that can never be read', () => {
  const expectFailedOnce = async (obj: ObjectEventInput, errorCode: string): Promise<void> => {
    // Act
    const first = await deliver(s3Event(obj));
    const again = await deliver(s3Event(obj));

    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(again).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.sum('FilesFailed')).toBe(1);
    // the same count by its cause, so a dashboard tells a truncated gzip from an unknown format
    expect(emu.cloudWatch.sum('FilesFailed', { ErrorCode: errorCode })).toBe(1);
    expect(emu.cloudWatch.sum('Responses')).toBe(0);
    expect(emu.cloudWatch.sum('FilesProcessed')).toBe(0);
    const item = await emu.ledgerItem(ledgerKey(obj));
    expect(item?.status).toEqual({ S: 'failed' });
    expect(item?.errorCode).toEqual({ S: errorCode });
  };

  it('records corrupt gzip as failed, counts it in FilesFailed and does not retry it', async () => {
    // Prepare
    const gz = gzipSync(readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`));
    gz.fill(0xa5, 100, 140); // damage the deflate data, keep the header
    const obj = await emu.put('broken/corrupt.log.gz', gz);

    // Act, Assess
    await expectFailedOnce(obj, 'CORRUPT_GZIP');
  });

  it('records truncated gzip as failed, publishes none of its partial counts and keeps them in the ledger', async () => {
    // Prepare: what the engine counts before the cut, as the CLI reports it
    const cut = readFileSync(`${CORPUS_DIR}mixed.ngrep.txt.gz`).subarray(0, 60_000);
    const partial = await scan(chunked(cut, [])).then(() => undefined, partialResultOf);
    const obj = await emu.put('broken/truncated.ngrep.txt.gz', cut);

    // Act, Assess
    await expectFailedOnce(obj, 'TRUNCATED_GZIP');
    // before, the ledger and the log held only the code and the message: the counts read were nowhere
    const item = await emu.ledgerItem(ledgerKey(obj));
    const summary = (item?.partialSummary as { S?: string } | undefined)?.S ?? '{}';
    const kept = JSON.parse(summary) as { responses?: number; responsesByClass?: object };
    expect(partial?.responses).toBeGreaterThan(0);
    expect([kept.responses, kept.responsesByClass]).toEqual([partial?.responses, partial?.byClass]);
  });

  it('records a binary file without SIP as failed (UNKNOWN_FORMAT)', async () => {
    // Prepare
    const obj = await emu.put('broken/random.bin', pseudoRandomBytes(200_000, 0x5eed));

    // Act, Assess
    await expectFailedOnce(obj, 'UNKNOWN_FORMAT');
  });

  it('records an object deleted before processing as failed (OBJECT_NOT_FOUND)', async () => {
    // Prepare
    const obj = await emu.put('broken/deleted.log', readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`));
    await emu.delete(obj.key);

    // Act, Assess
    await expectFailedOnce(obj, 'OBJECT_NOT_FOUND');
  });
});

describe('an upload replaced before its event is handled', () => {
  it('is not read in place of the one announced: the newer upload counts once, by its own event', async () => {
    // Prepare: two uploads of one key back to back (s3rver, like the local stack, ignores If-Match and sends the newer)
    const first = await emu.put('burst/grow.log', readFileSync(`${CORPUS_DIR}sipp-uac-invite.messages.log`));
    const second = await emu.put('burst/grow.log', readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`));

    // Act
    const a = await deliver(s3Event(first));
    const b = await deliver(s3Event(second));

    // Assess: the first event's upload is gone (as S3's 412), the second is counted whole, once
    expect([a, b]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(first.eTag).not.toBe(second.eTag);
    const item = await emu.ledgerItem(ledgerKey(first));
    expect([item?.status, item?.errorCode]).toEqual([{ S: 'failed' }, { S: 'OBJECT_NOT_FOUND' }]);
    expect(JSON.stringify(item?.errorMessage)).toContain('no longer there (PreconditionFailed)');
    expect([emu.cloudWatch.sum('Responses'), emu.cloudWatch.sum('FilesProcessed')]).toEqual([160, 1]);
  });
});

describe('a body that is not as long as the event said', () => {
  it('is not counted as the announced upload (s3rver serves an overwrite in progress under the old ETag)', async () => {
    // Prepare: the event's ETag is the object's, its size is not (the part of a newer upload written so far)
    const obj = await emu.put('burst/partial.log', readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`));

    // Act
    const out = await deliver(s3Event({ ...obj, size: (obj.size ?? 0) + 4096 }));

    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    const item = await emu.ledgerItem(ledgerKey(obj));
    expect([item?.status, item?.errorCode]).toEqual([{ S: 'failed' }, { S: 'OBJECT_NOT_FOUND' }]);
    expect([emu.cloudWatch.sum('Responses'), emu.cloudWatch.sum('FilesProcessed')]).toEqual([0, 0]);
  });
});

describe('CloudWatch validation errors (HTTP 400) are permanent', () => {
  for (const error of ['InvalidParameterValue', 'InvalidParameterCombination', 'MissingParameter'] as const) {
    it(`fails the file at once on ${error}, with the reason in the ledger, and does not ask for a redelivery`, async () => {
      // Prepare: CloudWatch refuses the file's datums, but accepts the FilesFailed datum
      const obj = await emu.put(`cw400/${error}.log`, readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`));
      emu.cloudWatch.setFaults((_i, _n, body) =>
        body.MetricData?.some((d) => d.MetricName === 'Responses')
          ? { kind: 'invalid', error, message: 'The value 1e400 for parameter MetricData.member.1.Value is invalid.' }
          : null,
      );

      // Act
      const out = await deliver(s3Event(obj));
      emu.cloudWatch.setFaults(null);

      // Assess
      expect(out).toEqual({ batchItemFailures: [] });
      expect(emu.cloudWatch.requests.map((r) => r.status)).toEqual([400, 200]);
      expect(emu.cloudWatch.sum('FilesFailed')).toBe(1);
      expect(emu.cloudWatch.sum('FilesProcessed')).toBe(0);
      const item = await emu.ledgerItem(ledgerKey(obj));
      expect([item?.status, item?.errorCode, item?.errorMessage]).toEqual([
        { S: 'failed' },
        { S: 'METRICS_REJECTED' },
        {
          // 7 response datums and 2 KPI ones (InviteTransactions, SessionRequestDelay)
          S: `CloudWatch refused 9 datums for namespace SIP: ${error}: The value 1e400 for parameter MetricData.member.1.Value is invalid. (a validation error: not retried)`,
        },
      ]);
    });
  }

  it('still retries throttling and 5xx (the SDK backs off, the file is counted)', async () => {
    // Prepare
    const obj = await emu.put('cw400/throttled.log', readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`));
    emu.cloudWatch.setFaults((i) => (i === 0 ? { kind: 'throttle' } : i === 1 ? { kind: 'server-error' } : null));

    // Act
    const out = await deliver(s3Event(obj));
    emu.cloudWatch.setFaults(null);

    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    expect(emu.cloudWatch.requests.map((r) => r.status)).toEqual([400, 500, 200]);
    expect([emu.cloudWatch.sum('Responses'), emu.cloudWatch.sum('FilesProcessed')]).toEqual([160, 1]);
  });
});

describe('a key that does not exist', () => {
  it('names the bucket and the key and says the key does not exist (not "overwritten")', async () => {
    // Prepare: an event for a key nobody uploaded (a hand-written or mistyped event)
    const obj = { bucket: emu.bucket, key: 'typo/no-such.log', eTag: '0123456789abcdef0123456789abcdef', size: 10 };

    // Act
    const out = await deliver(s3Event(obj));

    // Assess
    expect(out).toEqual({ batchItemFailures: [] });
    const item = await emu.ledgerItem(ledgerKey(obj));
    expect([item?.errorCode, item?.errorMessage]).toEqual([
      { S: 'OBJECT_NOT_FOUND' },
      {
        S: `s3://${emu.bucket}/typo/no-such.log: key "typo/no-such.log" does not exist in bucket "${emu.bucket}" (NoSuchKey): it was deleted after the event announced it`,
      },
    ]);
  });
});

describe('SQS batches', () => {
  it('reports only the bad records of a batch in batchItemFailures', async () => {
    // Prepare
    const good1 = await emu.put('batch/good-1.log', readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`));
    const good2 = await emu.put('batch/good-2.log', readFileSync(`${CORPUS_DIR}mixed.kamailio-proxy.log`));
    const unreadable = await emu.put('batch/unreadable.bin', pseudoRandomBytes(5_000, 7));
    const rejected = await emu.put('batch/rejected.log', readFileSync(`${CORPUS_DIR}sipp-uac-invite.messages.log`));
    // CloudWatch refuses the datums of one file (403, not retried by the SDK): only that message must come back
    emu.cloudWatch.setFaults((_i, _n, body) =>
      body.MetricData?.some((d) => d.MetricName === 'BytesProcessed' && (d.Values as number[])[0] === rejected.size)
        ? { kind: 'denied' }
        : null,
    );
    const batch = sqsEvent(
      sqsRecord(s3Event(good1), 'm-good-1'),
      sqsRecord('not json at all', 'm-not-json'),
      sqsRecord(s3Event(unreadable), 'm-unreadable'),
      sqsRecord({ hello: 'world' }, 'm-not-s3'),
      sqsRecord(s3Event(rejected), 'm-rejected'),
      sqsRecord(s3Event(good2), 'm-good-2'),
    );

    // Act
    const out = await handler(batch, lambdaContext());

    // Assess
    const failed = (out?.batchItemFailures ?? []).map((f) => f.itemIdentifier).sort();
    expect(failed).toEqual(['m-not-json', 'm-not-s3', 'm-rejected']);
    expect(emu.cloudWatch.sum('Responses')).toBe(160 + 491);
    expect(emu.cloudWatch.sum('FilesProcessed')).toBe(2);
    expect(emu.cloudWatch.sum('FilesFailed')).toBe(1);
    const item = await emu.ledgerItem(ledgerKey(rejected));
    expect(item?.status).toEqual({ S: 'claimed' });
  });

  it('brings a failed message back in 1, 5, then 25 minutes, and leaves the fourth to the queue', async () => {
    // Prepare: CloudWatch refuses the file's datums (403) on each of four deliveries of one message
    const obj = await emu.put('retry/denied.log', readFileSync(`${CORPUS_DIR}sipp-uac-invite.messages.log`));
    const good = await emu.put('retry/good.log', readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`));
    emu.cloudWatch.setFaults((_i, _n, body) =>
      body.MetricData?.some((d) => d.MetricName === 'BytesProcessed' && (d.Values as number[])[0] === obj.size)
        ? { kind: 'denied' }
        : null,
    );
    const delivery = (count: number) => {
      const r = sqsRecord(s3Event(obj), `m-denied-${count}`);
      return { ...r, attributes: { ...r.attributes, ApproximateReceiveCount: String(count) } };
    };

    // Act
    const outs = [];
    for (const count of [1, 2, 3, 4]) {
      outs.push(await handler(sqsEvent(delivery(count), sqsRecord(s3Event(good), `m-good-${count}`)), lambdaContext()));
    }

    // Assess: only the failed message's visibility changes, on the queue of RETRY_QUEUE_URL
    expect(outs.map((o) => o?.batchItemFailures)).toEqual(
      [1, 2, 3, 4].map((c) => [{ itemIdentifier: `m-denied-${c}` }]),
    );
    expect(sqs.changes).toEqual([
      { queueUrl: QUEUE_URL, receiptHandle: 'AQEBm-denied-1', visibilityTimeout: 60 },
      { queueUrl: QUEUE_URL, receiptHandle: 'AQEBm-denied-2', visibilityTimeout: 300 },
      { queueUrl: QUEUE_URL, receiptHandle: 'AQEBm-denied-3', visibilityTimeout: 1500 },
    ]);
    expect(sqs.targets).toEqual(Array(3).fill('AmazonSQS.ChangeMessageVisibility'));
  });

  it('brings a message that found its object claimed back just after the claim ends, not in a minute', async () => {
    // Prepare: another invocation holds the object's claim for 10 more minutes
    const obj = await emu.put('retry/claimed.log', readFileSync(`${CORPUS_DIR}sipp-uac-invite.messages.log`));
    const ddb = createLocalDynamoDbClient(emu.env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
    const claim = await new DynamoDbLedger(ddb, emu.table, 30).claim(
      { bucket: obj.bucket, key: obj.key, eTag: obj.eTag },
      'another-invocation',
      Date.now(),
      600_000,
    );
    ddb.destroy();

    // Act
    const out = await handler(sqsEvent(sqsRecord(s3Event(obj), 'm-claimed')), lambdaContext());

    // Assess: LEASE_HELD; the wait is the claim's 600 s and 5 more, not the first receive's 60
    expect(claim.kind).toBe('claimed');
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-claimed' }] });
    expect(sqs.changes.map((c) => c.visibilityTimeout)).toEqual([
      expect.toSatisfy((v: number) => v >= 603 && v <= 606),
    ]);
  });

  it('brings a message that is no S3 event back at once, so that its five receives reach the DLQ in seconds', async () => {
    // Prepare: a body that is not JSON and one that is no S3 or EventBridge event, on their fourth receive
    const delivery = (body: unknown, id: string) => {
      const r = sqsRecord(body, id);
      return { ...r, attributes: { ...r.attributes, ApproximateReceiveCount: '4' } };
    };

    // Act
    const out = await handler(
      sqsEvent(delivery('not json', 'm-not-json'), delivery({ a: 1 }, 'm-not-s3')),
      lambdaContext(),
    );

    // Assess: both failed (BAD_EVENT), both visible again now; a fourth receive of any other failure waits the queue
    expect(out?.batchItemFailures?.map((f) => f.itemIdentifier).sort()).toEqual(['m-not-json', 'm-not-s3']);
    expect(sqs.changes.map((c) => [c.receiptHandle, c.visibilityTimeout]).sort()).toEqual([
      ['AQEBm-not-json', 0],
      ['AQEBm-not-s3', 0],
    ]);
  });

  it('still reports the message failed when SQS refuses the visibility change', async () => {
    // Prepare
    const obj = await emu.put('retry/denied-2.log', readFileSync(`${CORPUS_DIR}sipp-uac-invite.messages.log`));
    emu.cloudWatch.setFaults(() => ({ kind: 'denied' }));
    sqs.failWith(true);

    // Act
    const out = await handler(sqsEvent(sqsRecord(s3Event(obj), 'm-refused')), lambdaContext());

    // Assess: asked once (a 400 is not retried), nothing changed, the message comes back after the queue's timeout
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-refused' }] });
    expect(sqs.targets).toEqual(['AmazonSQS.ChangeMessageVisibility']);
    expect(sqs.changes).toEqual([]);
  });

  it('processes 1,000 small files delivered concurrently without losing one', async () => {
    // Prepare
    const startMs = Date.now() - 3 * 3_600_000;
    const files = Array.from({ length: 1000 }, (_, i) =>
      accLog({
        startMs: startMs + i * 60_000,
        minutes: 2,
        codes: [100 + (i % 3), 200, 486, 503 + (i % 2)],
        perMinute: 3,
      }),
    );
    const objects: ObjectEventInput[] = [];
    for (let i = 0; i < files.length; i += 50) {
      const slice = files.slice(i, i + 50);
      objects.push(...(await Promise.all(slice.map((f, j) => emu.put(`many/${i + j}.acc.log`, f.text)))));
    }
    const expected = Object.fromEntries(CLASSES.map((c) => [c, files.reduce((n, f) => n + (f.byClass[c] ?? 0), 0)]));
    const batches = Array.from({ length: 100 }, (_, b) =>
      sqsEvent(...objects.slice(b * 10, b * 10 + 10).map((o) => sqsRecord(s3Event(o)))),
    );

    // Act
    const t0 = Date.now();
    const outs = await Promise.all(batches.map((e) => handler(e, lambdaContext())));
    console.log('1000 files processed in', Date.now() - t0, 'ms');

    // Assess
    expect(outs.flatMap((o) => o?.batchItemFailures ?? [])).toEqual([]);
    expect(publishedByClass(emu.cloudWatch)).toEqual(expected);
    expect(expected).toEqual({ '1xx': 2000, '2xx': 2000, '3xx': 0, '4xx': 1000, '5xx': 1000, '6xx': 0 });
    expect(emu.cloudWatch.sum('FilesProcessed')).toBe(1000);
    expect(emu.cloudWatch.accepted()).toBe(1000);
  });
});
