import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../../../lambda/engine/tally.js';
import { readFixture, replayCutInTwo, scanText, scanWhole } from '../../../support/collect.js';
import { accLine, ngrepPacket, pjsipRecord, sipdumpRecord, sippRecord } from '../../../support/log-formats.js';
import {
  compactResponse,
  invite,
  messageQuotingStatus,
  notifySipfrag,
  response,
} from '../../../support/sip-samples.js';

interface Summary {
  readonly formats: readonly string[];
  readonly requests: number;
  readonly responses: number;
  readonly byCode: Record<string, number>;
  readonly retransmissions: { readonly requests: number; readonly responses: number };
  readonly anomalies: Record<string, number | undefined>;
}

const summary = (r: ScanResult): Summary => ({
  formats: r.formats,
  requests: r.requests,
  responses: r.responses,
  byCode: r.byCode,
  retransmissions: r.retransmissions,
  anomalies: r.anomalies,
});

/** Replays the text cut in two at every byte offset (a few hundred evenly spaced ones in a long text): same counts each time. */
const expectSameAtEveryCut = async (text: string, expected: Summary): Promise<void> => {
  const step = Math.max(1, Math.floor(text.length / 400));
  const { whole, differing } = await replayCutInTwo(Buffer.from(text, 'latin1'), { step, view: summary });
  expect(summary(whole)).toEqual(expected);
  expect(differing, 'offsets whose counts differ').toEqual([]);
};

describe('ngrep -W byline', () => {
  const a = '192.0.2.10:5060';
  const b = '[2001:db8::1]:5060';

  it('counts UDP packets, a retransmitted final response and a sipfrag NOTIFY', async () => {
    // Prepare
    const text =
      'interface: lo (127.0.0.0/255.0.0.0)\nfilter: ( port 5060 )\n' +
      ngrepPacket('U', a, b, invite()) +
      ngrepPacket('U', b, a, response(100, 'Trying')) +
      ngrepPacket('U', b, a, response(486, 'Busy Here')) +
      ngrepPacket('U', b, a, response(486, 'Busy Here')) +
      ngrepPacket('U', b, a, notifySipfrag());
    const expected = {
      formats: ['ngrep'],
      requests: 2,
      responses: 3,
      byCode: { '100': 1, '486': 2 },
      retransmissions: { requests: 0, responses: 1 },
      anomalies: {},
    };

    // Act
    const r = await scanText(text);

    // Assess
    expect(summary(r)).toEqual(expected);
    await expectSameAtEveryCut(text, expected);
  });

  it('reassembles a TCP message printed over two segments and splits a segment holding two', async () => {
    // Prepare
    const stream = invite() + response(100, 'Trying') + messageQuotingStatus();
    const cut1 = 200;
    const cut2 = invite().length + 30;
    const text =
      ngrepPacket('T', a, b, stream.slice(0, cut1), '2026/11/24 13:39:27.271632') +
      ngrepPacket('T', a, b, stream.slice(cut1, cut2), '2026/11/24 13:39:27.271700') +
      ngrepPacket('T', a, b, stream.slice(cut2), '2026/11/24 13:39:28.000000');
    const expected = {
      formats: ['ngrep'],
      requests: 2,
      responses: 1,
      byCode: { '100': 1 },
      retransmissions: { requests: 0, responses: 0 },
      anomalies: {},
    };

    // Act
    const r = await scanText(text);

    // Assess
    expect(summary(r)).toEqual(expected);
    expect(r.series.map((s) => s.minute)).toEqual(['2026-11-24T13:39:00.000Z']);
    await expectSameAtEveryCut(text, expected);
  });
});

describe('SIPp -trace_msg', () => {
  it('counts sent and received messages and stamps them with the separator time', async () => {
    // Prepare
    const text =
      'Problem EAGAIN on socket  6 and poll_idx  is 1 \n' +
      sippRecord('sent', 'UDP', invite()) +
      sippRecord('received', 'UDP', response(180, 'Ringing')) +
      sippRecord('received', 'UDP', response(603, 'Decline'), '2026-11-24 13:40:01.000001') +
      sippRecord('received', 'UDP', response(603, 'Decline'), '2026-11-24 13:40:01.500001');
    const expected = {
      formats: ['sipp'],
      requests: 1,
      responses: 3,
      byCode: { '180': 1, '603': 2 },
      retransmissions: { requests: 0, responses: 1 },
      anomalies: {},
    };

    // Act
    const r = await scanText(text);

    // Assess
    expect(summary(r)).toEqual(expected);
    expect(r.series.map((s) => [s.minute, s.byClass['6xx']])).toEqual([
      ['2026-11-24T13:39:00.000Z', 0],
      ['2026-11-24T13:40:00.000Z', 2],
    ]);
    await expectSameAtEveryCut(text, expected);
  });
});

