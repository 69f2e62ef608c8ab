import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecordedDatum } from '../../local/loopback-cloudwatch.js';
import { accLog } from '../support/acc-log.js';
import { spawnHandler } from '../support/child-handler.js';
import { CORPUS_DIR, expectedFor } from '../support/corpus.js';
import { coldStartHandler, type Emulators, startEmulators } from '../support/emulators.js';
import { MIXED_PCAP_KPI_REPORT } from '../support/kpi-expectations.js';
import { lambdaContext } from '../support/lambda-context.js';
import { ledgerSummary } from '../support/ledger-summary.js';
import { responsesBy } from '../support/responses-by.js';
import { type ObjectEventInput, s3Event } from '../support/s3-event.js';
import { sqsEvent, sqsRecord } from '../support/sqs-event.js';

type Handler = Awaited<ReturnType<typeof coldStartHandler>>['handler'];

const MINUTE_MS = 60_000;
const floorMinute = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** peer -> class -> responses, from the `Responses` datums by (Class, Peer). */
const responsesByPeer = (datums: readonly RecordedDatum[]): Record<string, Record<string, number>> => {
  const out: Record<string, Record<string, number>> = {};
  for (const [cls, perPeer] of Object.entries(responsesBy(datums, 'Peer'))) {
    for (const [peer, n] of Object.entries(perPeer)) out[peer] = { ...out[peer], [cls]: n };
  }
  return out;
};

let emu: Emulators;

beforeAll(async () => {
  emu = await startEmulators();
});

afterAll(async () => {
  await emu.stop();
});

beforeEach(() => {
  emu.cloudWatch.reset();
});

describe('METRIC_DETAIL', () => {
  it('code: publishes Responses by (Class, Code) equal to the expected counts per status code', async () => {
    // Prepare
    const { handler } = await coldStartHandler({ ...emu.env, METRIC_DETAIL: 'code' }, vi.resetModules);
    const file = 'mixed.kamailio-sipdump.data';
    const obj = await emu.put(`detail/code/${file}`, readFileSync(`${CORPUS_DIR}${file}`));
    const expected: Record<string, Record<string, number>> = {};
    for (const [code, n] of Object.entries(expectedFor(file).responses_by_code)) {
      const cls = `${code.charAt(0)}xx`;
      expected[cls] = { ...(expected[cls] ?? {}), [code]: n };
    }

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess
    expect(responsesBy(emu.cloudWatch.datums, 'Code')).toEqual(expected);
    expect(emu.cloudWatch.sum('Responses', { Class: '5xx' })).toBe(55);
  });

  it('method: publishes Responses by (Class, Method) equal to the expected counts per CSeq method', async () => {
    // Prepare
    const { handler } = await coldStartHandler({ ...emu.env, METRIC_DETAIL: 'method' }, vi.resetModules);
    const file = 'mixed.pjsip-style.log';
    const obj = await emu.put(`detail/method/${file}`, readFileSync(`${CORPUS_DIR}${file}`));
    const expected: Record<string, Record<string, number>> = {};
    for (const [method, codes] of Object.entries(expectedFor(file).responses_by_method)) {
      for (const [code, n] of Object.entries(codes)) {
        const cls = `${code.charAt(0)}xx`;
        const perClass = expected[cls] ?? {};
        expected[cls] = perClass;
        perClass[method] = (perClass[method] ?? 0) + n;
      }
    }

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess
    expect(responsesBy(emu.cloudWatch.datums, 'Method')).toEqual(expected);
    expect(responsesBy(emu.cloudWatch.datums, 'Code')).toEqual({});
  });

  it('class: publishes no Code or Method dimension', async () => {
    // Prepare
    const { handler } = await coldStartHandler({ ...emu.env, METRIC_DETAIL: 'class' }, vi.resetModules);
    const obj = await emu.put('detail/class.log', readFileSync(`${CORPUS_DIR}sipp-uac-invite.messages.log`));

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess
    const dims = new Set(emu.cloudWatch.datums.map((d) => Object.keys(d.dimensions).sort().join('+')));
    // Outcome: the KPI counts, published at every detail
    expect([...dims].sort()).toEqual(['', 'Class', 'Outcome']);
  });
});

