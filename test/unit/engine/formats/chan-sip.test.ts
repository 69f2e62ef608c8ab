import { describe, expect, it } from 'vitest';
import { NO_CLASSES, readFixture, replayAtRandomCuts, replayCutInTwo, scanWhole } from '../../../support/collect.js';
import { withoutKpis } from '../../../support/without-kpis.js';

/** The call in every fixture: INVITE/100/180/200/ACK, a NOTIFY (sent twice) whose body is "SIP/2.0 503 ...", OPTIONS over TCP, MESSAGE/202, BYE/200. */
const CALL_COUNTS = {
  // the phone (192.0.2.101) answered the PBX's NOTIFY; the PBX itself (local) sent the rest
  byPeer: {
    '192.0.2.101': { responses: 1, byClass: { ...NO_CLASSES, '2xx': 1 }, byCode: { '200': 1 } },
    local: {
      responses: 6,
      byClass: { ...NO_CLASSES, '1xx': 2, '2xx': 4 },
      byCode: { '100': 1, '180': 1, '200': 3, '202': 1 },
    },
  },
  messages: 14,
  requests: 7,
  responses: 7,
  accountedResponses: 0,
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
    const data = readFixture('text/chan-sip-console.log');

    // Act
    const r = await scanWhole(data);

    // Assess
    expect(withoutKpis(r)).toEqual({
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
    const data = readFixture('text/chan-sip-console.log');

    // Act
    const r = await scanWhole(data);

    // Assess
    expect(r.requestsByMethod.NOTIFY).toBe(2);
    expect(r.retransmissions).toEqual({ requests: 1, responses: 0 });
  });

  it('dates each block of the full log from the logger prefix, alone on the line above "<--- "', async () => {
    // Prepare
    const data = readFixture('text/chan-sip-full.log');

    // Act
    const r = await scanWhole(data);

    // Assess
    expect(withoutKpis(r)).toEqual({
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
          byPeer: { '192.0.2.101': { ...NO_CLASSES, '2xx': 1 }, local: { ...NO_CLASSES, '1xx': 2, '2xx': 4 } },
        },
      ],
    });
  });

  it('counts the same when the log had its CRLFs converted to LF', async () => {
    // Prepare
    const crlf = readFixture('text/chan-sip-full.log');
    const lf = readFixture('text/chan-sip-full-lf.log');

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
    const data = readFixture('text/chan-sip-console.log');

    // Act
    const { whole, differing } = await replayCutInTwo(data);

    // Assess
    expect(differing).toEqual([]);
    expect(whole.responses).toBe(7);
  });

  it.each(['chan-sip-console.log', 'chan-sip-full.log', 'chan-sip-full-lf.log'])(
    'gives the same tally wherever %s is cut into chunks',
    async (name) => {
      // Prepare
      const data = readFixture(`text/${name}`);

      // Act
      const { whole, differing } = await replayAtRandomCuts(data, 8);

      // Assess
      expect(differing).toEqual([]);
      expect(whole.messages).toBe(14);
    },
  );
});
