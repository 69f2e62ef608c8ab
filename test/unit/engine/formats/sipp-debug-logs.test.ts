import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import type { ScanResult } from '../../../../lambda/engine/tally.js';
import { chunked, readFixture } from '../../../support/collect.js';

/** SIPp -trace_calldebug and -trace_err (formats/sipp-calldebug.ts, sipp-errors.ts; test/fixtures/sipp-debug-logs/). */

interface Run {
  readonly responses: number;
  readonly requests: number;
  readonly byCode: Record<string, number>;
  readonly byMethod: Record<string, Record<string, number>>;
  readonly requestsByMethod: Record<string, number>;
  readonly retransmissions: { readonly requests: number; readonly responses: number };
  readonly responsesPerMinute: Record<string, Record<string, number>>;
}
const truth = JSON.parse(readFixture('sipp-debug-logs/tshark.json').toString('utf8')) as {
  runs: Record<string, Run>;
  errors: Record<string, Pick<Run, 'responses' | 'byCode' | 'responsesPerMinute'>>;
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
      const log = readFixture(`sipp-debug-logs/${run}.calldebug.log.gz`);

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
    const log = gunzipSync(readFixture('sipp-debug-logs/uac-503.calldebug.log.gz'));
    const whole = JSON.stringify(asTshark(await scan(chunked(log, []))));

    // Act: every 37th offset
    const cuts = Array.from({ length: Math.floor(log.length / 37) }, (_, k) => (k + 1) * 37);
    const differing: number[] = [];
    for (const c of cuts) if (JSON.stringify(asTshark(await scan(chunked(log, [c])))) !== whole) differing.push(c);

    // Assess
    expect(differing).toEqual([]);
  });
});

describe('SIPp -trace_err', () => {
  it.each([
    ['uac-503', {}],
    ['uac-timeout', { 'no-sip-message': 1 }],
  ])(
    'counts the messages the %s errors log quotes, as tshark counted them, at their epoch times',
    async (run, anomalies) => {
      // Prepare: before, UNKNOWN_FORMAT
      const log = readFixture(`sipp-debug-logs/${run}.errors.log.gz`);
      const want = truth.errors[run];

      // Act
      const got = await Promise.all([[], [500, 1001, 1502, 2003, 2504, 3005]].map((c) => scan(chunked(log, c))));

      // Assess
      for (const r of got) {
        const { responses, byCode, responsesPerMinute } = asTshark(r);
        expect({ responses, byCode, responsesPerMinute }).toEqual(want);
        expect([r.formats, r.anomalies, r.unrecognizedBytes]).toEqual([['gzip', 'sipp'], anomalies, 0]);
      }
    },
  );

  it("reads errors logs joined with cat (an entry glued to the next file's heading) as their sum", async () => {
    // Prepare
    const { gunzipSync } = await import('node:zlib');
    const [fails, timeouts] = ['uac-503', 'uac-timeout'].map((r) =>
      gunzipSync(readFixture(`sipp-debug-logs/${r}.errors.log.gz`)),
    );
    const joined = Buffer.concat([timeouts as Buffer, fails as Buffer, timeouts as Buffer, fails as Buffer]);

    // Act: whole, and cut at every 11th offset
    const whole = await scan(chunked(joined, []));
    const cuts = Array.from({ length: Math.floor(joined.length / 11) }, (_, k) => (k + 1) * 11);
    const differing: number[] = [];
    for (const c of cuts) {
      if (JSON.stringify(asTshark(await scan(chunked(joined, [c])))) !== JSON.stringify(asTshark(whole)))
        differing.push(c);
    }

    // Assess: the same seven 503s twice (the second time judged resends, as the same packets would be)
    expect([whole.responses, whole.byCode, whole.retransmissions.responses]).toEqual([14, { '503': 14 }, 7]);
    expect(differing).toEqual([]);
  });
});