describe('Asterisk pjsip logger', () => {
  it('reads records with and without a full-log prefix, LF-converted bodies included', async () => {
    // Prepare
    const lf = (s: string) => s.replace(/\r\n/g, '\n');
    const text =
      pjsipRecord('in', 'UDP:192.0.2.10:5060', invite()) +
      pjsipRecord('out', 'UDP:192.0.2.10:5060', response(503, 'Service Unavailable'), '[2026-11-24 13:39:27.271] ') +
      pjsipRecord(
        'out',
        'TCP:192.0.2.10:5061',
        lf(notifySipfrag('SIP/2.0 200 OK')),
        '[Nov 24 13:39:27] VERBOSE[1234][C-00000001] res_pjsip_logger.c: ',
      ) +
      pjsipRecord('in', 'TCP:192.0.2.10:5061', lf(response(200, 'OK', '993809824 NOTIFY')));
    const expected = {
      formats: ['pjsip'],
      requests: 2,
      responses: 2,
      byCode: { '200': 1, '503': 1 },
      retransmissions: { requests: 0, responses: 0 },
      anomalies: {},
    };

    // Act
    const r = await scanText(text);

    // Assess
    expect(summary(r)).toEqual(expected);
    expect(r.timedResponses).toBe(1);
    await expectSameAtEveryCut(text, expected);
  });
});

describe('Kamailio sipdump', () => {
  it('reads records, their time and addresses, and both legs of a proxied response', async () => {
    // Prepare
    const ua = '127.0.0.1:5080';
    const proxy = '127.0.0.1:5060';
    const as = '127.0.0.1:5090';
    const text =
      sipdumpRecord('rcv', as, proxy, response(180, 'Ringing')) +
      sipdumpRecord('snd', proxy, ua, response(180, 'Ringing')) +
      sipdumpRecord('rcv', as, proxy, compactResponse(200, 'OK', '1 INVITE'), 1795527627.5) +
      sipdumpRecord('snd', proxy, ua, notifySipfrag());
    const expected = {
      formats: ['sipdump'],
      requests: 1,
      responses: 3,
      byCode: { '180': 2, '200': 1 },
      retransmissions: { requests: 0, responses: 0 },
      anomalies: {},
    };

    // Act
    const r = await scanText(text);

    // Assess
    expect(summary(r)).toEqual(expected);
    expect(r.series.map((s) => [s.minute, s.byCode])).toEqual([
      ['2026-11-24T13:39:00.000Z', { '180': 2 }],
      ['2026-11-24T13:40:00.000Z', { '200': 1 }],
    ]);
    await expectSameAtEveryCut(text, expected);
  });
});

describe('Kamailio acc lines', () => {
  it('counts one final response per answered transaction, in stderr and syslog form', async () => {
    // Prepare
    const text =
      ' 0(3938) INFO: <core> [core/tcp_main.c:5073]: init_tcp(): using epoll_lt\n' +
      accLine('INVITE', 486, 'Busy Here') +
      accLine('INVITE', 200, 'OK', 'syslog') +
      accLine('BYE', 200, 'OK') +
      accLine('INVITE', 486, 'Busy Here', 'stderr', 'call missed');
    const expected = {
      formats: ['acc'],
      requests: 0,
      responses: 3,
      byCode: { '200': 2, '486': 1 },
      retransmissions: { requests: 0, responses: 0 },
      anomalies: {},
    };

    // Act
    const r = await scanText(text);

    // Assess
    expect(summary(r)).toEqual(expected);
    expect(r.byMethod).toEqual({ BYE: { '200': 1 }, INVITE: { '200': 1, '486': 1 } });
    expect([r.messages, r.accountedResponses]).toEqual([0, 3]);
    await expectSameAtEveryCut(text, expected);
  });
});

