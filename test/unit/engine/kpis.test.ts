import { describe, expect, it } from 'vitest';
import { DelayHistogram } from '../../../lambda/engine/delay-histogram.js';
import { KpiTracker, kpiRatios, NO_PEER, toKpiReport, viaBranch } from '../../../lambda/engine/kpis.js';
import type { PayloadMeta, SipMessage } from '../../../lambda/engine/types.js';

const udp = (timeMs?: number): PayloadMeta => ({ transport: 'udp', timeMs });
const invite = (callId: string, branch: string, cseq = 1): SipMessage => ({
  kind: 'request',
  method: 'INVITE',
  cseqNumber: cseq,
  cseqMethod: 'INVITE',
  callId,
  topVia: `SIP/2.0/UDP 127.0.0.1:5060;branch=${branch};rport`,
});
const reply = (code: number, callId: string, branch: string, method = 'INVITE', cseq = 1): SipMessage => ({
  kind: 'response',
  statusCode: code,
  cseqNumber: cseq,
  cseqMethod: method,
  callId,
  topVia: `SIP/2.0/UDP 127.0.0.1:5060;branch=${branch}`,
});
const request = (method: string, callId: string, branch: string, cseq: number): SipMessage => ({
  kind: 'request',
  method,
  cseqNumber: cseq,
  cseqMethod: method,
  callId,
  topVia: `SIP/2.0/UDP 127.0.0.1:5060;branch=${branch}`,
});

/**
 * Peers as a tally files responses: an index per distinct key, in the order first seen, handed to `observe` with each
 * response (the tracker names them by `peerKeys`).
 */
const trackedByPeer = (keyOf: (sender: string | undefined) => string, options: { maxTransactions?: number } = {}) => {
  const keys: string[] = [];
  const k = new KpiTracker({ ...options, peerKeys: { peerKeyAt: (i) => keys[i] ?? '' } });
  const indexOf = (sender: string | undefined): number => {
    const key = keyOf(sender);
    const i = keys.indexOf(key);
    return i >= 0 ? i : keys.push(key) - 1;
  };
  return {
    tracker: k,
    observe: (m: SipMessage, meta: PayloadMeta): void =>
      k.observe(m, meta, m.kind === 'response' ? indexOf(meta.src) : NO_PEER),
  };
};

