import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ledgerKey, progressKey } from '../../lambda/contract/ledger.js';
import { bucketOf } from '../../lambda/engine/delay-histogram.js';
import { createLocalDynamoDbClient } from '../../local/emulators.js';
import { releaseClaims, scanLedger } from '../../local/ledger-rows.js';
import type { RecordedDatum } from '../../local/loopback-cloudwatch.js';
import { accLog } from '../support/acc-log.js';
import { spawnHandler } from '../support/child-handler.js';
import { CORPUS_DIR } from '../support/corpus.js';
import { coldStartHandler, type Emulators, startEmulators } from '../support/emulators.js';
import { lambdaContext } from '../support/lambda-context.js';
import { ledgerSummary, stringAttr } from '../support/ledger-summary.js';
import { type ObjectEventInput, s3Event } from '../support/s3-event.js';
import { sqsEvent, sqsRecord } from '../support/sqs-event.js';

type Handler = Awaited<ReturnType<typeof coldStartHandler>>['handler'];

const DAY_MS = 86_400_000;
const CORPUS_DAY = '2026-11-24';

/**
 * The corpus pjsip log moved to yesterday (CloudWatch takes datums of the last two weeks only, so the minutes stay
 * the log's own whenever the test runs), `times` copies back to back: more than the scanner's 4 MiB window, so
 * versions past the first really resume mid-file.
 */
const pjsipLog = (times: number): Buffer => {
  const yesterday = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
  const one = readFileSync(`${CORPUS_DIR}mixed.pjsip-style.log`, 'latin1').replaceAll(
    `[${CORPUS_DAY} `,
    `[${yesterday} `,
  );
  return Buffer.from(one.repeat(times), 'latin1');
};

/** Version ends of a file uploaded `steps` times as it grows, cut at arbitrary bytes (a shipper mid-write). */
const cutsOf = (size: number, steps: number): number[] =>
  Array.from({ length: steps }, (_, i) => (i === steps - 1 ? size : Math.round((size * (i + 1)) / steps) - 37 * i));

/** S3 sequencers grow with each event of a key: zero-padded hex. */
const seq = (i: number): string => `00${(0x55aed6dcd90281e5n + BigInt(i)).toString(16).toUpperCase()}`;

/** `Responses` by minute and dimensions: what every alarm and widget sums. */
const responses = (datums: readonly RecordedDatum[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const d of datums) {
    if (d.metricName !== 'Responses') continue;
    const dims = Object.entries(d.dimensions)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const k = `${new Date(d.timestampMs).toISOString()} ${dims}`;
    out[k] = (out[k] ?? 0) + d.values.reduce((n, v, i) => n + v * (d.counts[i] ?? 1), 0);
  }
  for (const [k, v] of Object.entries(out)) if (v === 0) delete out[k];
  return out;
};

/** The corpus ngrep log (no -t: no times at all), `times` copies back to back. */
const ngrepLog = (times: number): string => readFileSync(`${CORPUS_DIR}mixed.ngrep.txt`, 'latin1').repeat(times);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/**
 * The same log as Asterisk's `full` log writes res_pjsip_logger's blocks: every line behind a logger prefix with the
 * block's time and no year (`[%b %e %T] VERBOSE[lwp] res_pjsip_logger.c: `, as test/fixtures/time), so the scan
 * strips prefixes and takes the year from the upload time: a log no version can be resumed part-way through.
 */
const prefixedPjsipLog = (times: number): Buffer => {
  const out: string[] = [];
  let prefix = '';
  for (const line of pjsipLog(times).toString('latin1').split('\n').slice(0, -1)) {
    const m = /^\[(\d{4})-(\d\d)-(\d\d) (\d\d:\d\d:\d\d)\.\d+\] (.*)$/.exec(line);
    if (m !== null) {
      const day = String(Number(m[3])).padStart(2, ' ');
      prefix = `[${MONTHS[Number(m[2]) - 1]} ${day} ${m[4]}] VERBOSE[777] res_pjsip_logger.c: `;
    }
    out.push(`${prefix}${m === null ? line : m[5]}\n`);
  }
  return Buffer.from(out.join(''), 'latin1');
};

