import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { toMetricPoints } from '../../../lambda/engine/to-metric-points.js';
import { deltaPoints } from '../../../lambda/growth/delta-points.js';
import { countGrowing } from '../../../lambda/growth/growing-scan.js';
import { CORPUS_DIR } from '../../support/corpus.js';

async function* once(b: Buffer): AsyncGenerator<Uint8Array> {
  yield b;
}

const NOW_MS = Date.parse('2026-11-25T00:00:00Z');
const OPTIONS = { detail: 'method', uploadTimeMs: NOW_MS, nowMs: NOW_MS } as const;

describe('deltaPoints', () => {
  it('corrects a response the previous version saw cut after "CSeq: 497 INV" with observations of -1', async () => {
    // Prepare: the first 486 to an INVITE in the corpus pjsip log, the first version ending inside its CSeq method
    const file = readFileSync(`${CORPUS_DIR}mixed.pjsip-style.log`);
    let cseq = -1;
    for (let at = file.indexOf('SIP/2.0 486 '); at >= 0 && cseq < 0; at = file.indexOf('SIP/2.0 486 ', at + 1)) {
      const c = file.indexOf('CSeq: ', at);
      if (/^CSeq: \d+ INVITE\r?$/.test(file.subarray(c, file.indexOf('\n', c)).toString('latin1'))) cseq = c;
    }
    const method = file.subarray(cseq, file.indexOf('\n', cseq)).toString('latin1');
    const cut = file.indexOf('INV', cseq) + 3;
    const first = await countGrowing(async (from) => once(file.subarray(from, cut)), cut, undefined);

    // Act
    const second = await countGrowing(async (from) => once(file.subarray(from)), file.length, first.progress);
    const minus = second.minus ?? first.counted;
    const points = deltaPoints(toMetricPoints(second.counted, OPTIONS).points, toMetricPoints(minus, OPTIONS).points);

    // Assess
    const lastMinute = (await scan(once(file.subarray(0, cut)))).series.at(-1)?.minute ?? '';
    const at = (p: (typeof points)[number]): boolean => p.Timestamp.toISOString() === lastMinute;
    const method4xx = points
      .filter((p) => at(p) && p.Dimensions.some((d) => d.Name === 'Method') && p.Dimensions[0]?.Value === '4xx')
      .map((p) => [p.Dimensions[1]?.Value, p.Values, p.Counts]);
    expect(method).toBe('CSeq: 497 INVITE');
    expect([cut, lastMinute]).toEqual([224_780, '2026-11-24T13:39:00.000Z']);
    expect([second.mode, second.readFrom]).toEqual(['resumed', 0]);
    // the rest of the minute's 486s and other 4xx come with the new part; the one counted as OTHER is taken back
    expect(method4xx).toEqual([
      ['BYE', [1], [3]],
      ['INFO', [1], [12]],
      ['INVITE', [1], [131]],
      ['MESSAGE', [1], [25]],
      ['OPTIONS', [1], [7]],
      ['OTHER', [-1], [1]],
      ['PUBLISH', [1], [4]],
      ['REGISTER', [1], [47]],
      ['SUBSCRIBE', [1], [10]],
    ]);
    expect(points.filter((p) => p.MetricName === 'FilesProcessed').map((p) => p.Counts)).toEqual([[1]]);
    expect(points.filter((p) => p.MetricName === 'BytesProcessed').map((p) => p.Values)).toEqual([[file.length - cut]]);
  });
});
