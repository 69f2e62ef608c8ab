import { describe, expect, it } from 'vitest';
import { MessageCounter } from '../../../../lambda/engine/message-counter.js';
import { classifyDatagram, countFirstSipMessage } from '../../../../lambda/engine/pcap/sip-datagram.js';
import { Tally } from '../../../../lambda/engine/tally.js';
import { notifySipfrag, response } from '../../../support/sip-samples.js';

const META = { transport: 'udp', src: '192.0.2.1:5060', dst: '192.0.2.2:5060', timeMs: 0 } as const;

describe('classifyDatagram', () => {
  const cases: readonly (readonly [string, Buffer, string])[] = [
    ['a response', Buffer.from(response(200, 'OK')), 'sip'],
    ['a CRLF keep-alive (RFC 5626)', Buffer.from('\r\n\r\n'), 'keep-alive'],
    ['an empty datagram', Buffer.alloc(0), 'keep-alive'],
    ['RTP', Buffer.from([0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160, 1, 2, 3, 4]), 'other'],
    [
      'a message after a leading CRLF (tshark needs a printable first byte)',
      Buffer.from(`\r\n${response(200, 'OK')}`),
      'other',
    ],
    ['a first line holding a NUL', Buffer.from('SIP/2.0 200 O\0K\r\n\r\n'), 'other'],
    ['HTTP', Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), 'other'],
  ];
  for (const [name, payload, verdict] of cases) {
    it(`classifies ${name} as ${verdict}`, () => {
      // Prepare (the table above)

      // Act
      const v = classifyDatagram(payload, 0, payload.length);

      // Assess
      expect(v).toBe(verdict);
    });
  }
});

describe('countFirstSipMessage', () => {
  it('counts only the first of two messages in one datagram, as tshark dissects one per datagram', () => {
    // Prepare
    const tally = new Tally();
    const second = response(200, 'OK');
    const buf = Buffer.from(response(180, 'Ringing') + second);

    // Act
    countFirstSipMessage(new MessageCounter(tally), buf, 0, buf.length, META);

    // Assess
    const r = tally.toResult();
    expect([r.byCode, r.requests, r.unrecognizedBytes]).toEqual([{ '180': 1 }, 0, second.length]);
  });

  it('does not count a status line inside a sipfrag body', () => {
    // Prepare
    const tally = new Tally();
    const buf = Buffer.from(notifySipfrag());

    // Act
    countFirstSipMessage(new MessageCounter(tally), buf, 0, buf.length, META);

    // Assess
    const r = tally.toResult();
    expect([r.requestsByMethod, r.responses, r.unrecognizedBytes]).toEqual([{ NOTIFY: 1 }, 0, 0]);
  });

  it('counts a datagram whose status line has no status code as an anomaly and unrecognised bytes', () => {
    // Prepare
    const tally = new Tally();
    const buf = Buffer.from('SIP/2.0 2x OK\r\nCSeq: 1 INVITE\r\n\r\n');

    // Act
    countFirstSipMessage(new MessageCounter(tally), buf, 0, buf.length, META);

    // Assess
    const r = tally.toResult();
    expect([r.messages, r.anomalies, r.unrecognizedBytes]).toEqual([0, { 'truncated-status-line': 1 }, buf.length]);
  });
});
