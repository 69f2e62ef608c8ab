import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, corpusFiles } from '../support/corpus.js';

// The real CLI in a child process (through tsx, so no build step is needed for the test).
const runCli = (args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lambda/cli/cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

const FIXTURE = new URL('../fixtures/time/tcpdump-A-midnight-new-york.txt.gz', import.meta.url).pathname;
const TRUTH: Record<string, Record<string, number>> = JSON.parse(
  readFileSync(new URL('../fixtures/time/tcpdump-A-midnight-new-york.txt.truth.json', import.meta.url), 'utf8'),
).responsesPerMinute;

interface Minute {
  readonly minute: string;
  readonly byCode: Record<string, number>;
}
const perMinute = (stdout: string): Record<string, Record<string, number>> =>
  Object.fromEntries((JSON.parse(stdout).series as Minute[]).map((m) => [m.minute, m.byCode]));

describe('sip-metrics scan --tz --reference-time', () => {
  it('puts tcpdump -A times of day (America/New_York, across midnight) on the UTC minutes tshark gives them', () => {
    // Act
    const r = runCli([
      'scan',
      '--json',
      '--per-minute',
      '--tz',
      'America/New_York',
      '--reference-time',
      '2026-11-25T06:00:00Z',
      FIXTURE,
    ]);

    // Assess
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(perMinute(r.stdout)).toEqual(TRUTH);
    expect(JSON.parse(r.stdout).timedResponses).toBe(1834);
  });

  it('reads the same times in a fixed UTC offset: -05:00 is New York in November, -04:30 puts each minute 30 minutes earlier', () => {
    // Act
    const at = (tz: string) =>
      runCli(['scan', '--json', '--per-minute', '--tz', tz, '--reference-time', '2026-11-25T06:00:00Z', FIXTURE]);
    const est = at('-05:00');
    const utcMinus5 = at('UTC-5');
    const halfHour = at('-04:30');

    // Assess
    expect([est.code, est.stderr, utcMinus5.code, halfHour.code]).toEqual([0, '', 0, 0]);
    expect(perMinute(est.stdout)).toEqual(TRUTH);
    expect(perMinute(utcMinus5.stdout)).toEqual(TRUTH);
    const shifted = Object.fromEntries(
      Object.entries(TRUTH).map(([minute, byCode]) => [
        new Date(Date.parse(minute) - 30 * 60_000).toISOString(),
        byCode,
      ]),
    );
    expect(perMinute(halfHour.stdout)).toEqual(shifted);
  });

  it("takes the file's mtime as the reference instant when none is given", () => {
    // Prepare: a copy last written at 01:00 New York time, an hour after the capture ended
    const copy = join(mkdtempSync(join(tmpdir(), 'sip-metrics-times-')), 'capture.txt.gz');
    copyFileSync(FIXTURE, copy);
    const mtime = new Date('2026-11-25T06:00:00Z');
    utimesSync(copy, mtime, mtime);

    // Act
    const r = runCli(['scan', '--json', '--per-minute', '--tz', 'America/New_York', copy]);

    // Assess
    expect(r.code).toBe(0);
    expect(perMinute(r.stdout)).toEqual(TRUTH);
  });

  it('prints the per-minute table in UTC, the zone only changing how the log is read', () => {
    // Act
    const r = runCli([
      'scan',
      '--per-minute',
      '--tz',
      'America/New_York',
      '--reference-time',
      '2026-11-25T06:00:00Z',
      FIXTURE,
    ]);

    // Assess
    expect(r.stdout.slice(r.stdout.indexOf('  per minute'))).toBe(
      [
        '  per minute (log time, UTC)      1xx      2xx      3xx      4xx      5xx      6xx    total',
        // the classes of the truth file's codes, summed per minute
        '  2026-11-25 04:59                216      204        8       92       23       20      563',
        '  2026-11-25 05:00                432      580       14      187       32       26    1,271',
        '',
        '',
      ].join('\n'),
    );
  });

  it('refuses a zone that is not an IANA zone and a reference time without a zone, with exit 2', () => {
    // Act
    const badZone = runCli(['scan', '--tz', 'CEST', FIXTURE]);
    const badOffset = runCli(['scan', '--tz', '+15:00', FIXTURE]);
    // ICU reads BST as Asia/Dhaka: a British operator's abbreviation would be six hours off, so it is refused
    const javaId = runCli(['scan', '--tz', 'BST', FIXTURE]);
    const badTime = runCli(['scan', '--reference-time', '2026-11-25 06:00', FIXTURE]);

    // Assess
    expect([badZone.code, badZone.stderr]).toEqual([
      2,
      'sip-metrics: --tz CEST: not an IANA time zone or UTC offset (e.g. Europe/Berlin, America/New_York, UTC, +05:30)\n',
    ]);
    expect([badOffset.code, javaId.code]).toEqual([2, 2]);
    expect([badTime.code, badTime.stderr]).toEqual([
      2,
      'sip-metrics: --reference-time 2026-11-25 06:00: expected an ISO 8601 instant with a zone, e.g. 2026-11-24T14:00:00Z\n',
    ]);
  });

  it('times every response of every shared corpus file whose log prints a time (all but ngrep without -t)', () => {
    // Prepare
    const files = corpusFiles().map((f) => `${CORPUS_DIR}${f}`);

    // Act
    const r = runCli(['scan', '--json', '--reference-time', '2026-11-24T14:00:00Z', ...files]);

    // Assess
    const untimed = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; responses: number; timedResponses: number })
      .filter((o) => o.timedResponses !== o.responses)
      .map((o) => `${o.file.slice(CORPUS_DIR.length)} ${o.timedResponses}/${o.responses}`);
    expect(untimed.sort()).toEqual([
      'large.ngrep.txt.gz 0/54968',
      'mixed.ngrep.txt 0/1834',
      'mixed.ngrep.txt.gz 0/1834',
    ]);
  });
});