describe('KPI_METRICS', () => {
  const summaryOf = (obj: ObjectEventInput): Promise<Record<string, unknown>> => ledgerSummary(emu, obj);

  /** Sum of a metric's observations (value x count), and how many observations, over every datum. */
  const observed = (name: string, dims: Record<string, string> = {}): { sum: number; count: number } => {
    let sum = 0;
    let count = 0;
    for (const d of emu.cloudWatch.datums) {
      if (d.metricName !== name || JSON.stringify(d.dimensions) !== JSON.stringify(dims)) continue;
      for (const [i, v] of d.values.entries()) {
        sum += v * (d.counts[i] ?? 1);
        count += d.counts[i] ?? 1;
      }
    }
    return { sum, count };
  };

  it('publishes the numerators and denominator of SER, SEER, ISA and SCR, and the delays, as tshark counts them', async () => {
    // Prepare
    const { handler } = await coldStartHandler({ ...emu.env, KPI_METRICS: 'true' }, vi.resetModules);
    const obj = await emu.put('kpis/mixed.pcap', readFileSync(`${CORPUS_DIR}mixed.pcap`));

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess: the report's ratios rebuilt from the published sums (test/corpus/kpis.test.ts checks them on tshark)
    const n = (outcome?: string): number =>
      emu.cloudWatch.sum('InviteTransactions', outcome === undefined ? {} : { Outcome: outcome });
    const pct = (num: number, den: number): number => Math.round((num / den) * 10_000) / 100;
    const all = n();
    expect(all).toBe(MIXED_PCAP_KPI_REPORT.inviteTransactions);
    expect([
      pct(n('Established'), all - n('Redirected')),
      pct(n('Effective'), all - n('Redirected')),
      pct(n('Ineffective'), all),
      pct(n('Completed'), all),
    ]).toEqual([
      MIXED_PCAP_KPI_REPORT.ser,
      MIXED_PCAP_KPI_REPORT.seer,
      MIXED_PCAP_KPI_REPORT.isa,
      MIXED_PCAP_KPI_REPORT.scr,
    ]);
    const srd = observed('SessionRequestDelay');
    expect([srd.count, observed('SessionDisconnectDelay').count, observed('RegistrationRequestDelay').count]).toEqual([
      MIXED_PCAP_KPI_REPORT.srdMs.count,
      MIXED_PCAP_KPI_REPORT.sddMs.count,
      MIXED_PCAP_KPI_REPORT.rrdMs.count,
    ]);
    // each observation is its bucket's midpoint: within 0.5 % of the true delay
    expect(Math.abs(srd.sum / srd.count - MIXED_PCAP_KPI_REPORT.srdMs.mean)).toBeLessThan(
      MIXED_PCAP_KPI_REPORT.srdMs.mean * 0.005,
    );
    expect(emu.cloudWatch.datums.find((d) => d.metricName === 'SessionRequestDelay')?.unit).toBe('Milliseconds');
    expect((await summaryOf(obj)).kpis).toEqual({
      inviteTransactions: MIXED_PCAP_KPI_REPORT.inviteTransactions,
      ser: MIXED_PCAP_KPI_REPORT.ser,
      seer: MIXED_PCAP_KPI_REPORT.seer,
      isa: MIXED_PCAP_KPI_REPORT.isa,
      scr: MIXED_PCAP_KPI_REPORT.scr,
    });
  });

  it('publishes no KPI metric with KPI_METRICS=false, and does not track them (the file summary has none)', async () => {
    // Prepare
    const { handler } = await coldStartHandler({ ...emu.env, KPI_METRICS: 'false' }, vi.resetModules);
    const obj = await emu.put('kpis-off/mixed.pcap', readFileSync(`${CORPUS_DIR}mixed.pcap`));

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess
    const names = new Set(emu.cloudWatch.datums.map((d) => d.metricName));
    expect(['InviteTransactions', 'SessionRequestDelay'].filter((m) => names.has(m))).toEqual([]);
    expect(emu.cloudWatch.sum('Responses', { Class: '5xx' })).toBe(55);
    const summary = await summaryOf(obj);
    expect([summary.responses, 'kpis' in summary]).toEqual([expectedFor('mixed.pcap').responses, false]);
  });
});

