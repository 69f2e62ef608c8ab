import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR } from '../support/corpus.js';
import { MIXED_PCAP_KPI_REPORT } from '../support/kpi-expectations.js';

// The real CLI in a child process (through tsx, so no build step is needed for the test).
const runCli = (args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lambda/cli/cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

describe('sip-metrics scan: RFC 6076 KPIs', () => {
  it('prints kpis in the JSON line, per minute with --per-minute', () => {
    // Act
    const r = runCli(['scan', '--json', '--per-minute', `${CORPUS_DIR}mixed.pcap`]);

    // Assess
    expect([r.code, r.stderr]).toEqual([0, '']);
    const got = JSON.parse(r.stdout);
    const { perMinute, ...totals } = got.kpis;
    expect(totals).toEqual(MIXED_PCAP_KPI_REPORT);
    const perMinuteInvites = (perMinute as { inviteTransactions: number }[]).reduce(
      (n, m) => n + m.inviteTransactions,
      0,
    );
    expect(perMinuteInvites).toBe(406);
  });

  it('shows the KPIs under the classes in the table', () => {
    // Act
    const r = runCli(['scan', `${CORPUS_DIR}mixed.pcap`]);

    // Assess
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('  6xx'));
    expect(lines[at + 1]).toBe(
      '  KPIs     INVITE transactions 406   SER 37.82%   SEER 57.51%   ISA 11.08%   SCR 35.96%',
    );
    expect(lines[at + 2]).toBe(
      '  delays   SRD n=403 mean 20.906 p50 1.003 p90 31.991 p99 88.27 ms; SDD n=150 mean 0.493 p50 0 p90 1.003 p99 2.996 ms; RRD n=118 mean 0.254 p50 0 p90 1 p99 1 ms',
    );
  });

  it('gives each peer its KPIs in the JSON with --by peer, per minute with --per-minute', () => {
    // Act
    const r = runCli(['scan', '--json', '--by', 'peer', '--per-minute', `${CORPUS_DIR}mixed.pcap`]);

    // Assess: 362 + 41 of the 406 INVITE transactions were answered (test/fixtures/kpis/mixed.pcap.truth.json)
    expect([r.code, r.stderr]).toEqual([0, '']);
    const got = JSON.parse(r.stdout) as {
      byPeer: Record<string, { responses: number; kpis: Record<string, unknown> & { perMinute: unknown[] } }>;
      kpis: Record<string, unknown>;
    };
    expect(Object.keys(got.byPeer)).toEqual(['127.0.0.1', '::1']);
    expect(Object.keys(got.byPeer['::1']?.kpis ?? {})).toEqual(Object.keys(got.kpis));
    expect(got.byPeer['::1']?.kpis).toEqual({
      inviteTransactions: 41,
      ser: 48.78,
      seer: 68.29,
      isa: 12.2,
      scr: 48.78,
      srdMs: { count: 41, mean: 53.659, p50: 1.003, p90: 1.992, p99: 1968.253 },
      sddMs: { count: 20, mean: 0.75, p50: 1.003, p90: 1.003, p99: 1.992 },
      rrdMs: { count: 12, mean: 0.583, p50: 1, p90: 1, p99: 1 },
      perMinute: [
        { minute: '2026-11-24T13:39:00.000Z', inviteTransactions: 41, ser: 48.78, seer: 68.29, isa: 12.2, scr: 48.78 },
      ],
    });
    expect(got.byPeer['127.0.0.1']?.kpis.inviteTransactions).toBe(362);
  });

  it('leaves the peers without kpis in the JSON without --by peer', () => {
    // Act
    const r = runCli(['scan', '--json', `${CORPUS_DIR}mixed.pcap`]);

    // Assess
    const got = JSON.parse(r.stdout) as { byPeer: Record<string, object> };
    expect(Object.keys(got.byPeer['::1'] ?? {})).toEqual(['responses', 'byClass', 'byCode']);
  });
});
