import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportWidgets } from '../../infra/dashboard-widgets.js';
import { deployedAlarmRules } from '../../lambda/cli/report/deployed-alarm-rules.js';
import type { JsonReport } from '../../lambda/cli/report/to-json-line.js';
import { ARTIFACTS_DIR, launchChromium, numberOf, tableRows, textsOf } from '../support/browser.js';
import { CORPUS_DIR } from '../support/corpus.js';
import { SPIKE_PEERS, spikeTrace, spikeTraceAlarmRows } from '../support/spike-trace.js';

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'] as const;

// The real CLI in a child process (through tsx, so no build step is needed for the test).
const runCli = (args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lambda/cli/cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

const int = (n: number): string => n.toLocaleString('en-US');

/**
 * Every row of a "Top 10" widget: the full table under its <details> when there are more than 10, after checking
 * that the widget's own table shows the first 10 of them.
 */
const everyRow = async (page: Page, table: string): Promise<string[][]> => {
  const top = await tableRows(page, table);
  const all = await tableRows(page, `${table}-all`);
  if (all.length === 0) return top;
  expect([all.length > 10, top]).toEqual([true, all.slice(0, 10)]);
  return all;
};
const pct2 = (n: number | null): string => (n === null ? '–' : `${n.toFixed(2)} %`);

describe('sip-metrics scan --html, opened in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-metrics-html-'));
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a report file with JavaScript off: the static report must not need it. */
  const open = async (file: string, width: number): Promise<{ page: Page; loadMs: number }> => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width, height: 900 } });
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    return { page, loadMs: Date.now() - started };
  };

  it('shows the numbers of --json for shared corpus files, a truncated gzip among them', async () => {
    // Prepare: three corpus captures and logs, and the ngrep sample cut short (a failed file with partial counts)
    const truncated = join(dir, 'cut.ngrep.txt.gz');
    const gz = readFileSync(`${CORPUS_DIR}mixed.ngrep.txt.gz`);
    writeFileSync(truncated, gz.subarray(0, Math.floor(gz.length / 2)));
    // and two bare SIP responses, the second's body cut short (Content-Length 300, 5 bytes follow): an anomaly
    const cutBody = join(dir, 'cut-body.sip');
    writeFileSync(
      cutBody,
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1\r\nCall-ID: a@b\r\nCSeq: 1 INVITE\r\n' +
        'Content-Length: 0\r\n\r\nSIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-2\r\n' +
        'Call-ID: c@b\r\nCSeq: 1 INVITE\r\nContent-Length: 300\r\n\r\nv=0\r\n',
    );
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    const inputs = [
      `${CORPUS_DIR}mixed.pcap`,
      `${CORPUS_DIR}sipp.pcapng`,
      `${CORPUS_DIR}mixed.kamailio-proxy.log`,
      `${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`,
      truncated,
      cutBody,
      empty,
    ];
    const html = join(dir, 'corpus.html');

    // Act: one run writes both the JSON and the report, so they describe the same scan
    const r = runCli(['scan', '--json', '--html', html, ...inputs]);
    const { page } = await open(html, 1280);

    // Assess
    expect(r.code).toBe(1); // the truncated gzip fails, as without --html
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as JsonReport | { file: string; skipped: 'empty' });
    // the empty input is skipped: listed in the report's files, counted nowhere
    expect(lines.at(-1)).toEqual({ file: empty, skipped: 'empty' });
    const json = lines.filter((j): j is JsonReport => !('skipped' in j));
    expect(json.map((j) => [j.file, j.error?.code])).toEqual(
      inputs.filter((f) => f !== empty).map((f) => [f, f === truncated ? 'TRUNCATED_GZIP' : undefined]),
    );
    const total = (pick: (j: JsonReport) => number): number => json.reduce((s, j) => s + pick(j), 0);
    const responses = total((j) => j.responses);
    expect(responses).toBe(1834 + 1905 + 491 + 160 + (json[4]?.responses ?? 0) + 2);
    expect(await textsOf(page, '[data-metric="responses"]')).toEqual([int(responses)]);
    for (const c of CLASSES)
      expect(await textsOf(page, `[data-metric="class-${c}"]`)).toEqual([int(total((j) => j.byClass[c]))]);
    expect(await textsOf(page, '[data-metric="untimed"]')).toEqual([int(responses - total((j) => j.timedResponses))]);

    const byCode = new Map<string, number>();
    for (const j of json)
      for (const [code, n] of Object.entries(j.byCode)) byCode.set(code, (byCode.get(code) ?? 0) + n);
    const codeRows = await everyRow(page, 'status-codes');
    expect(new Map(codeRows.map((row) => [row[0], numberOf(row[2] ?? '')]))).toEqual(byCode);

    const byMethod = new Map<string, number[]>();
    for (const j of json) {
      for (const [method, codes] of Object.entries(j.byMethod)) {
        const row = byMethod.get(method) ?? [0, 0, 0, 0, 0, 0];
        for (const [code, n] of Object.entries(codes)) row[Number(code[0]) - 1] = (row[Number(code[0]) - 1] ?? 0) + n;
        byMethod.set(method, row);
      }
    }
    const methodRows = await everyRow(page, 'methods');
    expect(new Map(methodRows.map((row) => [row[0], row.slice(2).map(numberOf)]))).toEqual(byMethod);
    for (const row of methodRows)
      expect(numberOf(row[1] ?? '')).toBe(
        row
          .slice(2)
          .map(numberOf)
          .reduce((a, b) => a + b),
      );

    const byPeer = new Map<string, number>();
    for (const j of json)
      for (const [peer, p] of Object.entries(j.byPeer)) byPeer.set(peer, (byPeer.get(peer) ?? 0) + p.responses);
    const volumeRows = await tableRows(page, 'peers-all');
    expect(volumeRows.map((row) => [row[0], numberOf(row[1] ?? '')])).toEqual(
      [...byPeer.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)),
    );

    // KPIs per file that has INVITE transactions, as --json gives them
    const kpiRows = await tableRows(page, 'kpi-ratios');
    expect(kpiRows).toEqual(
      json
        .filter((j) => j.kpis.inviteTransactions > 0)
        .map((j) => [
          j.file,
          int(j.kpis.inviteTransactions),
          pct2(j.kpis.ser),
          pct2(j.kpis.seer),
          pct2(j.kpis.isa),
          pct2(j.kpis.scr),
        ]),
    );
    const mixed = (await tableRows(page, 'kpi-delays')).find((row) => row[0] === inputs[0]);
    expect(mixed?.slice(1, 5)).toEqual(['403', '1.003 ms', '31.991 ms', '88.27 ms']); // SRD n, p50, p90, p99

    const fileRows = await tableRows(page, 'files');
    expect(fileRows.map((row) => [row[0], row[1], row[2], row[4]])).toEqual([
      ...json.map((j) => [
        j.error === undefined ? j.file : `${j.file}${j.error.message} [${j.error.code}]`,
        j.error === undefined ? 'done' : 'failed',
        j.formats.join(', '),
        int(j.responses),
      ]),
      [empty, 'skipped', '–', '–'],
    ]);
    const anomalyRows = await tableRows(page, 'anomalies');
    expect(anomalyRows).toEqual(json.flatMap((j) => Object.entries(j.anomalies).map(([k, n]) => [k, int(n ?? 0)])));
    expect(anomalyRows).toEqual([['truncated-body', '1']]);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'report-corpus-1280.png'), fullPage: true });
    await page.context().close();
  });

  it('exits 1 with UNWRITABLE_REPORT before reading any input when the report cannot be written', () => {
    // Prepare: a folder that does not exist, and a folder as the report's name
    const html = join(dir, 'no-such-folder', 'report.html');
    const input = `${CORPUS_DIR}mixed.kamailio-proxy.log`;

    // Act
    const r = runCli(['scan', '--json', '--html', html, input]);
    const folder = runCli(['scan', '--json', '--html', dir, input]);

    // Assess: before, the inputs were scanned and printed first, and the report failed at the end
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(
      `sip-metrics: ${html}: cannot write the HTML report (no folder ${join(dir, 'no-such-folder')}) [UNWRITABLE_REPORT]\n`,
    );
    expect([folder.code, folder.stdout, folder.stderr]).toEqual([
      1,
      '',
      `sip-metrics: ${dir}: cannot write the HTML report (it is a folder) [UNWRITABLE_REPORT]\n`,
    ]);
  });

  it('marks the minutes above a threshold and the replayed ALARM of a 5xx spike, on a wide screen and a phone', async () => {
    // Prepare: 4 hours of traffic to three peers; carrier A answers 503 to a third of its calls for 11 minutes
    const start = Date.UTC(2026, 10, 24, 9, 0);
    const trace = spikeTrace(start, 240, [90, 100], [170, 171]);
    const log = join(dir, 'spike.ngrep.txt');
    writeFileSync(log, trace.text);
    const html = join(dir, 'spike.html');

    // Act
    const r = runCli(['scan', '--html', html, log]);
    const wide = await open(html, 1280);

    // Assess
    expect([r.code, r.stderr]).toEqual([
      0,
      `sip-metrics: HTML report of 1 input(s) written to ${html} (${Math.ceil(statSync(html).size / 1024)} KiB)\n`,
    ]);
    const page = wide.page;
    const deployed = deployedAlarmRules();
    expect(trace.minutesAbove5xx).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100]);
    expect(trace.minutesAbove6xx).toEqual([170, 171]);
    expect(await textsOf(page, '[data-metric="responses"]')).toEqual([int(trace.responses)]);
    for (const c of CLASSES) expect(await textsOf(page, `[data-metric="class-${c}"]`)).toEqual([int(trace.byClass[c])]);
    expect(await textsOf(page, '[data-metric="breached-5xx"]')).toEqual(['11']);
    expect(await textsOf(page, '[data-metric="breached-6xx"]')).toEqual(['2']);
    // one red mark per breached minute on the responses chart, and as many shaded columns on each ratio chart
    expect(await page.$$eval('#responses-by-class .marks rect.b5xx', (e) => e.length)).toBe(11);
    expect(await page.$$eval('#responses-by-class .marks rect.b6xx', (e) => e.length)).toBe(2);
    expect(await page.$$eval('#ratio-5xx .marks rect', (e) => e.length)).toBe(11);
    // 3 of 68: ALARM once the third breaching minute (10:32) has ended; OK again once only two of the eleven are
    // left among the last 68 minutes (10:38 leaves the range at 11:47); the 6xx burst is 2 minutes, never 3
    const alarms = await tableRows(page, 'alarms');
    expect(alarms.map((row) => [row[0], row[1], row[3], row[4], row[5]])).toEqual(spikeTraceAlarmRows(start));
    expect(
      await page.$$eval('#ratio-5xx rect.inalarm', (e) => e.map((r) => [r.getAttribute('x'), r.getAttribute('width')])),
    ).toEqual([['93', String(167 - 93)]]);
    const threshold = await page.$eval('#ratio-5xx line.threshold', (l) => l.getAttribute('y1'));
    const top = await page.$eval('#ratio-5xx svg', (s) => s.getAttribute('viewBox'));
    expect(Number(top?.split(' ')[3]) - Number(threshold)).toBe(5); // the line sits at cdk.json's 5 %
    const peerRow = (row: string[]) => [row[0], numberOf(row[1] ?? ''), numberOf(row[6] ?? ''), numberOf(row[7] ?? '')];
    // only carrier A answers 5xx, only carrier B 6xx
    expect((await tableRows(page, 'peers-5xx')).map(peerRow)).toEqual([
      [SPIKE_PEERS.carrierA, trace.byPeer[SPIKE_PEERS.carrierA], trace.byClass['5xx'], 0],
    ]);
    expect((await tableRows(page, 'peers-6xx')).map(peerRow)).toEqual([
      [SPIKE_PEERS.carrierB, trace.byPeer[SPIKE_PEERS.carrierB], 0, trace.byClass['6xx']],
    ]);
    // the report shows the widgets of the description a file scan can fill, in its order
    expect(await textsOf(page, 'main > section.w > :is(h1, h2)')).toEqual(
      reportWidgets({
        spikeAlarms: deployed.spikeAlarms,
        spikeRules: deployed.spikeRules,
        kpiRules: deployed.kpiRules,
      }).map((w) => w.title),
    );
    expect(wide.loadMs).toBeLessThan(2000);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'report-spike-1280.png'), fullPage: true });
    // the first screen, as README.md shows it (docs/report.png is a copy)
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'report-spike-1280-top.png') });
    await page.context().close();

    // a phone: every widget one column wide, nothing wider than the screen but the tables' own scroll boxes
    const phone = await open(html, 390);
    const overflow = await phone.page.evaluate<number>('document.documentElement.scrollWidth');
    expect(overflow).toBeLessThanOrEqual(390);
    const widths = await phone.page.$$eval('section.w', (s) =>
      s.map((e) => Math.round(e.getBoundingClientRect().width)),
    );
    expect(new Set(widths).size).toBe(1);
    await phone.page.screenshot({ path: join(ARTIFACTS_DIR, 'report-spike-390.png'), fullPage: true });
    await phone.page.context().close();
  });
});
