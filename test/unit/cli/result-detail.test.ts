/**
 * The CLI scans with only the detail it prints (result-detail.ts): for every combination of --per-minute and
 * --by peer, the JSON line and the tables must be those of a scan that kept everything.
 */
import { createReadStream } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatPeerTable } from '../../../lambda/cli/report/format-peers.js';
import { formatPerMinute } from '../../../lambda/cli/report/format-per-minute.js';
import { formatTable } from '../../../lambda/cli/report/format-table.js';
import { toJsonReport } from '../../../lambda/cli/report/to-json-line.js';
import { detailFor } from '../../../lambda/cli/result-detail.js';
import { type ResultDetail, type ScanResult, scan } from '../../../lambda/engine/index.js';
import { CORPUS_DIR, corpusFiles } from '../../support/corpus.js';

/** Completes the dates of logs that print none, as the CLI does with a file's mtime. */
const REFERENCE_MS = Date.parse('2026-12-01T00:00:00Z');

const scanWith = (file: string, detail?: ResultDetail): Promise<ScanResult> =>
  scan(createReadStream(`${CORPUS_DIR}${file}`), { referenceMs: REFERENCE_MS, detail });

/** Everything the CLI prints of a result with these options. */
const printed = (file: string, r: ScanResult, perMinute: boolean, byPeer: boolean): string[] => [
  JSON.stringify(toJsonReport(file, r, 0, { perMinute, byPeer })),
  formatTable(file, r, 0),
  ...(byPeer ? [formatPeerTable(r)] : []),
  ...(perMinute ? [formatPerMinute(r, byPeer)] : []),
];

const COMBINATIONS = [
  { perMinute: false, byPeer: false },
  { perMinute: true, byPeer: false },
  { perMinute: false, byPeer: true },
] as const;

describe('the detail the CLI asks a scan for', () => {
  it('is the series with --per-minute, the peers KPIs with --by peer, both for --html', () => {
    expect(detailFor({ perMinute: false, byPeer: false, html: false })).toEqual({ perMinute: false, peerKpis: false });
    expect(detailFor({ perMinute: true, byPeer: false, html: false })).toEqual({ perMinute: true, peerKpis: false });
    expect(detailFor({ perMinute: false, byPeer: true, html: false })).toEqual({ perMinute: false, peerKpis: true });
    expect(detailFor({ perMinute: false, byPeer: false, html: true })).toEqual({ perMinute: true, peerKpis: true });
  });

  it.each(corpusFiles())('prints for %s what a scan that kept everything prints, with every option', async (file) => {
    // Prepare
    const full = await scanWith(file);
    for (const { perMinute, byPeer } of COMBINATIONS) {
      const detail = detailFor({ perMinute, byPeer, html: false });
      // Act
      const lean = await scanWith(file, detail);
      // Assess: the same output, and the parts left out really are empty
      expect(printed(file, lean, perMinute, byPeer)).toEqual(printed(file, full, perMinute, byPeer));
      if (!perMinute) expect([lean.series, lean.kpis.series, lean.kpis.delaySeries]).toEqual([[], [], []]);
      if (!byPeer) expect(lean.kpis.byPeer).toEqual({});
      const { series, kpis, ...counts } = lean;
      const { series: fullSeries, kpis: fullKpis, ...fullCounts } = full;
      expect(counts).toEqual(fullCounts);
      expect({ ...kpis, series: [], delaySeries: [], byPeer: {} }).toEqual({
        ...fullKpis,
        series: [],
        delaySeries: [],
        byPeer: {},
      });
    }
  });

  it('leaves out what a full scan of a timed, multi-peer corpus file has', async () => {
    // Act
    const full = await scanWith('mixed.pjsip-style.log');
    const lean = await scanWith('mixed.pjsip-style.log', detailFor({ perMinute: false, byPeer: false, html: false }));
    // Assess: the comparisons above are not between empty parts
    expect(full.series.length).toBeGreaterThan(0);
    expect(full.kpis.series.length).toBeGreaterThan(0);
    expect(Object.keys(full.kpis.byPeer).length).toBeGreaterThan(1);
    expect([lean.series.length, lean.kpis.series.length, Object.keys(lean.kpis.byPeer).length]).toEqual([0, 0, 0]);
  });
});