describe('KpiTracker', () => {
  it('counts a retransmitted INVITE once and takes SRD from the first send to the first non-100 response', () => {
    // Prepare
    const k = new KpiTracker();

    // Act
    k.observe(invite('a', 'z9hG4bK1'), udp(1_000));
    k.observe(invite('a', 'z9hG4bK1'), udp(1_500));
    k.observe(reply(100, 'a', 'z9hG4bK1'), udp(1_600));
    k.observe(reply(180, 'a', 'z9hG4bK1'), udp(1_750));
    k.observe(reply(200, 'a', 'z9hG4bK1'), udp(3_000));
    k.observe(reply(200, 'a', 'z9hG4bK1'), udp(3_500));

    // Assess
    const d = k.toData();
    expect(d.inviteTransactions).toBe(1);
    expect(d.established).toBe(1);
    expect(d.openTransactions).toBe(0);
    expect(toKpiReport(d).srdMs).toEqual({ count: 1, mean: 750, p50: 750, p90: 750, p99: 750 });
  });

  it('keeps a settled transaction settled: a resent INVITE, a late 180 and a resent 200 after the outcome change nothing', () => {
    // Prepare
    const k = new KpiTracker();

    // Act
    k.observe(invite('s', 'z9hG4bKs'), udp(1_000));
    k.observe(reply(200, 's', 'z9hG4bKs'), udp(1_200));
    k.observe(invite('s', 'z9hG4bKs'), udp(1_300));
    k.observe(reply(180, 's', 'z9hG4bKs'), udp(1_400));
    k.observe(reply(200, 's', 'z9hG4bKs'), udp(1_500));
    k.observe(reply(486, 's', 'z9hG4bKs'), udp(1_600));

    // Assess
    const d = k.toData();
    expect({ n: d.inviteTransactions, established: d.established, effective: d.effective }).toEqual({
      n: 1,
      established: 1,
      effective: 1,
    });
    expect(d.openTransactions).toBe(0);
    expect(k.size).toBe(1);
    expect(toKpiReport(d).srdMs).toEqual({ count: 1, mean: 200, p50: 200, p90: 200, p99: 200 });
  });

  it('counts each proxy leg (a different top Via branch) as its own transaction', () => {
    // Prepare
    const k = new KpiTracker();

    // Act: UAC -> proxy, proxy -> UAS; the UAS answers 486 on its leg, the proxy relays it
    k.observe(invite('b', 'z9hG4bKuac'), udp(0));
    k.observe(invite('b', 'z9hG4bKproxy'), udp(1));
    k.observe(reply(486, 'b', 'z9hG4bKproxy'), udp(10));
    k.observe(reply(486, 'b', 'z9hG4bKuac'), udp(11));

    // Assess
    const d = k.toData();
    expect(d.inviteTransactions).toBe(2);
    expect(d.effective).toBe(2);
    expect(kpiRatios(d)).toEqual({ ser: 0, seer: 100, isa: 0, scr: 0 });
  });

  it('takes the first final response as the outcome: a CANCELled call is 487 even if a 200 follows', () => {
    // Prepare
    const k = new KpiTracker();

    // Act
    k.observe(invite('c', 'z9hG4bK3'), udp(0));
    k.observe(request('CANCEL', 'c', 'z9hG4bK3', 1), udp(5));
    k.observe(reply(200, 'c', 'z9hG4bK3', 'CANCEL'), udp(6));
    k.observe(reply(487, 'c', 'z9hG4bK3'), udp(7));
    k.observe(reply(200, 'c', 'z9hG4bK3'), udp(8));

    // Assess
    const d = k.toData();
    expect({ n: d.inviteTransactions, established: d.established, effective: d.effective }).toEqual({
      n: 1,
      established: 0,
      effective: 0,
    });
  });

  it('leaves 3xx outcomes out of the SER denominator and counts 503 as ineffective', () => {
    // Prepare
    const k = new KpiTracker();

    // Act: a response alone (the log missed the request) still makes a transaction
    k.observe(reply(302, 'd', 'z9hG4bK4'), udp());
    k.observe(reply(503, 'e', 'z9hG4bK5'), udp());
    k.observe(reply(200, 'f', 'z9hG4bK6'), udp());
    k.observe(reply(180, 'g', 'z9hG4bK7'), udp());

    // Assess: SER 1/(4-1), ISA 1/4; the 180-only one is open
    const d = k.toData();
    expect(kpiRatios(d)).toEqual({ ser: 33.33, seer: 33.33, isa: 25, scr: 0 });
    expect(d.openTransactions).toBe(1);
    expect(d.srd.count).toBe(0);
  });

  it('completes a session whose BYE is answered 2xx and times SDD and RRD', () => {
    // Prepare
    const k = new KpiTracker();

    // Act
    k.observe(invite('h', 'z9hG4bK8'), udp(0));
    k.observe(reply(200, 'h', 'z9hG4bK8'), udp(100));
    k.observe(request('BYE', 'h', 'z9hG4bK9', 2), udp(60_000));
    k.observe(reply(200, 'h', 'z9hG4bK9', 'BYE', 2), udp(60_020));
    k.observe(request('REGISTER', 'r', 'z9hG4bK10', 1), udp(70_000));
    k.observe(reply(401, 'r', 'z9hG4bK10', 'REGISTER', 1), udp(70_004));

    // Assess
    const r = toKpiReport(k.toData());
    expect(r.scr).toBe(100);
    expect(r.sddMs).toEqual({ count: 1, mean: 20, p50: 20, p90: 20, p99: 20 });
    expect(r.rrdMs).toEqual({ count: 1, mean: 4, p50: 4, p90: 4, p99: 4 });
  });

  it('reports null ratios and empty delays when nothing was seen', () => {
    // Act
    const r = toKpiReport(new KpiTracker().toData());

    // Assess
    expect(r).toEqual({
      inviteTransactions: 0,
      ser: null,
      seer: null,
      isa: null,
      scr: null,
      srdMs: { count: 0, mean: null, p50: null, p90: null, p99: null },
      sddMs: { count: 0, mean: null, p50: null, p90: null, p99: null },
      rrdMs: { count: 0, mean: null, p50: null, p90: null, p99: null },
    });
  });

  it('remembers at most its bound and counts the open transactions it had to forget', () => {
    // Prepare
    const k = new KpiTracker(1_000);

    // Act
    for (let i = 0; i < 10_000; i++) k.observe(invite(`call-${i}`, 'z9hG4bK'), udp(i));

    // Assess
    const d = k.toData();
    expect(k.size).toBeLessThanOrEqual(1_000);
    expect(d.inviteTransactions).toBe(10_000);
    expect(d.evicted + d.openTransactions).toBe(10_000);
  });

  it('puts each transaction in the minute of its INVITE', () => {
    // Prepare
    const k = new KpiTracker();

    // Act
    k.observe(invite('m', 'z9hG4bK11'), udp(59_999));
    k.observe(reply(200, 'm', 'z9hG4bK11'), udp(60_001));

    // Assess
    expect(k.toData().series.map((m) => [m.minute, m.inviteTransactions, m.established])).toEqual([
      ['1970-01-01T00:00:00.000Z', 1, 1],
    ]);
  });
});