/**
 * Every datum that describes the log (not its processing), by minute, metric and dimensions: counts as their sum,
 * distributions (the KPI delays) as their observations per histogram bucket (the value a bucket is sent as is
 * clamped to its minute's extremes, which a later version may move: lambda/growth/delta-points.ts).
 */
const logDatums = (datums: readonly RecordedDatum[]): Record<string, number> => {
  const out: Record<string, number> = {};
  const add = (k: string, n: number): void => {
    out[k] = (out[k] ?? 0) + n;
  };
  for (const d of datums) {
    if (['FilesProcessed', 'BytesProcessed', 'ProcessingLagSeconds', 'ParseAnomalies'].includes(d.metricName)) continue;
    const dims = Object.entries(d.dimensions)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const k = `${new Date(d.timestampMs).toISOString()} ${d.metricName} ${dims}`;
    if (d.unit === 'Count')
      add(
        k,
        d.values.reduce((n, v, i) => n + v * (d.counts[i] ?? 1), 0),
      );
    else for (const [i, v] of d.values.entries()) add(`${k} bucket ${bucketOf(v)}`, d.counts[i] ?? 1);
  }
  for (const [k, v] of Object.entries(out)) if (v === 0) delete out[k];
  return out;
};

const FUNCTION_ENV = { PUBLISH_CONCURRENCY: '1', PUBLISH_TIMEOUT_MS: '1500', PUBLISH_MAX_ATTEMPTS: '2' } as const;

let emu: Emulators;
let byMethod: Handler;
let byCode: Handler;
let withPeersAndKpis: Handler;

beforeAll(async () => {
  emu = await startEmulators();
  ({ handler: byCode } = await coldStartHandler(
    { ...emu.env, ...FUNCTION_ENV, METRIC_DETAIL: 'code' },
    vi.resetModules,
  ));
  ({ handler: byMethod } = await coldStartHandler(
    { ...emu.env, ...FUNCTION_ENV, METRIC_DETAIL: 'method' },
    vi.resetModules,
  ));
  ({ handler: withPeersAndKpis } = await coldStartHandler(
    {
      ...emu.env,
      ...FUNCTION_ENV,
      METRIC_DETAIL: 'method',
      PEERS: JSON.stringify({ proxy: ['127.0.0.1:15060'], appserver: ['127.0.0.1:15062'] }),
      PEER_METRICS: 'true',
      KPI_METRICS: 'true',
    },
    vi.resetModules,
  ));
});

afterAll(async () => {
  await emu.stop();
});

beforeEach(() => {
  emu.cloudWatch.reset();
});

const deliver = (handler: Handler, obj: ObjectEventInput, messageId?: string) =>
  handler(sqsEvent(sqsRecord(s3Event(obj), messageId)), lambdaContext());

/** What one upload of `body` under a key of its own publishes, by minute and dimensions. */
const publishedForOneUpload = async (handler: Handler, key: string, body: Buffer): Promise<Record<string, number>> => {
  emu.cloudWatch.reset();
  await deliver(handler, await emu.put(key, body));
  const out = responses(emu.cloudWatch.datums);
  emu.cloudWatch.reset();
  return out;
};

const summaryOf = (obj: ObjectEventInput): Promise<Record<string, unknown>> => ledgerSummary(emu, obj);

