import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toKpiReport } from '../../lambda/engine/kpis.js';
import { scanCorpusFile } from '../support/corpus.js';
import { type KpiTruthCounts, MIXED_PCAP_KPI_REPORT, outcomeCounts } from '../support/kpi-expectations.js';

/**
 * RFC 6076 SER/SEER/ISA/SCR against an independent count from tshark fields (scripts/kpi-truth.py:
 * Call-ID, CSeq number and method, top Via branch, status code, frame time; outcome = first final
 * response; SCR: sessions of a Call-ID completed by its first BYE answered 2xx). The truth was computed once with tshark 4.0.17 and committed under
 * test/fixtures/kpis/, so CI needs no tshark.
 */
interface Truth extends KpiTruthCounts {
  /** By the source IP of each transaction's first response. */
  readonly byPeer: Readonly<Record<string, KpiTruthCounts>>;
}

const truthFor = (capture: string): Truth =>
  JSON.parse(readFileSync(new URL(`../fixtures/kpis/${capture}.truth.json`, import.meta.url), 'utf8')) as Truth;

describe('RFC 6076 KPIs on the shared corpus', () => {
  for (const capture of ['mixed.pcap', 'sipp.pcapng', 'large.pcap.gz']) {
    it(`counts the INVITE transactions and outcomes of ${capture} exactly as tshark's fields do`, async () => {
      // Prepare
      const truth = truthFor(capture);

      // Act
      const r = await scanCorpusFile(capture, 4_099);

      // Assess
      expect({ ...outcomeCounts(r.kpis), open: r.kpis.openTransactions, srdCount: r.kpis.srd.count }).toEqual({
        ...outcomeCounts(truth),
        open: truth.open,
        srdCount: truth.srdCount,
      });
      expect(r.kpis.evicted).toBe(0);
      // the capture readers keep whole milliseconds, so each delay may be short by up to 1 ms
      const mean = toKpiReport(r.kpis).srdMs.mean ?? Number.NaN;
      expect(Math.abs(mean - (truth.srdMeanMs ?? 0))).toBeLessThan(1);
    });
  }

  for (const capture of ['mixed.pcap', 'sipp.pcapng', 'large.pcap.gz']) {
    it(`gives each peer of ${capture} the transactions it answered, as tshark's fields do`, async () => {
      // Prepare
      const truth = truthFor(capture);

      // Act
      const r = await scanCorpusFile(capture, 8_191);

      // Assess
      const got = Object.fromEntries(
        Object.entries(r.kpis.byPeer).map(([peer, k]) => [
          peer,
          {
            inviteTransactions: k.inviteTransactions,
            redirected: k.redirected,
            established: k.established,
            effective: k.effective,
            ineffective: k.ineffective,
            completed: k.completed,
            srdCount: k.srd.count,
          },
        ]),
      );
      const want = Object.fromEntries(
        Object.entries(truth.byPeer).map(([peer, t]) => [
          peer,
          {
            inviteTransactions: t.inviteTransactions,
            redirected: t.redirected,
            established: t.established,
            effective: t.effective,
            ineffective: t.ineffective,
            completed: t.completed,
            srdCount: t.srdCount,
          },
        ]),
      );
      expect(got).toEqual(want);
      for (const [peer, t] of Object.entries(truth.byPeer)) {
        const k = r.kpis.byPeer[peer];
        const mean = k === undefined ? Number.NaN : (toKpiReport(k).srdMs.mean ?? Number.NaN);
        expect(Math.abs(mean - (t.srdMeanMs ?? 0))).toBeLessThan(1);
      }
    });
  }

  it('gives mixed.pcap the exact KPI report', async () => {
    // Act
    const r = await scanCorpusFile('mixed.pcap');

    // Assess: 146/(406-20), 222/386, 45/406, 146/406
    expect(toKpiReport(r.kpis)).toEqual(MIXED_PCAP_KPI_REPORT);
  });

  const pairs: readonly (readonly [string, string])[] = [
    ['mixed.pcap', 'mixed.ngrep.txt'],
    ['mixed.pcap', 'mixed.tcpdump-A.txt.gz'],
    ['mixed.pcap', 'mixed.pjsip-style.log'],
    ['large.pcap.gz', 'large.ngrep.txt.gz'],
  ];
  for (const [capture, text] of pairs) {
    it(`gives ${text} the same SER, SEER, ISA and SCR counts as ${capture}`, async () => {
      // Prepare
      const counts = (k: Awaited<ReturnType<typeof scanCorpusFile>>['kpis']) => ({
        inviteTransactions: k.inviteTransactions,
        redirected: k.redirected,
        established: k.established,
        effective: k.effective,
        ineffective: k.ineffective,
        completed: k.completed,
        openTransactions: k.openTransactions,
      });

      // Act
      const fromCapture = await scanCorpusFile(capture);
      const fromText = await scanCorpusFile(text, 65_537);

      // Assess
      expect(counts(fromText.kpis)).toEqual(counts(fromCapture.kpis));
    });
  }

  it('gives mixed.pjsip-style.log (which carries times) the same delays as mixed.pcap', async () => {
    // Act
    const fromCapture = await scanCorpusFile('mixed.pcap');
    const fromText = await scanCorpusFile('mixed.pjsip-style.log', 1_021);

    // Assess
    expect(toKpiReport(fromText.kpis)).toEqual(toKpiReport(fromCapture.kpis));
  });
});