describe('KpiTracker minute rows (the last minute is cached: logs are mostly in time order)', () => {
  it('keeps each delay and count in its own minute when minutes come back out of order', () => {
    // Prepare: INVITEs in minutes 0, 1, 0, 2, 1, each answered 180 after i ms then 200
    const { tracker: k, observe } = trackedByPeer((sender) => sender ?? 'unknown');
    const minutes = [0, 1, 0, 2, 1];
    const from = (src: string, timeMs: number): PayloadMeta => ({ transport: 'udp', timeMs, src });

    // Act
    minutes.forEach((m, i) => {
      const id = `call-${i}`;
      const at = m * 60_000 + 1_000;
      observe(invite(id, `z9hG4bK${i}`), udp(at));
      observe(reply(180, id, `z9hG4bK${i}`), from(`peer-${i % 2}`, at + 10 * (i + 1)));
      observe(reply(200, id, `z9hG4bK${i}`), from(`peer-${i % 2}`, at + 500));
    });
    const d = k.toData();

    // Assess: SRD 10, 30 ms in minute 0, 20, 50 ms in minute 1, 40 ms in minute 2
    expect(d.delaySeries.map((m) => [m.minute, m.srd.count, m.srd.sumMs])).toEqual([
      ['1970-01-01T00:00:00.000Z', 2, 40],
      ['1970-01-01T00:01:00.000Z', 2, 70],
      ['1970-01-01T00:02:00.000Z', 1, 40],
    ]);
    expect(d.series.map((m) => [m.minute, m.inviteTransactions, m.established])).toEqual([
      ['1970-01-01T00:00:00.000Z', 2, 2],
      ['1970-01-01T00:01:00.000Z', 2, 2],
      ['1970-01-01T00:02:00.000Z', 1, 1],
    ]);
    // peer-0 answered transactions 0, 2, 4 (minutes 0, 0, 1), peer-1 transactions 1, 3 (minutes 1, 2)
    expect(d.byPeer['peer-0']?.series.map((m) => [m.minute, m.inviteTransactions])).toEqual([
      ['1970-01-01T00:00:00.000Z', 2],
      ['1970-01-01T00:01:00.000Z', 1],
    ]);
    expect(d.byPeer['peer-1']?.series.map((m) => [m.minute, m.inviteTransactions])).toEqual([
      ['1970-01-01T00:01:00.000Z', 1],
      ['1970-01-01T00:02:00.000Z', 1],
    ]);
    expect([d.byPeer['peer-0']?.srd.sumMs, d.byPeer['peer-1']?.srd.sumMs]).toEqual([10 + 30 + 50, 20 + 40]);
    // no BYE and no REGISTER: their delays are the empty record
    expect(d.byPeer['peer-0']?.sdd).toEqual({ count: 0, sumMs: 0, minMs: null, maxMs: null, buckets: {} });
  });
});

