import { describe, expect, it } from 'vitest';
import { DelayHistogram, delayBucket } from '../../../lambda/engine/delay-histogram.js';
import { bucketSlot, KPI_COUNT_FIELDS, MinuteNames, PeerKpiTable } from '../../../lambda/engine/kpi-peers.js';
import { type KpiCounts, type KpiPeerData, zeroCounts } from '../../../lambda/engine/kpis.js';
import { OTHER_PEER } from '../../../lambda/engine/peers.js';

/**
 * The per-peer KPIs as objects, the way the tracker kept them before its flat tables: a record per peer with its
 * counts, a Map of minute rows and three DelayHistograms (the histogram's own class is the reference for the delays).
 */
class PeerObjects {
  readonly peers = new Map<string, { counts: KpiCounts; minutes: Map<number, KpiCounts>; delays: DelayHistogram[] }>();
  private cells = 0;

  constructor(private readonly maxCells: number) {}

  private peer(key: string) {
    let p = this.peers.get(key);
    if (p === undefined) {
      p = {
        counts: zeroCounts(),
        minutes: new Map(),
        delays: [new DelayHistogram(), new DelayHistogram(), new DelayHistogram()],
      };
      this.peers.set(key, p);
    }
    return p;
  }

  bump(key: string, minuteMs: number, field: number): void {
    const name = KPI_COUNT_FIELDS[field] ?? 'inviteTransactions';
    const p = this.peer(key);
    p.counts[name]++;
    if (minuteMs < 0) return;
    let row = p.minutes.get(minuteMs);
    if (row === undefined) {
      const owner = this.cells >= this.maxCells ? this.peer(OTHER_PEER) : p;
      row = owner.minutes.get(minuteMs);
      if (row === undefined) {
        row = zeroCounts();
        owner.minutes.set(minuteMs, row);
        this.cells++;
      }
    }
    row[name]++;
  }

  addDelay(key: string, kind: number, ms: number): void {
    this.peer(key).delays[kind]?.add(ms);
  }

  records(): Record<string, KpiPeerData> {
    const out: Record<string, KpiPeerData> = {};
    for (const key of [...this.peers.keys()].sort()) {
      const p = this.peers.get(key);
      if (p === undefined) continue;
      const [srd, sdd, rrd] = p.delays.map((h) => h.toData());
      out[key] = {
        ...p.counts,
        srd: srd ?? new DelayHistogram().toData(),
        sdd: sdd ?? new DelayHistogram().toData(),
        rrd: rrd ?? new DelayHistogram().toData(),
        series: [...p.minutes.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([ms, c]) => ({ minute: new Date(ms).toISOString(), ...c })),
      };
    }
    return out;
  }
}

/** A small deterministic generator (mulberry32): the same operations on every run. */
const random = (seed: number) => {
  let a = seed;
  return (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

describe('PeerKpiTable', () => {
  it('keeps the same per-peer counts, minute rows and delays as a record, a Map and three histograms per peer', () => {
    // Prepare: 40 peers over 30 minutes, a row bound that is reached half-way, delays from 0 to hours and negative
    const table = new PeerKpiTable(150);
    const model = new PeerObjects(150);
    const next = random(20261205);
    // `other` answers too: the owner of the rows past the bound is then also a peer of its own
    const keys = [...Array.from({ length: 39 }, (_, i) => `10.0.${i % 7}.${i}`), OTHER_PEER];

    // Act
    for (let i = 0; i < 20_000; i++) {
      const key = keys[Math.floor(next() ** 2 * keys.length)] ?? '';
      const p = table.index(key);
      if (next() < 0.6) {
        const minuteMs =
          next() < 0.1 ? -1 : Math.floor(next() * 30) * 60_000 + 1_700_000_000_000 - (1_700_000_000_000 % 60_000);
        const field = Math.floor(next() * KPI_COUNT_FIELDS.length);
        table.bump(p, minuteMs, field);
        model.bump(key, minuteMs, field);
      } else {
        const kind = Math.floor(next() * 3);
        const ms = next() < 0.05 ? -5 : Math.round(10 ** (next() * 7) * 1000) / 1000;
        table.addDelay(p, kind, ms, delayBucket(ms));
        model.addDelay(key, kind, ms);
      }
    }

    // Assess: JSON-equal (key order included), and the bound took effect
    const got = table.records(new MinuteNames());
    expect(JSON.stringify(got)).toBe(JSON.stringify(model.records()));
    expect(got[OTHER_PEER]?.series.length ?? 0).toBeGreaterThan(0);
  });

  it('gives a peer that measured no delay of a kind the empty histogram record', () => {
    // Prepare
    const table = new PeerKpiTable(10);
    const p = table.index('carrier');

    // Act
    table.addDelay(p, 1, 12.5, delayBucket(12.5));
    const r = table.records(new MinuteNames()).carrier;

    // Assess
    const one = new DelayHistogram();
    one.add(12.5);
    expect(r?.srd).toEqual({ count: 0, sumMs: 0, minMs: null, maxMs: null, buckets: {} });
    expect(r?.sdd).toEqual(one.toData());
    expect(r?.sdd.count).toBe(1);
  });

  it('spreads the entries of thousands of peers with the same delay over the table, not into one run of slots', () => {
    // Prepare: 4,096 peers' SRD entries in delay bucket 700 (~1.1 ms), keys as the table makes them, 2^13 slots
    const bits = 13;
    const keys = Array.from({ length: 4096 }, (_, p) => p * 3 * 8192 + 700);

    // Act
    const slots = new Set(keys.map((k) => bucketSlot(k, bits)));

    // Assess: a random spread fills ~3,200 distinct slots; taking the product's low bits gave 1
    expect(slots.size).toBeGreaterThan(3000);
    expect(Math.max(...slots)).toBeLessThan(2 ** bits);
  });
});
