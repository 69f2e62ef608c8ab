import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanReportSchema, scanResultLineSchema } from '../../lambda/cli/report/scan-result-schema.js';
import { CORPUS_DIR } from '../support/corpus.js';

// Real `sip-metrics scan --json` output, in a child process as a user runs it, against the published schema
// (strict: a key the schema does not name fails).

const runCli = (args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lambda/cli/cli.ts', 'scan', '--json', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

/** Each line's kind (with its error code, if any) and the zod issues of the lines that do not fit. */
const validate = (stdout: string): { kinds: string[]; problems: string[] } => {
  const kinds: string[] = [];
  const problems: string[] = [];
  for (const line of stdout.trim().split('\n')) {
    const r = scanResultLineSchema.safeParse(JSON.parse(line));
    if (!r.success) {
      problems.push(JSON.stringify(r.error.issues.slice(0, 3)));
      continue;
    }
    const o = r.data;
    if ('skipped' in o) kinds.push('skipped');
    else if (!('formats' in o)) kinds.push(`failure ${o.error.code}`);
    else kinds.push(o.error === undefined ? 'report' : `partial ${o.error.code}`);
  }
  return { kinds, problems };
};

const corpus = (f: string): string => `${CORPUS_DIR}${f}`;

let dir: string;
/** One run over every corpus file but the two large ones, shared by the tests that read it. */
let corpusRun: { code: number; stdout: string; stderr: string };
const CORPUS_FILES = [
  'mixed.kamailio-proxy.log',
  'mixed.kamailio-sipdump.data',
  'mixed.ngrep.txt',
  'mixed.ngrep.txt.gz',
  'mixed.pcap',
  'mixed.pjsip-style.log',
  'mixed.tcpdump-A.txt.gz',
  'sipp-uac-cancel-tcp.messages.log',
  'sipp-uac-invite.messages.log',
  'sipp.pcapng',
];
beforeAll(() => {
  corpusRun = runCli(CORPUS_FILES.map(corpus));
  dir = mkdtempSync(join(tmpdir(), 'sip-metrics-json-schema-'));
  writeFileSync(join(dir, 'empty.log'), '');
  // the first half of a gzip member: the scan stops with TRUNCATED_GZIP and reports what it read
  const gz = readFileSync(corpus('mixed.ngrep.txt.gz'));
  writeFileSync(join(dir, 'cut.ngrep.txt.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
  writeFileSync(join(dir, 'peers.json'), '{"carrier-a":["10.0.0.0/8"]}');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sip-metrics scan --json output', () => {
  it('fits the schema for every corpus file but the two large ones, scanned in one run', () => {
    // Prepare, Act: scanned in beforeAll

    // Assess
    expect([corpusRun.code, corpusRun.stderr]).toEqual([0, '']);
    expect(validate(corpusRun.stdout)).toEqual({ kinds: CORPUS_FILES.map(() => 'report'), problems: [] });
  });

  it('fits the schema with the per-minute series, the KPI minutes, per-peer names and a time zone', () => {
    // Act
    const r = runCli([
      '--per-minute',
      '--by',
      'peer',
      '--peers',
      join(dir, 'peers.json'),
      '--tz',
      'Europe/Berlin',
      corpus('mixed.pcap'),
      corpus('mixed.pjsip-style.log'),
      corpus('sipp.pcapng'),
    ]);

    // Assess: the series and the KPI minutes are there, and they fit
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(validate(r.stdout)).toEqual({ kinds: ['report', 'report', 'report'], problems: [] });
    const first = JSON.parse(r.stdout.split('\n')[0] ?? '{}');
    expect([Array.isArray(first.series), Array.isArray(first.kpis.perMinute)]).toEqual([true, true]);
  });

  it('fits the schema for an empty input, a missing one and one cut short', () => {
    // Act
    const r = runCli([join(dir, 'empty.log'), join(dir, 'missing.log'), join(dir, 'cut.ngrep.txt.gz')]);

    // Assess: exit 1 (an input failed); the cut file's line holds what was read before the gzip stream ended
    expect(r.code).toBe(1);
    expect(validate(r.stdout)).toEqual({
      kinds: ['skipped', 'failure UNREADABLE_FILE', 'partial TRUNCATED_GZIP'],
      problems: [],
    });
  });

  it('rejects a line with a key the schema does not name', () => {
    // Prepare: a real line (the corpus run's first) with one key more
    const line = { ...JSON.parse(corpusRun.stdout.split('\n')[0] ?? '{}'), extra: 1 };

    // Act
    const parsed = scanReportSchema.safeParse(line);

    // Assess
    expect(parsed.error?.issues.map((i) => [i.code, 'keys' in i ? i.keys : []])).toEqual([
      ['unrecognized_keys', ['extra']],
    ]);
    expect(scanResultLineSchema.safeParse(line).success).toBe(false);
  });
});