describe('KpiTracker per peer', () => {
  const from = (src: string, timeMs?: number): PayloadMeta => ({ transport: 'udp', src, timeMs });
  const peerKeyOf = (sender: string | undefined): string =>
    sender === undefined ? 'unknown' : (sender.split(':')[0] ?? '');

  it('gives each transaction to the sender of its responses, legs of a proxy to their own hop', () => {
    // Prepare
    const { tracker: k, observe } = trackedByPeer(peerKeyOf);

    // Act: UAC -> proxy (10.0.0.2) -> UAS (10.0.0.3); the UAS says 486, the proxy relays it; a second
    // call is answered 200 by the UAS and ended by a BYE the UAC's side answers; a third gets no answer
    observe(invite('b', 'z9hG4bKuac'), from('10.0.0.1:5060', 0));
    observe(invite('b', 'z9hG4bKproxy'), from('10.0.0.2:5060', 1));
    observe(reply(100, 'b', 'z9hG4bKuac'), from('10.0.0.2:5060', 2));
    observe(reply(486, 'b', 'z9hG4bKproxy'), from('10.0.0.3:5060', 10));
    observe(reply(486, 'b', 'z9hG4bKuac'), from('10.0.0.2:5060', 11));
    observe(invite('c', 'z9hG4bKc'), from('10.0.0.2:5060', 60_000));
    observe(reply(200, 'c', 'z9hG4bKc'), from('10.0.0.3:5060', 60_040));
    observe(request('BYE', 'c', 'z9hG4bKbye', 2), from('10.0.0.3:5060', 61_000));
    observe(reply(200, 'c', 'z9hG4bKbye', 'BYE', 2), from('10.0.0.2:5060', 61_005));
    observe(invite('d', 'z9hG4bKd'), from('10.0.0.1:5060', 62_000));

    // Assess: the proxy answered leg 1 (SRD 11 ms: its 100 does not end SRD) and the BYE (SDD 5 ms); the UAS
    // answered leg 2 and the 200 (SRD 9 and 40 ms), and the call it set up was completed; 'd' is nobody's
    const d = k.toData();
    expect(d.inviteTransactions).toBe(4);
    expect(Object.keys(d.byPeer)).toEqual(['10.0.0.2', '10.0.0.3']);
    const proxy = d.byPeer['10.0.0.2'];
    const uas = d.byPeer['10.0.0.3'];
    expect(proxy && { ...toKpiReport(proxy), series: proxy.series }).toEqual({
      inviteTransactions: 1,
      ser: 0,
      seer: 100,
      isa: 0,
      scr: 0,
      srdMs: { count: 1, mean: 11, p50: 11, p90: 11, p99: 11 },
      sddMs: { count: 1, mean: 5, p50: 5, p90: 5, p99: 5 },
      rrdMs: { count: 0, mean: null, p50: null, p90: null, p99: null },
      series: [
        {
          minute: '1970-01-01T00:00:00.000Z',
          inviteTransactions: 1,
          redirected: 0,
          established: 0,
          effective: 1,
          ineffective: 0,
          completed: 0,
        },
      ],
    });
    expect(uas && { ...toKpiReport(uas), series: uas.series.map((m) => [m.minute, m.inviteTransactions]) }).toEqual({
      inviteTransactions: 2,
      ser: 50,
      seer: 100,
      isa: 0,
      scr: 50,
      // percentiles are bucket midpoints (within 0.5 % of 9 and 40), the mean is exact
      srdMs: { count: 2, mean: 24.5, p50: 9.041, p90: 39.82, p99: 39.82 },
      sddMs: { count: 0, mean: null, p50: null, p90: null, p99: null },
      rrdMs: { count: 0, mean: null, p50: null, p90: null, p99: null },
      series: [
        ['1970-01-01T00:00:00.000Z', 1],
        ['1970-01-01T00:01:00.000Z', 1],
      ],
    });
  });

  it('keeps no per-peer state in the transactions: the bound and the peers add up as before', () => {
    // Prepare
    const { tracker: k, observe } = trackedByPeer(peerKeyOf, { maxTransactions: 1_000 });

    // Act: 10,000 INVITEs, each answered 503 by one of 10 peers
    for (let i = 0; i < 10_000; i++) {
      observe(invite(`call-${i}`, 'z9hG4bK'), from('10.0.0.1:5060', i));
      observe(reply(503, `call-${i}`, 'z9hG4bK'), from(`10.0.1.${i % 10}:5060`, i + 1));
    }

    // Assess
    const d = k.toData();
    expect(k.size).toBeLessThanOrEqual(1_000);
    expect(Object.values(d.byPeer).map((p) => [p.inviteTransactions, p.ineffective])).toEqual(
      Array.from({ length: 10 }, () => [1_000, 1_000]),
    );
    expect(d.ineffective).toBe(10_000);
  });

  it('counts nothing when switched off', () => {
    // Prepare
    const k = new KpiTracker({ enabled: false });

    // Act
    k.observe(invite('a', 'z9hG4bK1'), udp(0));
    k.observe(reply(200, 'a', 'z9hG4bK1'), udp(1));

    // Assess
    expect(toKpiReport(k.toData()).inviteTransactions).toBe(0);
    expect(k.size).toBe(0);
  });
});

describe('viaBranch', () => {
  it('reads the branch of the top Via value only', () => {
    expect(viaBranch('SIP/2.0/UDP a;Branch=z9hG4bKx;rport, SIP/2.0/UDP b;branch=z9hG4bKy')).toBe('z9hG4bKx');
    expect(viaBranch('SIP/2.0/UDP a')).toBe('');
    expect(viaBranch('SIP/2.0/TCP b.example;BRANCH=z9hG4bKUp')).toBe('z9hG4bKUp');
    expect(viaBranch('SIP/2.0/UDP branch.example;received=x;branch=z9hG4bKh')).toBe('z9hG4bKh');
  });
});

describe('DelayHistogram', () => {
  it('reports percentiles within 0.5 % of the sample and the exact mean', () => {
    // Prepare
    const h = new DelayHistogram();

    // Act
    for (let v = 1; v <= 1_000; v++) h.add(v);

    // Assess
    const s = h.summary();
    expect(s.count).toBe(1_000);
    expect(s.mean).toBe(500.5);
    expect(Math.abs((s.p50 ?? 0) - 500) / 500).toBeLessThan(0.005);
    expect(Math.abs((s.p90 ?? 0) - 900) / 900).toBeLessThan(0.005);
    expect(Math.abs((s.p99 ?? 0) - 990) / 990).toBeLessThan(0.005);
  });
});
