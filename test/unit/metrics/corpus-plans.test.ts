import { createReadStream } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { planBatches, planDigest } from '../../../lambda/metrics/plan-batches.js';
import { toMetricPoints } from '../../../lambda/metrics/to-metric-points.js';
import { CORPUS_DIR } from '../../support/corpus.js';

// What the function publishes for shared corpus files, pinned by the plan digest (a hash of every datum in every
// batch): the values were taken on main before metric planning moved out of engine/, so a refactoring that changes
// one datum, one dimension or one batch boundary fails here.
const PLANS: readonly [file: string, detail: 'code' | 'method', datums: number, digest: string][] = [
  ['mixed.pcap', 'code', 68, 'kEFyUwQCZs-jV6SBW5aoYH'],
  ['mixed.pcap', 'method', 63, 'TSrQRW9ovQsgJy2m8K6kGu'],
  ['mixed.kamailio-proxy.log', 'code', 42, '64331bcf1hPH3fsAQsHqVF'],
  ['mixed.kamailio-proxy.log', 'method', 41, '06wq2KX5CVKmxFjxuGfSm5'],
  ['sipp.pcapng', 'code', 51, 'MciQPeY1pzGs85_S9XkZr7'],
  ['sipp.pcapng', 'method', 32, '7YYUB2WknpCRKTIVZyXVoh'],
  ['mixed.pjsip-style.log', 'code', 73, '4qqgWPHeIVKXN1naOA_0Ln'],
  ['mixed.pjsip-style.log', 'method', 68, 'qeq-X2XGo2MW5PpBMR5t4z'],
];

describe('the metric plan of corpus files', () => {
  it.each(PLANS)(
    'plans %s with detail %s as %i datums in one call, digest %s',
    async (file, detail, datums, digest) => {
      // Prepare: uploaded at the first minute of the log, processed an hour later (no datum restamped)
      const result = await scan(createReadStream(`${CORPUS_DIR}${file}`), { referenceMs: Date.UTC(2026, 10, 24) });
      const uploadTimeMs = Date.parse(result.series[0]?.minute ?? '');

      // Act
      const points = toMetricPoints(result, {
        detail,
        uploadTimeMs,
        nowMs: uploadTimeMs + 3_600_000,
        peerMetrics: { names: [], topN: 2 },
        kpiMetrics: true,
      });
      const batches = planBatches(points.points);

      // Assess
      expect([points.restampedResponses, batches.map((b) => b.length), planDigest(batches)]).toEqual([
        0,
        [datums],
        digest,
      ]);
    },
  );
});
