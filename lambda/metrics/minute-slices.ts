import { RESPONSE_CLASSES } from '../contract/classes.js';
import { addCounts, KPI_COUNT_FIELDS, type KpiCounts, zeroCounts } from '../engine/kpis.js';
import type { ClassCounts, ScanResult } from '../engine/tally.js';

/** Per-minute counts in the shape the conversion needs (series minutes and the untimed remainder alike). */
export interface MinuteSlice {
  readonly minuteMs: number;
  readonly byClass: ClassCounts;
  readonly byCode: Readonly<Record<string, number>>;
  readonly byMethod: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly retransmittedByClass: ClassCounts;
  readonly byPeer: Readonly<Record<string, ClassCounts>>;
}

const minus = (a: number, b: number): number => Math.max(0, a - b);

/** Totals minus what the series holds: the responses that carried no time of their own. */
export const untimedSlice = (r: ScanResult, minuteMs: number): MinuteSlice => {
  const byClass = { ...r.byClass };
  const retransmittedByClass = { ...r.retransmittedByClass };
  const byCode: Record<string, number> = { ...r.byCode };
  const byMethod: Record<string, Record<string, number>> = {};
  for (const [m, codes] of Object.entries(r.byMethod)) byMethod[m] = { ...codes };
  const byPeer: Record<string, ClassCounts> = {};
  for (const [peer, c] of Object.entries(r.byPeer)) byPeer[peer] = { ...c.byClass };
  for (const s of r.series) {
    for (const [peer, c] of Object.entries(s.byPeer)) {
      const left = byPeer[peer];
      if (left === undefined) continue;
      for (const k of RESPONSE_CLASSES) left[k] = minus(left[k], c[k]);
    }
    for (const c of RESPONSE_CLASSES) {
      byClass[c] = minus(byClass[c], s.byClass[c]);
      retransmittedByClass[c] = minus(retransmittedByClass[c], s.retransmittedByClass[c]);
    }
    for (const [code, n] of Object.entries(s.byCode)) byCode[code] = minus(byCode[code] ?? 0, n);
    for (const [m, codes] of Object.entries(s.byMethod)) {
      const left = byMethod[m] ?? {};
      for (const [code, n] of Object.entries(codes)) left[code] = minus(left[code] ?? 0, n);
      byMethod[m] = left;
    }
  }
  return { minuteMs, byClass, byCode, byMethod, retransmittedByClass, byPeer };
};

/** The KPI counts per minute, and what the series does not hold (untimed transactions) at the upload minute. */
export const kpiSlices = (r: ScanResult, uploadMinuteMs: number): { minuteMs: number; counts: KpiCounts }[] => {
  const untimed = zeroCounts();
  addCounts(untimed, r.kpis);
  const out: { minuteMs: number; counts: KpiCounts }[] = r.kpis.series.map((m) => {
    for (const f of KPI_COUNT_FIELDS) untimed[f] = minus(untimed[f], m[f]);
    return { minuteMs: Date.parse(m.minute), counts: m };
  });
  out.push({ minuteMs: uploadMinuteMs, counts: untimed });
  return out;
};