describe('timestamps', () => {
  let handler: Handler;
  beforeAll(async () => {
    ({ handler } = await coldStartHandler({ ...emu.env, METRIC_DETAIL: 'class' }, vi.resetModules));
  });

  it("stamps responses with the log's own minute", async () => {
    // Prepare
    const start = floorMinute(Date.now() - 5 * 3_600_000);
    const log = accLog({ startMs: start, minutes: 3, codes: [200, 503], perMinute: 4 });
    const obj = await emu.put('time/own-minute.acc.log', log.text);

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess
    const perMinute = emu.cloudWatch.datums
      .filter((d) => d.metricName === 'Responses' && d.dimensions.Class === '5xx')
      .map((d) => [d.timestampMs - start, d.counts[0]]);
    expect(perMinute).toEqual([
      [0, 2],
      [MINUTE_MS, 2],
      [2 * MINUTE_MS, 2],
    ]);
  });

  it('stamps responses without a time of their own with the upload time', async () => {
    // Prepare
    const uploaded = Date.now() - 42 * MINUTE_MS;
    const obj = await emu.put('time/untimed.ngrep.txt.gz', readFileSync(`${CORPUS_DIR}mixed.ngrep.txt.gz`));

    // Act
    await handler(
      sqsEvent(sqsRecord(s3Event({ ...obj, eventTime: new Date(uploaded).toISOString() }))),
      lambdaContext(),
    );

    // Assess
    const stamps = new Set(emu.cloudWatch.datums.filter((d) => d.metricName === 'Responses').map((d) => d.timestampMs));
    expect([...stamps]).toEqual([floorMinute(uploaded)]);
    expect(emu.cloudWatch.sum('Responses')).toBe(1834);
  });

  it('restamps minutes outside the two-weeks-past / two-hours-future window with the processing time', async () => {
    // Prepare
    const old = accLog({ startMs: Date.now() - 20 * 24 * 3_600_000, minutes: 2, codes: [486], perMinute: 5 });
    const future = accLog({ startMs: Date.now() + 3 * 3_600_000, minutes: 1, codes: [180], perMinute: 7 });
    const recent = accLog({ startMs: Date.now() - 3_600_000, minutes: 1, codes: [200], perMinute: 3 });
    const obj = await emu.put('time/out-of-window.acc.log', old.text + future.text + recent.text);
    const before = floorMinute(Date.now());

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess
    const after = floorMinute(Date.now());
    const byClass = emu.cloudWatch.datums.filter((d) => d.metricName === 'Responses' && d.dimensions.Class);
    const restamped = byClass.filter((d) => d.dimensions.Class !== '2xx');
    expect(restamped.map((d) => [d.dimensions.Class, d.counts[0]])).toEqual([
      ['1xx', 7],
      ['4xx', 10],
    ]);
    expect(restamped.every((d) => d.timestampMs >= before && d.timestampMs <= after)).toBe(true);
    expect(byClass.find((d) => d.dimensions.Class === '2xx')?.timestampMs).toBe(floorMinute(Date.now() - 3_600_000));
    expect(emu.cloudWatch.sum('Responses')).toBe(20);
  });
});

