import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import { chunked, readFixture } from '../../../support/collect.js';

/**
 * tcpdump's text of tunnelled SIP (test/fixtures/text/README.md, "Tunnelled packets printed by tcpdump"): the hex dumps
 * decoded as the capture is, the -A text said to be unreadable rather than passed over.
 */

/** tshark 4.0.17 on ../pcap/tunnels.pcap (tunnels.tshark.json). */
const HEX_CODES = {
  '180': 1,
  '183': 1,
  '200': 2,
  '302': 1,
  '401': 1,
  '403': 1,
  '404': 1,
  '408': 1,
  '480': 1,
  '486': 1,
  '487': 2,
  '500': 1,
  '503': 1,
  '603': 1,
};

describe('tcpdump text of tunnelled packets', () => {
  it.each(['X', 'XX'])(
    'counts the -%s dump of VXLAN, Geneve, GRE, IP in IP, QinQ, MPLS and PPPoE packets as tshark',
    async (o) => {
      // Prepare
      const text = readFixture(`text/tcpdump-${o}-tunnels.txt`);

      // Act
      const whole = await scan(chunked(text, []));
      const cut = await scan(chunked(text, [333, 4096, 9000]));

      // Assess: before, 11 (-X) and 10 (-XX), the VXLAN packets and (-XX) the QinQ one lost without a word; then 14, the
      // MPLS and PPPoE packets' summaries not read (their bytes unrecognised text)
      expect([whole.responses, whole.byCode, whole.anomalies, whole.unrecognizedBytes]).toEqual([16, HEX_CODES, {}, 0]);
      expect(cut.byCode).toEqual(whole.byCode);
    },
  );

  it.each(['e-x', 'e-XX'])('counts the -%s dump (Ethernet lines, no "IP" before a tunnel) as tshark', async (o) => {
    // Prepare
    const text = readFixture(`text/tcpdump-${o}-tunnels.txt`);

    // Act
    const got = await Promise.all([[], [333, 4096, 9000]].map((cuts) => scan(chunked(text, cuts))));

    // Assess: before, 10, and the MPLS, PPPoE, QinQ and VXLAN lines unrecognised text
    for (const r of got)
      expect([r.responses, r.byCode, r.anomalies, r.unrecognizedBytes]).toEqual([16, HEX_CODES, {}, 0]);
  });

  it.each(['udp', 'tcp'])(
    'reads the -e -xx dump of a sipgrep -O %s capture (records 14 bytes short) as the capture itself',
    async (t) => {
      // Prepare: tcpdump prints "truncated-ip - 14 bytes missing!": the record is whole, the IP header says more
      const text = readFixture(`text/tcpdump-e-xx-sipgrep-O-${t}.txt`);
      const capture = readFixture(`sipgrep/sipgrep-O-${t}.pcap`);

      // Act
      const [fromText, fromCapture] = await Promise.all([scan(chunked(text, [1000])), scan(chunked(capture, []))]);

      // Assess: before, UNKNOWN_FORMAT (no line was a summary); tshark counts 4 over UDP and 0 over TCP
      expect([fromText.responses, fromText.byCode, fromText.anomalies]).toEqual([
        fromCapture.responses,
        fromCapture.byCode,
        fromCapture.anomalies,
      ]);
      expect(fromText.responses).toBe(t === 'udp' ? 4 : 0);
    },
  );

  it('says that the -A text of a tunnelled packet cannot be read, one anomaly a packet', async () => {
    // Prepare
    const text = readFixture('text/tcpdump-A-tunnels.txt');

    // Act
    const got = await scan(chunked(text, [777]));

    // Assess: the QinQ packet's SIP is read (its tags precede the IP header -A starts at); before, the 15 others were
    // nowhere in the result, then the MPLS and PPPoE ones were unrecognised text
    expect([got.responses, got.byCode, got.anomalies]).toEqual([1, { '183': 1 }, { 'unreadable-packet': 15 }]);
  });
});
