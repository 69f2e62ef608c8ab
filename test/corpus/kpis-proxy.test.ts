import { createReadStream, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scan } from '../../lambda/engine/index.js';
import { type KpiPeerData, kpiRatios, toKpiReport } from '../../lambda/engine/kpis.js';
import { type PeerMap, parsePeerMap } from '../../lambda/engine/peers.js';
import { type KpiTruthCounts, outcomeCounts } from '../support/kpi-expectations.js';

/**
 * RFC 6076 KPIs on a capture made with real tools (test/fixtures/kpis/make-captures.sh): SIPp callers and callees
 * with a Kamailio stateful proxy between them on 127.0.0.1, so every INVITE has two legs, and 302, 486, 503 (500
 * towards the caller, RFC 3261 §16.7), 603, 200 + BYE, CANCEL -> 487, a late callee the proxy resends the INVITE to
 * (UDP retransmissions) and a silent one (408 from the proxy, its own leg left open). The truth comes from tshark
 * fields (scripts/kpi-truth.py --by-address), committed beside the capture.
 */
const FIXTURE = new URL('../fixtures/kpis/proxy-calls.pcap', import.meta.url);

interface Truth extends KpiTruthCounts {
  /** By "ip:port" of each transaction's first response. */
  readonly byAddress: Readonly<Record<string, KpiTruthCounts>>;
}

const truth = JSON.parse(
  readFileSync(new URL('../fixtures/kpis/proxy-calls.pcap.truth.json', import.meta.url), 'utf8'),
) as Truth;

/** Every sender address of the capture named by itself, so the engine's peers are the truth's addresses. */
const peerMapByAddress = (): PeerMap => {
  const map = parsePeerMap(Object.fromEntries(Object.keys(truth.byAddress).map((a) => [a, [a]])));
  if ('problems' in map) throw new Error(map.problems.join('; '));
  return map;
};

const countsOf = (k: KpiPeerData) => ({ ...outcomeCounts(k), srdCount: k.srd.count });

const truthCountsOf = (t: KpiTruthCounts) => ({ ...outcomeCounts(t), srdCount: t.srdCount });

describe('RFC 6076 KPIs of SIPp calls through a Kamailio proxy (proxy-calls.pcap)', () => {
  it('counts both legs of every INVITE, each outcome and the open leg as tshark fields do', async () => {
    // Act
    const r = await scan(createReadStream(FIXTURE, { highWaterMark: 1_013 }));

    // Assess: 22 calls, 2 legs each; the silent callee's 2 legs never got a final response
    expect({ ...countsOf(r.kpis), open: r.kpis.openTransactions }).toEqual({
      ...truthCountsOf(truth),
      open: truth.open,
    });
    expect(r.kpis.inviteTransactions).toBe(44);
    expect(r.kpis.openTransactions).toBe(2);
    // the proxy resent 8 INVITEs on the late and the silent callees' legs (tshark: 8 frames with sip.resend == 1)
    expect(r.retransmissions).toEqual({ requests: 8, responses: 0 });
    expect(r.requestsByMethod).toEqual({ ACK: 42, BYE: 12, CANCEL: 6, INVITE: 52 });
    // SER 12/(44-6), SEER 22/38, ISA 8/44, SCR 12/44
    expect(kpiRatios(r.kpis)).toEqual({ ser: 31.58, seer: 57.89, isa: 18.18, scr: 27.27 });
  });

  it("times SRD within 1 ms of tshark's frame times (the capture readers keep whole milliseconds)", async () => {
    // Act
    const r = await scan(createReadStream(FIXTURE));

    // Assess
    expect(r.kpis.srd.count).toBe(truth.srdCount);
    expect(Math.abs((toKpiReport(r.kpis).srdMs.mean ?? Number.NaN) - (truth.srdMeanMs ?? 0))).toBeLessThan(1);
    expect(Math.abs((r.kpis.srd.minMs ?? Number.NaN) - (truth.srdMinMs ?? 0))).toBeLessThan(1);
    expect(Math.abs((r.kpis.srd.maxMs ?? Number.NaN) - (truth.srdMaxMs ?? 0))).toBeLessThan(1);
  });

  it('gives each leg to the hop that answered it: the proxy the callers’ legs, each callee its own', async () => {
    // Act
    const r = await scan(createReadStream(FIXTURE, { highWaterMark: 4_093 }), { peers: peerMapByAddress() });

    // Assess
    const got = Object.fromEntries(Object.entries(r.kpis.byPeer).map(([peer, k]) => [peer, countsOf(k)]));
    const want = Object.fromEntries(Object.entries(truth.byAddress).map(([a, t]) => [a, truthCountsOf(t)]));
    expect(got).toEqual(want);
    for (const [address, t] of Object.entries(truth.byAddress)) {
      const k = r.kpis.byPeer[address];
      const mean = k === undefined ? Number.NaN : (toKpiReport(k).srdMs.mean ?? Number.NaN);
      expect(Math.abs(mean - (t.srdMeanMs ?? 0))).toBeLessThan(1);
    }
    // the proxy answered all 22 callers' INVITEs: 2 of them with its own 408
    expect(r.kpis.byPeer['127.0.0.1:5060']?.inviteTransactions).toBe(22);
  });
});
