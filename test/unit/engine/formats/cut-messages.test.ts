import { describe, expect, it } from 'vitest';
import { readFixture, scanWhole } from '../../../support/collect.js';

/**
 * A message a program logged shorter than its Content-Length (baresip keeps 8 KiB of a datagram, belle-sip prints
 * 7,000 bytes of a message): its SDP body must not run on through the entries after it (test/fixtures/text/README.md).
 */
describe('messages logged shorter than their Content-Length', () => {
  it.each([
    // baresip's trace closes each entry with a line of its own (formats/baresip.ts): the cut body ends there
    [
      'baresip-cut-datagram.log',
      { responses: 7, requests: 5, byCode: { '100': 1, '180': 1, '200': 5 } },
      'truncated-body',
    ],
    ['linphone-cut-message.log', { responses: 9, requests: 7, byCode: { '100': 2, '180': 2, '200': 5 } }, 'resync'],
  ])('counts every message %s shows, the cut one included', async (name, want, anomaly) => {
    // Prepare: before, the cut 200 OK's body swallowed the entries after it (1 and 5 responses)
    const log = readFixture(`text/${name}`);

    // Act
    const got = await scanWhole(log);

    // Assess
    expect({ responses: got.responses, requests: got.requests, byCode: got.byCode }).toEqual(want);
    expect(got.anomalies).toEqual({ [anomaly]: 1 });
  });

  it('still frames a message/sipfrag body that quotes a status line by its Content-Length', async () => {
    // Prepare: a NOTIFY whose sipfrag body is a status line and a header, then a 200; only SDP bodies are cut at one
    const frag = 'SIP/2.0 503 Service Unavailable\r\nRetry-After: 5\r\n';
    const notify = [
      'NOTIFY sip:a@127.0.0.1 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1',
      'Call-ID: n1',
      'CSeq: 2 NOTIFY',
      'Content-Type: message/sipfrag',
      `Content-Length: ${frag.length}`,
      '',
      frag,
    ].join('\r\n');
    const ok = [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1',
      'Call-ID: n1',
      'CSeq: 2 NOTIFY',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');

    // Act
    const got = await scanWhole(Buffer.from(notify + ok, 'latin1'));

    // Assess
    expect([got.requests, got.responses, got.byCode, got.anomalies]).toEqual([1, 1, { '200': 1 }, {}]);
  });
});
