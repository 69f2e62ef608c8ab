import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAllSpikeAlarmRules, buildKpiAlarmRules } from '../../infra/alarm-rules.js';
import { readStackConfig } from '../../infra/config.js';
import { dashboardWidgets, widgetConditionsOf } from '../../infra/dashboard-widgets.js';
import type { JsonReport } from '../../lambda/cli/report/to-json-line.js';
import { cdkJsonContext } from '../infra/synth.js';
import { ARTIFACTS_DIR, launchChromium, tableRows, textsOf } from '../support/browser.js';
import { SPIKE_PEERS, spikeTrace, spikeTraceAlarmRows } from '../support/spike-trace.js';

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'] as const;
const MS_PER_MINUTE = 60_000;
const int = (n: number): string => n.toLocaleString('en-US');

/** Resolves with the first stdout line matching `re` (the child keeps running). */
const waitForLine = (child: ChildProcessWithoutNullStreams, re: RegExp, timeoutMs: number): Promise<RegExpExecArray> =>
  new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${re} in ${timeoutMs} ms; stdout: ${out}`)),
      timeoutMs,
    );
    const onData = (c: Buffer): void => {
      out += c.toString('utf8');
      const m = re.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(m);
    };
    child.stdout.on('data', onData);
  });

/** The status code of a GET with this Host header. */
const statusWithHost = (port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });

const portIsClosed = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });

/** The arguments of a local stack on free ports with its data in `dir`. */
const stackArgs = (dir: string): string[] => [
  '--data-dir',
  join(dir, 'data'),
  '--drop-dir',
  join(dir, 'drop'),
  '--s3-port',
  '0',
  '--dynamodb-port',
  '0',
  '--cloudwatch-port',
  '0',
  '--no-examples',
  '--plain',
];

/** The titles of the widgets the CloudWatch dashboard shows for cdk.json plus these `-c` overrides, in order. */
const describedTitles = (overrides: Record<string, string>): string[] => {
  const config = readStackConfig({
    ...cdkJsonContext(),
    ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`sipMetrics:${k}`, v])),
  });
  return dashboardWidgets({
    spikeAlarms: config.spikeAlarms,
    spikeRules: buildAllSpikeAlarmRules(config.spikeAlarms, config.peerAlarms),
    kpiRules: buildKpiAlarmRules(config.kpiAlarms),
    conditions: widgetConditionsOf(config),
  }).map((w) => w.title);
};

/** `-c key=value` arguments of npm start. */
const contextArgs = (overrides: Record<string, string>): string[] =>
  Object.entries(overrides).flatMap(([k, v]) => ['-c', `${k}=${v}`]);

/** The headings of the page's widgets, in order. */
const HEADINGS = 'main > section.w > :is(h1, h2)';

/** `npm start -- ARGS` from source (tsx), as a child process. */
const startStack = (args: readonly string[]): ChildProcessWithoutNullStreams =>
  spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], { env: { ...process.env, NO_COLOR: '1' } });

describe('npm start: the live dashboard on 127.0.0.1, in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-metrics-live-'));
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a dropped file live, with the counts of scan --json and the alarm states the local stack evaluates', async () => {
    // Prepare: the stack on free ports, publishing status codes and peers, with ISA and SER alarms; and a 4-hour
    // trace ending 20 minutes ago (the handler restamps logs older than about 13 days, so the trace must be recent)
    // with an 11-minute 5xx spike (ISA about 17 %, SER about 72 %) and a 2-minute 6xx burst (SER about 72 %)
    const overrides = {
      metricDetail: 'code',
      peerMetrics: 'true',
      isaAlarmThresholdPercent: '10',
      serAlarmThresholdPercent: '80',
    };
    const start = Math.floor(Date.now() / MS_PER_MINUTE) * MS_PER_MINUTE - 260 * MS_PER_MINUTE;
    const trace = spikeTrace(start, 240, [90, 100], [170, 171]);
    const staged = join(dir, 'spike.ngrep.txt');
    writeFileSync(staged, trace.text);
    const drop = join(dir, 'drop');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'local/start.ts',
        '--data-dir',
        join(dir, 'data'),
        '--drop-dir',
        drop,
        '--s3-port',
        '0',
        '--dynamodb-port',
        '0',
        '--cloudwatch-port',
        '0',
        '--web-port',
        '0',
        '--no-examples',
        '--plain',
        ...contextArgs(overrides),
      ],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const [, url, port] = await waitForLine(child, /Dashboard \(web\) +(http:\/\/127\.0\.0\.1:(\d+)\/)/, 60_000);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(url ?? '', { waitUntil: 'load' });
      expect(await textsOf(page, '#files .empty')).toEqual(['No file yet.', 'No anomaly recorded.']);
      // the widgets of the CloudWatch dashboard this configuration deploys, in its order
      expect(await textsOf(page, HEADINGS)).toEqual(describedTitles(overrides));
      expect(await textsOf(page, '[data-metric="responses"]')).toEqual(['0']);

      // Act: drop the file while the page is open; the page must update itself (no reload)
      const json = JSON.parse(
        spawnSync(process.execPath, ['--import', 'tsx', 'lambda/cli/cli.ts', 'scan', '--json', staged], {
          encoding: 'utf8',
        }).stdout,
      ) as JsonReport;
      writeFileSync(join(drop, 'spike.ngrep.txt'), trace.text);
      // (selectors, not evaluated strings: the page's Content-Security-Policy forbids eval, as it should)
      await page.waitForSelector('#files tr[data-file="logs/spike.ngrep.txt"] .badge.s-done', { timeout: 60_000 });
      // the alarms are judged after the batch: wait until the page shows the stored counts
      await page
        .locator('[data-metric="responses"]', { hasText: new RegExp(`^${int(json.responses)}$`) })
        .waitFor({ timeout: 10_000 });

      // Assess: the numbers of the file's own scan, through the real handler and the local CloudWatch
      expect(json.responses).toBe(trace.responses);
      for (const c of CLASSES)
        expect(await textsOf(page, `[data-metric="class-${c}"]`)).toEqual([int(json.byClass[c])]);
      const files = await tableRows(page, 'files');
      expect(files.map((row) => [row[0], row[1], row[2], row[4]])).toEqual([
        ['logs/spike.ngrep.txt', 'done', 'ngrep', int(json.responses)],
      ]);
      const hm = (m: number): string =>
        new Date(start + m * MS_PER_MINUTE).toISOString().slice(0, 16).replace('T', ' ');
      const alarms = await tableRows(page, 'alarms');
      expect(alarms.map((row) => [row[0], row[1], row[3], row[4], row[5]])).toEqual([
        ...spikeTraceAlarmRows(start),
        // the KPI alarms, judged by evaluateKpiAlarm on the InviteTransactions datums: ISA above 10 % in the 11
        // spike minutes, SER below 80 % in those and in the 2 burst minutes (never 3 of them within 68 minutes)
        [
          'IneffectiveSessionAttempts',
          'OK',
          '0 of 68',
          '11',
          `${hm(0)} INSUFFICIENT_DATA → OK${hm(93)} OK → ALARM${hm(167)} ALARM → OK`,
        ],
        [
          'LowSessionEstablishment',
          'OK',
          '0 of 68',
          '13',
          `${hm(0)} INSUFFICIENT_DATA → OK${hm(93)} OK → ALARM${hm(167)} ALARM → OK`,
        ],
      ]);
      expect(await textsOf(page, '[data-metric="state-ServerErrorSpike"]')).toEqual(['OK']);
      expect(await textsOf(page, '[data-metric="state-LowSessionEstablishment"]')).toEqual(['OK']);
      // the breached periods marked on the KPI graph, one red column per minute, as on the ratio graphs
      expect(await page.$$eval('#kpi-ratios .marks rect', (e) => e.length)).toBe(11 + 13);
      expect(await textsOf(page, '[data-metric="breached-IneffectiveSessionAttempts"]')).toEqual(['11']);
      expect(await textsOf(page, '[data-metric="breached-LowSessionEstablishment"]')).toEqual(['13']);
      // the KPI sums of the stored datums give the file's own KPIs
      expect((await tableRows(page, 'kpi-ratios')).map((row) => row.slice(1))).toEqual([
        [
          int(json.kpis.inviteTransactions),
          `${json.kpis.ser?.toFixed(2)} %`,
          `${json.kpis.seer?.toFixed(2)} %`,
          `${json.kpis.isa?.toFixed(2)} %`,
          `${json.kpis.scr?.toFixed(2)} %`,
        ],
      ]);
      // status codes and peers, from the Responses by Code and by Peer datums
      const codes = await tableRows(page, 'status-codes');
      expect(new Map(codes.map((row) => [row[0], row[2]]))).toEqual(
        new Map(Object.entries(json.byCode).map(([code, n]) => [code, int(n)])),
      );
      expect((await tableRows(page, 'peers-5xx')).map((row) => [row[0], row[6]])).toEqual([
        [SPIKE_PEERS.carrierA, int(json.byClass['5xx'])],
      ]);
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'live-dashboard-1280.png'), fullPage: true });
      // only the loopback names are served (a DNS name pointing at 127.0.0.1 is refused)
      expect(await statusWithHost(Number(port), `127.0.0.1:${port}`)).toBe(200);
      expect(await statusWithHost(Number(port), `attacker.example:${port}`)).toBe(421);
      await page.close();

      // Act: stop npm start as Ctrl-C would
      child.kill('SIGTERM');

      // Assess: it exits cleanly and the dashboard's port is free again
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      expect(await portIsClosed(Number(port))).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 180_000);

  it('does not start when the dashboard port is taken, names the option, and leaves nothing running', async () => {
    // Prepare: something else listens on the port
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as { port: number }).port;

    // Act
    const child = startStack([...stackArgs(mkdtempSync(join(dir, 'busy-'))), '--web-port', String(port)]);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    other.close();

    // Assess
    expect([code, stderr]).toEqual([
      1,
      `npm start: Dashboard (web): port ${port} on 127.0.0.1 is already in use (is another \`npm start\` running?); ` +
        'choose another with --web-port <port> [PORT_IN_USE]\n',
    ]);
  });

  it('shows only the widgets the CloudWatch dashboard shows without KPI metrics, in its order', async () => {
    // Prepare: the function publishes no KPI metrics, so neither dashboard has KPI widgets
    const overrides = { kpiMetrics: 'false' };
    const child = startStack([
      ...stackArgs(mkdtempSync(join(dir, 'nokpi-'))),
      '--web-port',
      '0',
      ...contextArgs(overrides),
    ]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const [, url] = await waitForLine(child, /Dashboard \(web\) +(http:\/\/127\.0\.0\.1:\d+\/)/, 60_000);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

      // Act
      await page.goto(url ?? '', { waitUntil: 'load' });
      const headings = await textsOf(page, HEADINGS);
      await page.close();

      // Assess
      expect(headings).toEqual(describedTitles(overrides));
      expect(headings).not.toContain('Call KPIs, RFC 6076 (% of INVITE transactions)');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);

  it('serves no dashboard with --no-web', async () => {
    // Prepare
    const child = startStack([...stackArgs(mkdtempSync(join(dir, 'noweb-'))), '--no-web']);
    const exited = new Promise<number | string | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? signal)),
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });

    // Act
    await waitForLine(child, /Ctrl-C stops everything/, 60_000);
    child.kill('SIGTERM');

    // Assess
    expect(await exited).toBe(0);
    expect(stdout).toContain('  S3 (s3rver)  ');
    expect(stdout).not.toContain('Dashboard (web)');
  });
});
