import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../../../lambda/engine/index.js';
import { scan } from '../../../../lambda/engine/index.js';

const FIXTURES = new URL('../../../fixtures/text/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

/** The input cut at the given offsets, one chunk per piece. */
async function* chunksAt(data: Buffer, cuts: readonly number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield data.subarray(from, cut);
    from = cut;
  }
  yield data.subarray(from);
}

const scanWhole = (data: Buffer): Promise<ScanResult> => scan(chunksAt(data, []));

const NO_CLASSES = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };

/** The call in every fixture: INVITE/100/180/200/ACK, a NOTIFY (sent twice) whose body is "SIP/2.0 503 ...", OPTIONS over TCP, MESSAGE/202, BYE/200. */
const CALL_COUNTS = {
  messages: 14,
  requests: 7,
  responses: 7,
  byClass: { ...NO_CLASSES, '1xx': 2, '2xx': 5 },
  byCode: { '100': 1, '180': 1, '200': 4, '202': 1 },
  byMethod: {
    BYE: { '200': 1 },
    INVITE: { '100': 1, '180': 1, '200': 1 },
    MESSAGE: { '202': 1 },
    NOTIFY: { '200': 1 },
    OPTIONS: { '200': 1 },
  },
  requestsByMethod: { ACK: 1, BYE: 1, INVITE: 1, MESSAGE: 1, NOTIFY: 2, OPTIONS: 1 },
  retransmissions: { requests: 1, responses: 0 },
  retransmittedByClass: NO_CLASSES,
  anomalies: {},
};

describe('chan_sip sip set debug reader', () => {
  it('counts every block of a console capture and no status line inside a sipfrag or MESSAGE body', async () => {
    // Prepare
    const data = fixture('chan-sip-console.log');

    // Act
    const r = await scanWhole(data);

    // Assess
    expect(r).toEqual({
      ...CALL_COUNTS,
      formats: ['chan-sip'],
      bytes: 5997,
      // the pbx.c "-- Executing" line and "Scheduling destruction of SIP dialog ..."
      unrecognizedBytes: 175,
      timedResponses: 0,
      series: [],
    });
  });

  it('marks the "Retransmitting #1" copy of the NOTIFY as a retransmission', async () => {
    // Prepare
    const data = fixture('chan-sip-console.log');

    // Act
    const r = await scanWhole(data);

    // Assess
    expect(r.requestsByMethod.NOTIFY).toBe(2);
    expect(r.retransmissions).toEqual({ requests: 1, responses: 0 });
  });

  it('dates each block of the full log from the logger prefix, alone on the line above "<--- "', async () => {
    // Prepare
    const data = fixture('chan-sip-full.log');

    // Act
    const r = await scanWhole(data);

    // Assess
    expect(r).toEqual({
      ...CALL_COUNTS,
      formats: ['chan-sip'],
      bytes: 7400,
      // the two lines above, now with their "[date] VERBOSE[4242][C-00000001] file: " prefixes
      unrecognizedBytes: 298,
      timedResponses: 7,
      series: [
        {
          minute: '2026-11-24T13:39:00.000Z',
          byClass: CALL_COUNTS.byClass,
          byCode: CALL_COUNTS.byCode,
          byMethod: CALL_COUNTS.byMethod,
          retransmittedByClass: NO_CLASSES,
        },
      ],
    });
  });

  it('counts the same when the log had its CRLFs converted to LF', async () => {
    // Prepare
    const crlf = fixture('chan-sip-full.log');
    const lf = fixture('chan-sip-full-lf.log');

    // Act
    const fromCrlf = await scanWhole(crlf);
    const fromLf = await scanWhole(lf);

    // Assess
    expect(lf.includes('\r')).toBe(false);
    expect({ ...fromLf, bytes: 0 }).toEqual({ ...fromCrlf, bytes: 0 });
    expect(fromLf.bytes).toBe(7246);
  });

  it('gives the same tally when the console capture is cut in two at any byte', async () => {
    // Prepare
    const data = fixture('chan-sip-console.log');
    const whole = await scanWhole(data);

    // Act
    const differing: number[] = [];
    for (let at = 1; at < data.length; at++) {
      if (JSON.stringify(await scan(chunksAt(data, [at]))) !== JSON.stringify(whole)) differing.push(at);
    }

    // Assess
    expect(differing).toEqual([]);
    expect(whole.responses).toBe(7);
  });

  it.each(['chan-sip-console.log', 'chan-sip-full.log', 'chan-sip-full-lf.log'])(
    'gives the same tally wherever %s is cut into chunks',
    async (name) => {
      // Prepare
      const data = fixture(name);
      const whole = await scanWhole(data);
      const cuts = fc.uniqueArray(fc.integer({ min: 1, max: data.length - 1 }), { minLength: 1, maxLength: 8 });

      // Act
      const differing: number[][] = [];
      await fc.assert(
        fc.asyncProperty(cuts, async (at) => {
          if (JSON.stringify(await scan(chunksAt(data, at))) !== JSON.stringify(whole)) differing.push(at);
        }),
        { seed: 3261, numRuns: 150 },
      );

      // Assess
      expect(differing).toEqual([]);
      expect(whole.messages).toBe(14);
    },
  );
});