describe('a log uploaded again under the same key as it grows', () => {
  for (const [steps, times] of [
    [3, 3],
    [10, 3],
    [50, 1],
  ] as const) {
    for (const [detail, handler] of [
      ['method', () => byMethod],
      ['code', () => byCode],
    ] as const) {
      it(`publishes per class, ${detail} and minute what one upload of the final file does, over ${steps} growing versions`, async () => {
        // Prepare
        const file = pjsipLog(times);
        const expected = await publishedForOneUpload(handler(), `whole/${steps}/${detail}/pbx-full.log`, file);
        const key = `growing/${steps}/${detail}/pbx-full.log`;
        const outs: unknown[] = [];
        const modes: unknown[] = [];

        // Act
        for (const [i, cut] of cutsOf(file.length, steps).entries()) {
          const obj = { ...(await emu.put(key, file.subarray(0, cut))), sequencer: seq(i) };
          outs.push(await deliver(handler(), obj));
          modes.push(((await summaryOf(obj)).growth as { mode: string }).mode);
        }

        // Assess
        expect(outs).toEqual(Array.from({ length: steps }, () => ({ batchItemFailures: [] })));
        expect(modes).toEqual(['first', ...Array.from({ length: steps - 1 }, () => 'resumed')]);
        expect(responses(emu.cloudWatch.datums)).toEqual(expected);
        expect(emu.cloudWatch.sum('Responses')).toBe(1834 * times);
        expect(emu.cloudWatch.sum('FilesProcessed')).toBe(steps);
        expect(emu.cloudWatch.sum('BytesProcessed')).toBe(file.length);
      }, 120_000);
    }
  }

  it('counts nothing twice when the final version is delivered before an older one', async () => {
    // Prepare
    const file = pjsipLog(1);
    const expected = await publishedForOneUpload(byMethod, 'whole/out-of-order/pbx-full.log', file);
    const key = 'growing/out-of-order/pbx-full.log';
    const older = { ...(await emu.put(key, file.subarray(0, 1_300_000))), sequencer: seq(1) };
    const newer = { ...(await emu.put(key, file)), sequencer: seq(2) };

    // Act
    const first = await deliver(byMethod, newer);
    const second = await deliver(byMethod, older);

    // Assess
    expect([first, second]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(responses(emu.cloudWatch.datums)).toEqual(expected);
    expect(await summaryOf(older)).toMatchObject({ responses: 0, growth: { mode: 'older', bytesRead: 0 } });
  });

  it('counts a rotated file (copytruncate, then new lines) as new content, in full', async () => {
    // Prepare: 70 % of the log, then the file truncated and the other 30 % written to it
    const file = pjsipLog(1);
    const cut = file.indexOf('\n[', 1_300_000) + 1;
    const expected = await publishedForOneUpload(byMethod, 'whole/rotated/pbx-full.log', file);
    const key = 'growing/rotated/pbx-full.log';
    const before = { ...(await emu.put(key, file.subarray(0, cut))), sequencer: seq(1) };
    await deliver(byMethod, before);

    // Act
    const rotated = { ...(await emu.put(key, file.subarray(cut))), sequencer: seq(2) };
    const out = await deliver(byMethod, rotated);

    // Assess: both parts counted once, so the totals are those of the whole log
    expect(out).toEqual({ batchItemFailures: [] });
    expect(responses(emu.cloudWatch.datums)).toEqual(expected);
    expect(await summaryOf(rotated)).toMatchObject({
      bytes: file.length - cut,
      growth: { mode: 'new-content', reason: 'not-longer', bytesRead: file.length - cut },
    });
  });

  it('resumes a gzip log grown by appended members after the old last member', async () => {
    // Prepare: gzip -c part1 > log.gz, then gzip -c part2 >> log.gz (each part whole log blocks)
    const file = pjsipLog(1);
    const cut = file.indexOf('\n[', 900_000) + 1;
    const one = gzipSync(file.subarray(0, cut));
    const grown = Buffer.concat([one, gzipSync(file.subarray(cut))]);
    const expected = await publishedForOneUpload(byMethod, 'whole/gzip/pbx-full.log.gz', grown);
    const key = 'growing/gzip/pbx-full.log.gz';
    await deliver(byMethod, { ...(await emu.put(key, one)), sequencer: seq(1) });

    // Act
    const second = { ...(await emu.put(key, grown)), sequencer: seq(2) };
    const out = await deliver(byMethod, second);

    // Assess: the proof re-reads the whole first member here (it is under 1 MiB), then only the new member
    expect(out).toEqual({ batchItemFailures: [] });
    expect(responses(emu.cloudWatch.datums)).toEqual(expected);
    expect(await summaryOf(second)).toMatchObject({
      bytes: grown.length - one.length,
      growth: { mode: 'resumed', readFrom: 0, bytesRead: grown.length },
    });
  });
  it('serialises two versions of one key in flight at once: the second waits for the first, nothing counts twice', async () => {
    // Prepare: CloudWatch answers slowly, so the first grown version still holds the key when the next one arrives
    const file = pjsipLog(3);
    const expected = await publishedForOneUpload(byMethod, 'whole/concurrent/pbx-full.log', file);
    const key = 'growing/concurrent/pbx-full.log';
    await deliver(byMethod, { ...(await emu.put(key, file.subarray(0, 2_000_000))), sequencer: seq(1) });
    const middle = { ...(await emu.put(key, file.subarray(0, 4_000_000))), sequencer: seq(2) };
    const calls = emu.cloudWatch.requests.length;
    emu.cloudWatch.setFaults(() => ({ kind: 'slow', ms: 1000 }));

    // Act: the last version is uploaded and delivered while the middle one is publishing (s3rver ignores If-Match,
    // so the middle version must be read before the last one replaces it)
    const first = deliver(byMethod, middle, 'middle');
    for (const until = Date.now() + 30_000; emu.cloudWatch.requests.length === calls; ) {
      if (Date.now() > until) throw new Error('timed out waiting for the middle version to publish');
      await new Promise((r) => setTimeout(r, 20));
    }
    const last = { ...(await emu.put(key, file)), sequencer: seq(3) };
    const waiting = await deliver(byMethod, last, 'last');
    const done = await first;
    emu.cloudWatch.setFaults(null);
    const again = await deliver(byMethod, last, 'last');

    // Assess
    expect([done, waiting, again]).toEqual([
      { batchItemFailures: [] },
      { batchItemFailures: [{ itemIdentifier: 'last' }] },
      { batchItemFailures: [] },
    ]);
    expect(responses(emu.cloudWatch.datums)).toEqual(expected);
    expect(await summaryOf(last)).toMatchObject({ attempt: 2, growth: { mode: 'resumed' } });
  });
});

describe('a growing log with logger prefixes, peers and KPIs', () => {
  for (const [name, log, steps, readAgain] of [
    ['a prefixed log with no year (read again whole each time)', prefixedPjsipLog(3), 6, true],
    ['a log resumed part-way', pjsipLog(3), 8, false],
    // ngrep without -t: every response is untimed, published at its version's upload minute and taken back there
    ['an untimed log (read again whole each time)', Buffer.from(ngrepLog(3)), 5, true],
  ] as const) {
    it(`publishes every log metric (per peer, KPI, untimed) per minute as one upload of the final file: ${name}`, async () => {
      // Prepare: version i is uploaded at minute i; the single upload at the last version's minute
      const slug = name.split(' ')[1] ?? '';
      // one clock reading, half a minute into a minute: the whole upload and the last version share their minute
      // even when the test runs across a minute's end (each call read the clock, and once they did not)
      const base = Math.floor(Date.now() / 60_000) * 60_000 - 90 * 60_000 + 30_000;
      const uploadedAt = (i: number): string => new Date(base + i * 60_000).toISOString();
      emu.cloudWatch.reset();
      const whole = { ...(await emu.put(`whole/kpi/${slug}/full`, log)), eventTime: uploadedAt(steps - 1) };
      await deliver(withPeersAndKpis, whole);
      const expected = logDatums(emu.cloudWatch.datums);
      emu.cloudWatch.reset();
      const key = `growing/kpi/${slug}/full`;
      const growth: unknown[] = [];
      const summed = { responses: 0, untimedResponses: 0 };

      // Act
      for (const [i, cut] of cutsOf(log.length, steps).entries()) {
        const obj = { ...(await emu.put(key, log.subarray(0, cut))), sequencer: seq(i), eventTime: uploadedAt(i) };
        await deliver(withPeersAndKpis, obj);
        const summary = await summaryOf(obj);
        growth.push(summary.growth);
        summed.responses += summary.responses as number;
        summed.untimedResponses += summary.untimedResponses as number;
      }

      // Assess
      expect(logDatums(emu.cloudWatch.datums)).toEqual(expected);
      expect(emu.cloudWatch.sum('Responses')).toBe(1834 * 3);
      expect(emu.cloudWatch.sum('Responses', { Peer: 'appserver' })).toBe(425 * 3);
      expect(emu.cloudWatch.sum('UntimedResponses')).toBe(slug === 'untimed' ? 1834 * 3 : 0);
      // the file summaries say what each version added
      expect(summed).toEqual({ responses: 1834 * 3, untimedResponses: slug === 'untimed' ? 1834 * 3 : 0 });
      const readFrom = growth.slice(1).map((g) => (g as { readFrom: number }).readFrom);
      if (readAgain) expect(readFrom).toEqual(readFrom.map(() => 0));
      else expect(Math.max(...readFrom)).toBeGreaterThan(0);
    }, 120_000);
  }
});

describe('a growing log whose times fall outside the CloudWatch window', () => {
  it('reads the version after a restamped one again whole, so the restamped counts are taken back where they went', async () => {
    // Prepare: the pjsip log 20 days old (CloudWatch takes two weeks): every response goes to the processing minute;
    // each version is over 4 MiB, so without the restamps the 2nd and 3rd would resume part-way
    const old = new Date(Date.now() - 20 * DAY_MS).toISOString().slice(0, 10);
    const file = Buffer.from(
      pjsipLog(9)
        .toString('latin1')
        .replace(/^\[\d{4}-\d\d-\d\d /gm, `[${old} `),
      'latin1',
    );
    const key = 'growing/restamped/pbx-full.log';
    const cuts = cutsOf(file.length, 3);
    const summaries: Record<string, unknown>[] = [];

    // Act
    for (const [i, cut] of cuts.entries()) {
      const obj = { ...(await emu.put(key, file.subarray(0, cut))), sequencer: seq(i) };
      await deliver(byMethod, obj);
      summaries.push(await summaryOf(obj));
    }

    // Assess
    expect(summaries[0]?.restampedResponses).toBe(summaries[0]?.responses);
    expect(summaries.map((s) => (s.growth as { readFrom?: number }).readFrom)).toEqual([undefined, 0, 0]);
    expect(emu.cloudWatch.sum('Responses')).toBe(1834 * 9);
    expect(summaries.reduce((n, s) => n + (s.responses as number), 0)).toBe(1834 * 9);
  }, 120_000);
});

/** 300 minutes x 6 acc records, then 600: the second version adds 2,100 datums (3 PutMetricData calls). */
const ACC = accLog({
  startMs: Date.now() - 11 * 3_600_000,
  minutes: 600,
  codes: [100, 200, 302, 486, 503, 603],
  perMinute: 6,
});
const ACC_FIRST = ACC.text.split('\n').slice(0, 1800).join('\n').concat('\n');
const ACC_BY_CLASS = { '1xx': 600, '2xx': 600, '3xx': 600, '4xx': 600, '5xx': 600, '6xx': 600 };

const ackedOf = (item: Record<string, unknown> | undefined): number[] =>
  ((item?.ackedBatches as { NS?: string[] } | undefined)?.NS ?? []).map(Number).sort((a, b) => a - b);

const byClass = (): Record<string, number> =>
  Object.fromEntries(Object.keys(ACC_BY_CLASS).map((c) => [c, emu.cloudWatch.sum('Responses', { Class: c })]));

describe('a crash while a grown version is being published', () => {
  it('loses and doubles nothing when CloudWatch refuses after 1 of 3 batches and the message comes back', async () => {
    // Prepare
    const key = 'crash/denied/proxy.acc.log';
    await deliver(byCode, { ...(await emu.put(key, ACC_FIRST)), sequencer: seq(1) });
    const grown = { ...(await emu.put(key, ACC.text)), sequencer: seq(2) };
    const before = emu.cloudWatch.accepted();
    emu.cloudWatch.setFaults((_i, accepted) => (accepted < before + 1 ? null : { kind: 'denied' }));

    // Act
    const first = await deliver(byCode, grown, 'grown-1');
    const between = await emu.ledgerItem(progressKey(emu.bucket, key));
    const ackedBetween = ackedOf(await emu.ledgerItem(ledgerKey(grown)));
    emu.cloudWatch.setFaults(null);
    const second = await deliver(byCode, grown, 'grown-1');

    // Assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'grown-1' }] });
    expect(second).toEqual({ batchItemFailures: [] });
    expect(ackedBetween).toEqual([0]);
    expect(JSON.parse(stringAttr(between, 'keyProgress'))).toMatchObject({ size: ACC_FIRST.length });
    expect(byClass()).toEqual(ACC_BY_CLASS);
    expect(emu.cloudWatch.sum('Responses')).toBe(3600);
    expect(await summaryOf(grown)).toMatchObject({ responses: 1800, attempt: 2, growth: { mode: 'resumed' } });
  });

  it('lets the retry of a killed version take the key over at once once its claim is freed (local stack restart)', async () => {
    // Prepare: the child gets 1 batch of the grown version through, then CloudWatch stops answering and we kill it
    const key = 'crash/killed/proxy.acc.log';
    await deliver(byCode, { ...(await emu.put(key, ACC_FIRST)), sequencer: seq(1) });
    const grown = { ...(await emu.put(key, ACC.text)), sequencer: seq(2) };
    const before = emu.cloudWatch.accepted();
    emu.cloudWatch.setFaults((_i, accepted) => (accepted < before + 1 ? null : { kind: 'hang' }));
    const child = spawnHandler(sqsEvent(sqsRecord(s3Event(grown), 'killed')), {
      ...emu.env,
      ...FUNCTION_ENV,
      METRIC_DETAIL: 'code',
      PUBLISH_TIMEOUT_MS: '60000',
      REMAINING_MS: '600000',
    });
    const acked = async (): Promise<number[]> => ackedOf(await emu.ledgerItem(ledgerKey(grown)));
    for (const until = Date.now() + 30_000; (await acked()).length === 0; ) {
      if (Date.now() > until) throw new Error('timed out waiting for the first batch of the grown version');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.process.kill('SIGKILL');
    const ackedBeforeKill = await acked();
    await child.exited;
    emu.cloudWatch.setFaults(null);
    // what `npm start` does at a restart: the data-folder lock proves no invocation is alive, so claims are freed
    const ddb = createLocalDynamoDbClient(emu.env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
    await releaseClaims(ddb, emu.table, await scanLedger(ddb, emu.table));
    ddb.destroy();

    // Act
    const out = await deliver(byCode, grown, 'killed');

    // Assess: the key's lease (10 minutes) did not hold the retry back
    expect(ackedBeforeKill).toEqual([0]);
    expect(out).toEqual({ batchItemFailures: [] });
    expect(byClass()).toEqual(ACC_BY_CLASS);
    expect(await summaryOf(grown)).toMatchObject({ responses: 1800, attempt: 2 });
  }, 60_000);
});
