import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import type { ScanResult } from '../../../../lambda/engine/tally.js';
import { chunked, readFixture } from '../../../support/collect.js';

/** SIPp -trace_calldebug (lambda/engine/formats/sipp-calldebug.ts; test/fixtures/sipp-calldebug/README.md). */

interface Run {
  readonly responses: number;
  readonly requests: number;
  readonly byCode: Record<string, number>;
  readonly byMethod: Record<string, Record<string, number>>;
  readonly requestsByMethod: Record<string, number>;
  readonly retransmissions: { readonly requests: number; readonly responses: number };
  readonly responsesPerMinute: Record<string, Record<string, number>>;
}
const truth = JSON.parse(readFixture('sipp-calldebug/tshark.json').toString('utf8')) as {
  runs: Record<string, Run>;
};

const asTshark = (r: ScanResult): Run => ({
  responses: r.responses,
  requests: r.requests,
  byCode: r.byCode,
  byMethod: r.byMethod,
  requestsByMethod: r.requestsByMethod,
  retransmissions: r.retransmissions,
  responsesPerMinute: Object.fromEntries(r.series.map((m) => [m.minute, m.byCode])),
});

describe('SIPp -trace_calldebug', () => {
  it.each(['uac-503', 'uac-timeout'])(
    'counts the %s run as tshark counted its capture, each message once and at its epoch time',
    async (run) => {
      // Prepare: before, uac-503 counted 12 503s (each again as a retransmission) and timed none
      const log = readFixture(`sipp-calldebug/${run}.calldebug.log.gz`);

      // Act: whole, and cut in many places
      const got = await Promise.all([[], [1000, 2001, 3002, 4003, 5004, 6005, 7006]].map((c) => scan(chunked(log, c))));

      // Assess
      for (const r of got) {
        expect(asTshark(r)).toEqual(truth.runs[run]);
        expect([r.formats, r.anomalies, r.unrecognizedBytes]).toEqual([['gzip', 'sipp'], {}, 0]);
      }
    },
  );

  it('gives the same result however the plain log is cut in two', async () => {
    // Prepare
    const { gunzipSync } = await import('node:zlib');
    const log = gunzipSync(readFixture('sipp-calldebug/uac-503.calldebug.log.gz'));
    const whole = JSON.stringify(asTshark(await scan(chunked(log, []))));

    // Act: every 37th offset
    const cuts = Array.from({ length: Math.floor(log.length / 37) }, (_, k) => (k + 1) * 37);
    const differing: number[] = [];
    for (const c of cuts) if (JSON.stringify(asTshark(await scan(chunked(log, [c])))) !== whole) differing.push(c);

    // Assess
    expect(differing).toEqual([]);
  });
});
