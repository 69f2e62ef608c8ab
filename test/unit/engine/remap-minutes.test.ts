import { describe, expect, it } from 'vitest';
import { remapMinutes } from '../../../lambda/engine/remap-minutes.js';
import { Tally } from '../../../lambda/engine/tally.js';
import { scanCorpusFile } from '../../support/corpus.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

describe('remapMinutes', () => {
  it('moves the KPI delay minutes with the other minutes, a day back', async () => {
    // Prepare: a text log whose lines carry their own times, so it has delays per minute
    const r = await scanCorpusFile('mixed.pjsip-style.log');
    expect(r.kpis.delaySeries.length).toBeGreaterThan(0);

    // Act
    const moved = remapMinutes(r, (ms) => ms - DAY_MS);

    // Assess
    const back = (iso: string): string => new Date(Date.parse(iso) - DAY_MS).toISOString();
    expect(moved.kpis.delaySeries).toEqual(r.kpis.delaySeries.map((m) => ({ ...m, minute: back(m.minute) })));
    expect(moved.series.map((m) => m.minute)).toEqual(r.series.map((m) => back(m.minute)));
  });

  it('merges delay minutes that land on one minute as one histogram: counts add up, extremes stay extremes', async () => {
    // Prepare: the file's one delay minute, and the same delays a minute later
    const r = await scanCorpusFile('mixed.pjsip-style.log');
    const [row] = r.kpis.delaySeries;
    if (row === undefined) throw new Error('the log has no delays');
    const next = new Date(Date.parse(row.minute) + MINUTE_MS).toISOString();
    const twoMinutes = { ...r, kpis: { ...r.kpis, delaySeries: [row, { ...row, minute: next }] } };

    // Act: both minutes onto the first one
    const merged = remapMinutes(twoMinutes, () => Date.parse(row.minute));

    // Assess
    expect(merged.kpis.delaySeries).toHaveLength(1);
    const srd = merged.kpis.delaySeries[0]?.srd;
    expect(srd?.count).toBe(2 * row.srd.count);
    expect(srd?.sumMs).toBeCloseTo(2 * row.srd.sumMs, 6);
    expect([srd?.minMs, srd?.maxMs]).toEqual([row.srd.minMs, row.srd.maxMs]);
    expect(srd?.buckets).toEqual(Object.fromEntries(Object.entries(row.srd.buckets).map(([k, n]) => [k, 2 * n])));
  });

  it('sums minutes whose CSeq methods are named __proto__ and constructor as methods of their own', () => {
    // Prepare: the tokens come from the log, so any token is data; they appear in the later minute only, the
    // one merged into a row that lacks them (where an inherited key would look present)
    const t = new Tally();
    const first = Date.UTC(2026, 10, 24, 13, 39, 27);
    t.addResponse(200, 'INVITE', false, first);
    t.addResponse(200, '__proto__', false, first + MINUTE_MS);
    t.addResponse(486, 'constructor', false, first + MINUTE_MS);
    const r = t.toResult();
    expect(r.series).toHaveLength(2);

    // Act: both minutes onto the first one
    const merged = remapMinutes(r, () => Date.parse(r.series[0]?.minute ?? ''));

    // Assess
    expect(merged.series).toHaveLength(1);
    expect(JSON.stringify(merged.series[0]?.byMethod)).toBe(
      '{"INVITE":{"200":1},"__proto__":{"200":1},"constructor":{"486":1}}',
    );
    expect(Object.getPrototypeOf(merged.series[0]?.byMethod)).toBe(Object.prototype);
  });
});