describe('logs', () => {
  it('writes one JSON summary line per file and no message contents', async () => {
    // Prepare
    const file = 'mixed.kamailio-sipdump.data';
    const obj = await emu.put(`logs/${file}`, readFileSync(`${CORPUS_DIR}${file}`));
    const child = spawnHandler(sqsEvent(sqsRecord(s3Event(obj), 'logged')), {
      ...emu.env,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });

    // Act
    const { code, stdout } = await child.exited;

    // Assess
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('RESULT {"batchItemFailures":[]}');
    const logs = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.map((l) => `${l.level} ${l.message}`)).toEqual(['INFO file processed']);
    const summary = logs[0] ?? {};
    expect(summary).toMatchObject({
      service: 'sip-metrics',
      bucket: emu.bucket,
      key: `logs/${file}`,
      bytes: 2420817,
      formats: ['sipdump'],
      responses: 1834,
      responsesByClass: { '1xx': 648, '2xx': 784, '3xx': 22, '4xx': 279, '5xx': 55, '6xx': 46 },
      retransmittedResponses: 5,
      anomalies: {},
      // the corpus was logged on 2026-11-24: since 2026-12-07 13:41 UTC older than CloudWatch takes (13 days kept)
      restampedResponses: 1834,
      batches: 1,
      calls: 1,
      attempt: 1,
    });
    expect(typeof summary.durationMs).toBe('number');
    expect(typeof summary.mbPerSecond).toBe('number');
    expect(stdout).not.toMatch(/Call-ID|606033789@127\.0\.0\.1|sip:|SIP\/2\.0/);
  });
});

describe('configuration', () => {
  it('fails the cold start with one error that lists every problem', async () => {
    // Prepare
    const saved = { ...process.env };
    delete process.env.LEDGER_TABLE;
    Object.assign(process.env, { METRIC_DETAIL: 'all', PUBLISH_CONCURRENCY: '0', LEASE_SECONDS: 'soon' });

    // Act
    const loading = coldStartHandler({}, vi.resetModules);

    // Assess
    await expect(loading).rejects.toMatchObject({
      name: 'ConfigError',
      code: 'CONFIG',
      message:
        'LEDGER_TABLE is required; METRIC_DETAIL must be one of class, code, method, got "all"; ' +
        'LEASE_SECONDS must be a whole number, got "soon"; PUBLISH_CONCURRENCY must be >= 1',
    });
    process.env = saved;
  });
});

describe('PEER_METRICS', () => {
  it('publishes Responses by (Class, Peer) for the named peers and the busiest others, as tshark counts them by sender', async () => {
    // Prepare
    const peers = JSON.stringify({ proxy: ['127.0.0.1:15060', '[::1]:15060'], appserver: ['127.0.0.1:15062'] });
    const { handler } = await coldStartHandler(
      { ...emu.env, PEERS: peers, PEER_METRICS: 'true', PEER_TOP_N: '1' },
      vi.resetModules,
    );
    const obj = await emu.put('peers/mixed.pcap', readFileSync(`${CORPUS_DIR}mixed.pcap`));

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess (tshark by source endpoint: test/fixtures/peers-by-source.tshark.json; ::1's 59 are 'other')
    expect(responsesByPeer(emu.cloudWatch.datums)).toEqual({
      proxy: { '1xx': 362, '2xx': 449, '3xx': 11, '4xx': 189, '5xx': 28, '6xx': 23 },
      appserver: { '1xx': 214, '2xx': 87, '3xx': 11, '4xx': 68, '5xx': 27, '6xx': 18 },
      '127.0.0.1': { '1xx': 55, '2xx': 211, '4xx': 17, '6xx': 5 },
      other: { '1xx': 17, '2xx': 37, '4xx': 5 },
    });
    // each peer's total, which its spike alarms divide by
    expect(
      ['proxy', 'appserver', '127.0.0.1', 'other'].map((Peer) => emu.cloudWatch.sum('Responses', { Peer })),
    ).toEqual([1062, 425, 288, 59]);
    expect(emu.cloudWatch.sum('Responses', { Class: '5xx' })).toBe(55);
  });

  it('publishes nothing by Peer by default', async () => {
    // Prepare
    // (the environment of an earlier cold start stays in process.env: set both explicitly)
    const { handler } = await coldStartHandler({ ...emu.env, PEERS: '', PEER_METRICS: '' }, vi.resetModules);
    const obj = await emu.put('peers-off/mixed.pcap', readFileSync(`${CORPUS_DIR}mixed.pcap`));

    // Act
    await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());

    // Assess
    expect(responsesByPeer(emu.cloudWatch.datums)).toEqual({});
    expect(emu.cloudWatch.sum('Responses', { Class: '5xx' })).toBe(55);
  });
});
