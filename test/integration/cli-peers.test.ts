import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR } from '../support/corpus.js';

// The real CLI in a child process: who answered (--peers, --by peer, byPeer in --json).
const runCli = (args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lambda/cli/cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

const peersFile = (spec: unknown): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'sip-metrics-peers-')), 'peers.json');
  writeFileSync(path, JSON.stringify(spec));
  return path;
};

describe('sip-metrics scan by peer', () => {
  it('names senders from --peers in the JSON byPeer, the rest by IP', () => {
    // Prepare
    const peers = peersFile({ proxy: ['127.0.0.1:15060', '[::1]:15060'], appserver: ['127.0.0.1:15062'] });

    // Act
    const r = runCli(['scan', '--json', '--peers', peers, `${CORPUS_DIR}mixed.pcap`]);

    // Assess (tshark per source endpoint, see test/fixtures/peers-by-source.tshark.json)
    expect([r.code, r.stderr]).toEqual([0, '']);
    const byPeer = JSON.parse(r.stdout).byPeer as Record<string, { responses: number; byClass: object }>;
    expect(Object.fromEntries(Object.entries(byPeer).map(([k, v]) => [k, v.responses]))).toEqual({
      '127.0.0.1': 288,
      '::1': 59,
      appserver: 425,
      proxy: 1062,
    });
    expect(byPeer.appserver?.byClass).toEqual({ '1xx': 214, '2xx': 87, '3xx': 11, '4xx': 68, '5xx': 27, '6xx': 18 });
  });

  it('prints one row per peer, worst 5xx+6xx first, with --by peer', () => {
    // Prepare
    const peers = peersFile({ proxy: ['127.0.0.1:15060', '[::1]:15060'], appserver: ['127.0.0.1:15062'] });

    // Act
    const r = runCli(['scan', '--by', 'peer', '--peers', peers, `${CORPUS_DIR}mixed.pcap`]);

    // Assess
    expect(r.code).toBe(0);
    const table = r.stdout.slice(r.stdout.indexOf('by peer (sender)'));
    const rows = table
      .split('\n')
      .filter((l) => /^ {4}\S+ +\d+ /.test(l))
      .map((l) => l.trim().split(/\s+/));
    expect(rows.map((row) => row[0])).toEqual(['proxy', 'appserver', '127.0.0.1', '::1']);
    // the proxy's 28 + 23 failures outrank the application server's 27 + 18; then the INVITE transactions each
    // answered with their SER, SEER and ISA (the same from tshark's fields keyed by the first response's source)
    expect(rows[0]).toEqual([
      'proxy',
      '1062',
      '362',
      '449',
      '11',
      '189',
      '28',
      '23',
      '2.6%',
      '2.2%',
      '211',
      '36.32%',
      '55.22%',
      '11.37%',
    ]);
    expect(rows[1]).toEqual([
      'appserver',
      '425',
      '214',
      '87',
      '11',
      '68',
      '27',
      '18',
      '6.4%',
      '4.2%',
      '135',
      '28.80%',
      '51.20%',
      '15.56%',
    ]);
    expect(rows[2]?.slice(10)).toEqual(['46', '63.04%', '80.43%', '0.00%']);
    expect(rows[3]?.slice(10)).toEqual(['11', '72.73%', '90.91%', '0.00%']);
  });

  it('breaks each minute of --per-minute down by peer with --by peer', () => {
    // Prepare
    const peers = peersFile({ proxy: ['127.0.0.1:15060', '[::1]:15060'], appserver: ['127.0.0.1:15062'] });

    // Act
    const r = runCli(['scan', '--by', 'peer', '--per-minute', '--peers', peers, `${CORPUS_DIR}mixed.pcap`]);

    // Assess: mixed.pcap is one minute of log time; its peers add up to the minute's row
    expect(r.code).toBe(0);
    const table = r.stdout.slice(r.stdout.indexOf('per minute (log time, UTC)')).split('\n').slice(1, 6);
    expect(table.map((l) => l.trim().split(/\s+/))).toEqual([
      ['2026-11-24', '13:39', '648', '784', '22', '279', '55', '46', '1,834'],
      ['proxy', '362', '449', '11', '189', '28', '23', '1,062'],
      ['appserver', '214', '87', '11', '68', '27', '18', '425'],
      ['127.0.0.1', '55', '211', '0', '17', '0', '5', '288'],
      ['::1', '17', '37', '0', '5', '0', '0', '59'],
    ]);
  });

  it('refuses a bad peer map with every problem listed, and exit code 2', () => {
    // Prepare
    const peers = peersFile({ a: ['10.0.0.0/40'], other: ['10.0.0.1'] });

    // Act
    const r = runCli(['scan', '--peers', peers, `${CORPUS_DIR}mixed.pcap`]);

    // Assess
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `sip-metrics: --peers ${peers}: peer "a": "10.0.0.0/40" is not a CIDR block; peer name "other" is reserved [CONFIG]\n`,
    );
  });
});
