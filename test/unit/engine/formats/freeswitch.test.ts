import { describe, expect, it } from 'vitest';
import {
  NO_CLASSES,
  readFixture,
  replayAtRandomCuts,
  replayCutInTwo,
  scanText,
  scanWhole,
} from '../../../support/collect.js';
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
  formats: ['freeswitch'],
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
  // only the "[NOTICE] switch_channel.c ... New Channel" line between two traces
  unrecognizedBytes: 142,
  // the stamp has the time of day only
  timedResponses: 0,
  series: [],
};

describe('FreeSWITCH sofia siptrace reader', () => {
  it('counts every message of the FreeSWITCH 1.10 layout and no status line inside a body', async () => {
    // Prepare
    const data = readFixture('text/freeswitch-siptrace.log');

    // Act
    const r = await scanWhole(data);

    // Assess
    expect(withoutKpis(r)).toEqual({ ...CALL_COUNTS, bytes: 6620 });
  });

  it('counts every message of the indented sofia-sip 1.12 layout with its closing separators', async () => {
    // Prepare
    const data = readFixture('text/freeswitch-siptrace-old.log');

    // Act
    const r = await scanWhole(data);

    // Assess
    expect(withoutKpis(r)).toEqual({ ...CALL_COUNTS, bytes: 8174 });
  });

  it('rebuilds messages sent with bare LF line ends from the byte count in the stamp', async () => {
    // Prepare: same trace, but the messages themselves used LF, so each stamp's size is smaller
    const data = readFixture('text/freeswitch-siptrace-lf.log');

    // Act
    const r = await scanWhole(data);

    // Assess: no byte of any message is left over as unrecognised text
    expect(data.toString('latin1')).toContain('recv 473 bytes from udp/[192.0.2.101]:5060');
    expect(withoutKpis(r)).toEqual({ ...CALL_COUNTS, bytes: 6620 });
  });

  it('stamps no time without a dated prefix, and the prefix date when there is one', async () => {
    // Prepare: the first trace, once as sofia-sip writes it and once behind a syslog-style prefix
    const text = readFixture('text/freeswitch-siptrace.log').toString('latin1');
    const first = text.slice(0, text.indexOf('send 266 bytes'));
    const second = text.slice(text.indexOf('send 266 bytes'), text.indexOf('send 309 bytes'));
    const dated = `${first}2026-11-24T13:41:07.250918+00:00 pbx freeswitch[812]: ${second}`;

    // Act
    const r = await scanText(dated);

    // Assess: the 100 Trying is the dated one
    expect(r.responses).toBe(1);
    expect(r.requests).toBe(1);
    expect(r.timedResponses).toBe(1);
    expect(r.series.map((m) => [m.minute, m.byCode])).toEqual([['2026-11-24T13:41:00.000Z', { '100': 1 }]]);
  });

  it('gives the same tally when the 1.10 trace is cut in two at any byte', async () => {
    // Prepare
    const data = readFixture('text/freeswitch-siptrace.log');

    // Act
    const { whole, differing } = await replayCutInTwo(data);

    // Assess
    expect(differing).toEqual([]);
    expect(whole.responses).toBe(7);
  });

  it.each(['freeswitch-siptrace.log', 'freeswitch-siptrace-old.log', 'freeswitch-siptrace-lf.log'])(
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