describe('Kamailio acc lines of missed calls (real Kamailio 5.6 logs, test/fixtures/kamailio/README.md)', () => {
  it('counts a "call missed" record as the failed INVITE it is, and once when acc logs the reply twice', async () => {
    // Prepare: the stock config's flags (a failed INVITE is logged only as "call missed"), then a 603 flagged as a
    // failed transaction too (logged as "call missed" and again as "transaction answered")
    const missed = readFixture('kamailio/acc-call-missed.log');
    const twice = readFixture('kamailio/acc-missed-and-failed.log');

    // Act
    const m = await scanWhole(missed);
    const t = await scanWhole(twice);

    // Assess: before, the 6 "call missed" records were not counted (5 responses; 1 in the second log)
    expect(m.byMethod).toEqual({
      BYE: { '200': 2 },
      INVITE: { '200': 2, '408': 2, '486': 2, '603': 2 },
      OPTIONS: { '200': 1 },
    });
    expect([m.responses, m.accountedResponses, m.anomalies]).toEqual([11, 11, {}]);
    expect(t.byMethod).toEqual({ INVITE: { '486': 1, '603': 1 } });
    expect(t.responses).toBe(2);
    await expectSameAtEveryCut(twice.toString('latin1'), summary(t));
  });
});

describe('bare SIP and concatenated formats', () => {
  it('reads bare messages separated by blank and ---- lines, CRLF and LF alike', async () => {
    // Prepare
    const text = `${invite()}\r\n----\r\n${response(100, 'Trying').replace(/\r\n/g, '\n')}\n\n${messageQuotingStatus()}`;
    const expected = {
      formats: ['sip'],
      requests: 2,
      responses: 1,
      byCode: { '100': 1 },
      retransmissions: { requests: 0, responses: 0 },
      anomalies: {},
    };

    // Act / Assess
    expect(summary(await scanText(text))).toEqual(expected);
    await expectSameAtEveryCut(text, expected);
  });

  it('reads several formats concatenated in one file', async () => {
    // Prepare
    const text =
      sippRecord('received', 'UDP', response(500, 'Server Internal Error')) +
      ngrepPacket('U', '192.0.2.1:5060', '192.0.2.2:5060', response(502, 'Bad Gateway')) +
      pjsipRecord('in', 'UDP:192.0.2.10:5060', response(504, 'Server Time-out')) +
      sipdumpRecord('rcv', '127.0.0.1:1', '127.0.0.1:2', response(600, 'Busy Everywhere')) +
      accLine('INVITE', 603, 'Decline') +
      response(604, 'Does Not Exist Anywhere');

    // Act
    const r = await scanText(text);

    // Assess
    expect(r.formats.sort()).toEqual(['acc', 'ngrep', 'pjsip', 'sip', 'sipdump', 'sipp']);
    expect(r.byCode).toEqual({ '500': 1, '502': 1, '504': 1, '600': 1, '603': 1, '604': 1 });
    expect(r.byClass).toEqual({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 3, '6xx': 3 });
  });

  it('ends an ngrep TCP segment with its own last LF when another log or ngrep run follows', async () => {
    // Prepare: a TCP message in two segments, the first ending in LF; then a sipdump record; then
    // a second ngrep run (its preamble glued after the last packet)
    const a = '192.0.2.1:5060';
    const b = '192.0.2.2:5060';
    const msg = response(200, 'OK');
    const cut = msg.indexOf('\r\n', 40) + 2;
    const text =
      ngrepPacket('T', a, b, msg.slice(0, cut)) +
      sipdumpRecord('rcv', '127.0.0.1:1', '127.0.0.1:2', response(486, 'Busy Here')) +
      ngrepPacket('T', a, b, msg.slice(cut)) +
      'input: second.pcap\nfilter: ( port 5060 )\n' +
      ngrepPacket('T', a, b, response(180, 'Ringing'));

    // Act
    const r = await scanText(text);

    // Assess
    expect([r.byCode, r.anomalies]).toEqual([{ '180': 1, '200': 1, '486': 1 }, {}]);
  });

  it('does not lend a log header to bare SIP that follows its message', async () => {
    // Prepare: the proxy's two legs of one 200 OK, the second as bare SIP after a pjsip record
    const leg1 = response(200, 'OK');
    const leg2 = leg1.replace('branch=z9hG4bK74bf9', 'branch=z9hG4bKproxy1');
    const text = pjsipRecord('in', 'UDP:192.0.2.10:5060', leg1) + leg2;

    // Act
    const r = await scanText(text);

    // Assess
    expect([r.formats, r.responses, r.retransmissions.responses]).toEqual([['pjsip', 'sip'], 2, 0]);
  });

  it('counts an out-of-range status code and a cut status line as anomalies only', async () => {
    // Prepare
    const text = `${response(799, 'Weird')}SIP/2.0 4\r\n`;

    // Act
    const r = await scanText(text);

    // Assess
    expect([r.responses, r.anomalies]).toEqual([0, { 'invalid-status-code': 1, 'truncated-status-line': 1 }]);
  });
});
