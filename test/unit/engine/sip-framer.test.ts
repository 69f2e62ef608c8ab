import { describe, expect, it } from 'vitest';
import { framerWithTally } from '../../support/collect.js';
import { invite, messageQuotingStatus, notifySipfrag, response, sipMessage } from '../../support/sip-samples.js';

const UDP = { transport: 'udp', src: '192.0.2.1:5060', dst: '192.0.2.2:5060' } as const;
const TCP = { transport: 'tcp', src: '192.0.2.1:5060', dst: '192.0.2.2:5060' } as const;

describe('SipFramer.datagram', () => {
  it('frames two messages of a block of no named transport and ignores a status line inside a sipfrag body', () => {
    // Prepare
    const { framer, tally } = framerWithTally();
    const buf = Buffer.from(notifySipfrag() + response(200, 'OK', '993809824 NOTIFY', 'a84b4c76e66710'));

    // Act
    framer.datagram(buf, 0, buf.length, { transport: 'unknown' }, { dotCR: false });

    // Assess
    const r = tally.toResult();
    expect([r.requests, r.responses, r.byCode, r.unrecognizedBytes]).toEqual([1, 1, { '200': 1 }, 0]);
  });

  it("frames a UDP datagram's first message only, as tshark: what follows its Content-Length is no message", () => {
    // Prepare: the NOTIFY's datagram printed with a 200 after it (a body longer than Content-Length says)
    const { framer, tally } = framerWithTally();
    const after = response(200, 'OK', '993809824 NOTIFY', 'a84b4c76e66710');
    const buf = Buffer.from(notifySipfrag() + after);

    // Act
    framer.datagram(buf, 0, buf.length, UDP, { dotCR: false });

    // Assess
    const r = tally.toResult();
    expect([r.requests, r.responses, r.unrecognizedBytes]).toEqual([1, 0, Buffer.byteLength(after)]);
  });

  it('counts non-SIP payload as unrecognised bytes', () => {
    // Prepare
    const { framer, tally } = framerWithTally();
    const buf = Buffer.from('\x80\x00RTP payload\n');

    // Act
    framer.datagram(buf, 0, buf.length, UDP, { dotCR: false });

    // Assess
    expect([tally.toResult().messages, tally.unrecognizedBytes]).toEqual([0, buf.length]);
  });
});

