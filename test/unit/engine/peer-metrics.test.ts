import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { parsePeerMap } from '../../../lambda/engine/peers.js';
import { toMetricPoints } from '../../../lambda/engine/to-metric-points.js';
import { chunked } from '../../support/collect.js';

// An ngrep -W byline log in which each of `senders` addresses answers one OPTIONS with a 503,
// plus 40 answers from a named carrier trunk (the busiest peer).
const ngrepLog = (senders: number): Buffer => {
  const block = (src: string, code: string, n: number): string =>
    `U ${src}:5060 -> 192.0.2.1:5060\nSIP/2.0 ${code}.\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK${n}.\nCall-ID: c${n}.\nCSeq: 1 OPTIONS.\nContent-Length: 0.\n.\n\n`;
  const parts = ['interface: any\nfilter: port 5060\n\n'];
  for (let i = 0; i < senders; i++)
    parts.push(block(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, '503 Service Unavailable', i));
  for (let i = 0; i < 40; i++) parts.push(block('203.0.113.9', '200 OK', senders + i));
  return Buffer.from(parts.join(''), 'latin1');
};

describe('per-peer metrics', () => {
  it('publish a file of 10,000 senders as the named peers, the top 10 others and "other", summing to every response', async () => {
    // Prepare
    const peers = parsePeerMap({ 'carrier-a': ['203.0.113.0/24'] });
    if ('problems' in peers) throw new Error(peers.problems.join('; '));
    const r = await scan(chunked(ngrepLog(10_000), []), { peers });
    const T0 = Date.parse('2026-12-01T10:00:00Z');

    // Act
    const { points } = toMetricPoints(r, {
      detail: 'class',
      uploadTimeMs: T0,
      nowMs: T0 + 60_000,
      peerMetrics: { names: peers.names, topN: 10 },
    });

    // Assess
    expect(Object.keys(r.byPeer)).toHaveLength(10_001);
    const byPeer = points.filter((p) => p.Dimensions.some((d) => d.Name === 'Peer') && p.Dimensions.length === 2);
    const peerTotals = points.filter((p) => p.Dimensions.length === 1 && p.Dimensions[0]?.Name === 'Peer');
    const values = new Set(byPeer.map((p) => p.Dimensions.find((d) => d.Name === 'Peer')?.Value));
    expect(values.size).toBe(12);
    expect(values.has('carrier-a')).toBe(true);
    expect(values.has('other')).toBe(true);
    const sum = (peer: string, cls: string): number =>
      byPeer
        .filter((p) => p.Dimensions.some((d) => d.Value === peer) && p.Dimensions.some((d) => d.Value === cls))
        .reduce((n, p) => n + (p.Counts[0] ?? 0), 0);
    expect(sum('carrier-a', '2xx')).toBe(40);
    expect(sum('other', '5xx')).toBe(10_000 - 10);
    // one datum per published peer and class that has responses: 12 peers, one class each
    expect(byPeer).toHaveLength(12);
    // and each peer's total, the denominator of its spike alarms
    expect(peerTotals).toHaveLength(12);
    const total = (peer: string): number | undefined =>
      peerTotals.find((p) => p.Dimensions[0]?.Value === peer)?.Counts[0];
    expect([total('carrier-a'), total('other'), total('10.0.0.0')]).toEqual([40, 10_000 - 10, 1]);
  });

  it('publish nothing by Peer unless asked to', async () => {
    // Prepare
    const r = await scan(chunked(ngrepLog(20), []));
    const T0 = Date.parse('2026-12-01T10:00:00Z');

    // Act
    const { points } = toMetricPoints(r, { detail: 'class', uploadTimeMs: T0, nowMs: T0 });

    // Assess
    expect(points.filter((p) => p.Dimensions.some((d) => d.Name === 'Peer'))).toEqual([]);
  });
});
