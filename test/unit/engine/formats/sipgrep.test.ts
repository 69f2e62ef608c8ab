import { describe, expect, it } from 'vitest';
import { readFixture, scanWhole } from '../../../support/collect.js';
import { readTsharkReading, type TsharkReading } from '../../../support/tshark-counts.js';

/**
 * sipgrep's text (test/fixtures/sipgrep/README.md): ngrep's byline dump with a line between each header and its
 * payload (empty for UDP, the TCP flags for TCP), colours inside the lines by default, `U(17)` headers with -N.
 */
const TRUTH = readTsharkReading<Record<string, TsharkReading>>('sipgrep/tshark.json');

const TEXTS: readonly (readonly [file: string, capture: string])[] = [
  // SIPp through a Kamailio proxy, UDP and TCP, retransmissions, a NOTIFY with a sipfrag 503 body; -C and colours
  ['proxied-kamailio.sipgrep-C.txt.gz', 'proxied-kamailio'],
  ['proxied-kamailio.sipgrep.txt.gz', 'proxied-kamailio'],
  // lo at MTU 1500: IP fragments and TCP segments that sipgrep reassembles (and with -a does not)
  ['mtu1500.sipgrep-C.txt.gz', 'mtu1500'],
  ['mtu1500.sipgrep-C-a.txt.gz', 'mtu1500'],
  // one call over UDP (and a NOTIFY whose sipfrag body is a 503) and one over TCP: colours, and -C -e -N's U(17)
  ['call-udp.sipgrep.txt', 'call-udp'],
  ['call-udp.sipgrep-C-N.txt', 'call-udp'],
  ['call-tcp.sipgrep.txt', 'call-tcp'],
  ['call-tcp.sipgrep-C-N.txt', 'call-tcp'],
];

describe('sipgrep text', () => {
  it.each(TEXTS)('counts %s as tshark counts its capture', async (file, capture) => {
    // Act
    const got = await scanWhole(readFixture(`sipgrep/${file}`));

    // Assess: before, 0 responses (every UDP payload empty, every TCP one garbage); -N read as bare SIP
    const { responses, requests, byCode, byMethod, retransmissions } = got;
    expect({ responses, requests, byCode, byMethod, retransmissions }).toEqual(TRUTH[capture]);
    expect(got.formats.filter((f) => f !== 'gzip')).toEqual(['ngrep']);
  });

  it.each(['proxied-kamailio', 'mtu1500'])('counts the %s capture as tshark does', async (capture) => {
    // Act
    const got = await scanWhole(readFixture(`sipgrep/${capture}.pcap.gz`));

    // Assess
    const { responses, requests, byCode, byMethod, retransmissions } = got;
    expect({ responses, requests, byCode, byMethod, retransmissions }).toEqual(TRUTH[capture]);
  });
});

describe("sipgrep's notes of messages it could not parse", () => {
  it('counts each BAD M:[...] entry of a cut capture as the cut message tshark counts', async () => {
    // Prepare: the first 8 frames of a live `tcpdump -s 200` capture (every message cut) and `sipgrep -C -I` of them:
    // no header lines, only `BAD M:[payload]` (test/fixtures/sipgrep/README.md)
    const text = readFixture('sipgrep/bad-message-s200.sipgrep-C.txt');
    const capture = readFixture('sipgrep/bad-message-s200.pcap');

    // Act
    const fromText = await scanWhole(text);
    const fromCapture = await scanWhole(capture);

    // Assess: tshark 4.0.17 counts 5 responses and 3 requests; before, UNKNOWN_FORMAT (no SIP found)
    expect([fromCapture.responses, fromCapture.requests]).toEqual([5, 3]);
    expect(fromText.formats).toEqual(['ngrep']);
    const { responses, requests, byCode, byMethod } = fromText;
    expect({ responses, requests, byCode, byMethod }).toEqual({
      responses: fromCapture.responses,
      requests: fromCapture.requests,
      byCode: fromCapture.byCode,
      byMethod: fromCapture.byMethod,
    });
    expect(fromText.anomalies).toEqual({ 'missing-cseq': 8 });
  });
});