describe('SipFramer.stream', () => {
  const stream = Buffer.from(
    `${invite()}${response(100, 'Trying')}${messageQuotingStatus()}${response(180, 'Ringing')}\r\n\r\n`,
  );

  it('gives the same counts wherever the stream is cut into two segments', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      // Prepare
      const { framer, tally } = framerWithTally();

      // Act
      framer.stream('f', stream, 0, cut, TCP, { dotCR: false });
      framer.stream('f', stream, cut, stream.length, TCP, { dotCR: false });
      framer.end();

      // Assess
      const r = tally.toResult();
      expect([r.requests, r.responses, r.byCode, r.anomalies, r.unrecognizedBytes], `cut at ${cut}`).toEqual([
        2,
        2,
        { '100': 1, '180': 1 },
        {},
        0,
      ]);
    }
  });

  it('frames a message fed one byte per segment once, then holds nothing (its bytes appended in place, never re-concatenated)', () => {
    // Prepare: a MESSAGE with a 60 KB body, then a response, as 1-byte segments of one flow
    const { framer, tally } = framerWithTally();
    const big = sipMessage(
      'MESSAGE sip:bob@biloxi.example.com SIP/2.0',
      ['Via: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bK74bf9', 'Call-ID: big@atlanta', 'CSeq: 1 MESSAGE'],
      'a=x\r\n'.repeat(10_000),
    );
    const flow = Buffer.from(big + response(200, 'OK'));
    const partial: boolean[] = [];

    // Act
    for (let i = 0; i < flow.length; i++) {
      framer.stream('f', flow, i, i + 1, TCP, { dotCR: false });
      if (i === 1000 || i === flow.length - 1) partial.push(framer.holdsPartialStream);
    }

    // Assess
    const r = tally.toResult();
    expect([r.requests, r.responses, r.byCode, r.anomalies, r.unrecognizedBytes, partial]).toEqual([
      1,
      1,
      { '200': 1 },
      {},
      0,
      [true, false],
    ]);
  });

  it('keeps flows apart: interleaved segments of two connections each frame their own messages', () => {
    // Prepare
    const { framer, tally } = framerWithTally();
    const a = Buffer.from(response(200, 'OK'));
    const b = Buffer.from(response(486, 'Busy Here'));

    // Act
    framer.stream('a', a, 0, 20, TCP, { dotCR: false });
    framer.stream('b', b, 0, 30, TCP, { dotCR: false });
    framer.stream('a', a, 20, a.length, TCP, { dotCR: false });
    framer.stream('b', b, 30, b.length, TCP, { dotCR: false });

    // Assess
    expect(tally.toResult().byCode).toEqual({ '200': 1, '486': 1 });
  });

  it('after garbage, reads no more of the segment and starts again at the next one, as tshark does', () => {
    // Prepare: a segment that begins mid-message (the tail of an earlier one), then a segment that begins a message
    const { framer, tally } = framerWithTally();
    const first = Buffer.from(`tail of an earlier message\r\nmore\r\n${response(603, 'Decline')}`);
    const second = Buffer.from(response(486, 'Busy Here'));

    // Act
    framer.stream('f', first, 0, first.length, TCP, { dotCR: false });
    framer.stream('f', second, 0, second.length, TCP, { dotCR: false });
    framer.end();

    // Assess: the 603 inside the garbled segment is not counted (tshark 4.0.17 does not dissect it either)
    const r = tally.toResult();
    expect([r.byCode, r.anomalies, r.unrecognizedBytes]).toEqual([{ '486': 1 }, { 'stream-garbage': 1 }, first.length]);
  });

  it('reads no message after a blank line in the same segment (a keep-alive and a message together), as tshark', () => {
    // Prepare: CRLF CRLF then a 200 in one segment; a keep-alive alone, then a 180, in two more
    const { framer, tally } = framerWithTally();
    const together = Buffer.from(`\r\n\r\n${response(200, 'OK')}`);
    const alone = Buffer.from('\r\n\r\n');
    const ringing = Buffer.from(response(180, 'Ringing'));

    // Act
    for (const b of [together, alone, ringing]) framer.stream('f', b, 0, b.length, TCP, { dotCR: false });
    framer.end();

    // Assess
    const r = tally.toResult();
    expect([r.byCode, r.anomalies, r.unrecognizedBytes]).toEqual([
      { '180': 1 },
      { 'stream-garbage': 1 },
      together.length,
    ]);
  });

  it('does not count a message the end of the flow cut, and says so once (tshark never dissects it)', () => {
    // Prepare
    const { framer, tally } = framerWithTally();
    const buf = Buffer.from(invite());

    // Act
    framer.stream('f', buf, 0, buf.length - 5, TCP, { dotCR: false });
    framer.endFlow('f');

    // Assess
    const r = tally.toResult();
    expect([r.requests, r.anomalies, r.unrecognizedBytes]).toEqual([0, { 'stream-cut': 1 }, buf.length - 5]);
  });

  it('counts the captured part of a message whose first segment the snaplen cut (cutFlow), as tshark does', () => {
    // Prepare
    const { framer, tally } = framerWithTally();
    const buf = Buffer.from(invite());

    // Act
    framer.stream('f', buf, 0, 200, TCP, { dotCR: false });
    const held = framer.held('f');
    framer.cutFlow('f');

    // Assess
    const r = tally.toResult();
    expect([held, framer.held('f'), r.requests, r.anomalies]).toEqual([200, 0, 1, { 'missing-cseq': 1 }]);
  });

  it('drops the unfinished message at a hole (resetFlow) and frames the flow afresh after it', () => {
    // Prepare
    const { framer, tally } = framerWithTally();
    const buf = Buffer.from(invite() + invite());

    // Act: the first INVITE's end never comes; the second arrives whole
    framer.stream('f', buf, 0, 150, TCP, { dotCR: false });
    framer.resetFlow('f');
    framer.stream('f', buf, buf.length / 2, buf.length, TCP, { dotCR: false });
    framer.endFlow('f');

    // Assess
    const r = tally.toResult();
    expect([r.requests, r.anomalies, r.unrecognizedBytes]).toEqual([1, { 'stream-cut': 1 }, 150]);
  });
});
