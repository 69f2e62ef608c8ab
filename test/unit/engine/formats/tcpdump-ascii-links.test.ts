import { describe, expect, it } from 'vitest';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';

/**
 * tshark -r tcpdump-loopback.pcap -Y sip.Status-Code -T fields -e sip.Status-Code -e sip.CSeq.method (the same on its
 * DLT_NULL, Linux cooked v1/v2 and raw-IP conversions): UDP and TCP, IPv4.
 */
const LOOPBACK = {
  byCode: { '180': 4, '200': 11 },
  byMethod: { BYE: { '200': 4 }, INVITE: { '180': 4, '200': 4 }, NOTIFY: { '200': 2 }, OPTIONS: { '200': 1 } },
};
/** The same on frames 296-340 of mixed.pcap (converted likewise): UDP over IPv4 and IPv6, two TCP responses. */
const MIXED_CUT = {
  byCode: { '100': 6, '180': 6, '183': 2, '200': 4, '401': 2, '504': 2, '580': 1, '604': 2 },
  byMethod: {
    CANCEL: { '200': 1 },
    INVITE: { '100': 6, '180': 6, '183': 2, '504': 2, '580': 1, '604': 2 },
    OPTIONS: { '200': 1 },
    REGISTER: { '200': 2, '401': 2 },
  },
};
describe('tcpdump text of captures on other link types, and numbered packets', () => {
  it.each([
    // before: each fell back to the bare-SIP reader, which counted 113 of mixed.pcap's 1,834 responses
    ['tcpdump-A-e-null-loopback.txt', LOOPBACK],
    ['tcpdump-A-e-sll-loopback.txt', LOOPBACK],
    ['tcpdump-A-e-sll2-loopback.txt', LOOPBACK],
    ['tcpdump-A-e-raw-loopback.txt', LOOPBACK],
    ['tcpdump-A-number-loopback.txt', LOOPBACK],
    // before: 0 (the dump's IP header at offset 4 was not tried)
    ['tcpdump-XX-null-loopback.txt', LOOPBACK],
    ['tcpdump-A-e-v-null-mixedcut.txt', MIXED_CUT],
    ['tcpdump-A-e-number-raw-mixedcut.txt', MIXED_CUT],
    // -q prints "tcp N" for TCP; from a hex dump the packet is its bytes (before: every TCP packet skipped)
    ['tcpdump-X-q-loopback.txt', LOOPBACK],
    ['tcpdump-xx-e-q-sll-mixedcut.txt', MIXED_CUT],
    // -A -q: the TCP header's length from `tcp N` and the IP length field (before: the two TCP responses skipped)
    ['tcpdump-A-e-q-sll-mixedcut.txt', MIXED_CUT],
    ['tcpdump-A-e-q-sll2-mixedcut.txt', MIXED_CUT],
  ])('counts %s as tshark counts the capture it was printed from', async (name, truth) => {
    // Prepare
    const text = readFixture(`text/${name}`);

    // Act
    const r = await scanWhole(text);

    // Assess
    expect(r.formats).toEqual(['tcpdump-ascii']);
    expect({ byCode: r.byCode, byMethod: r.byMethod }).toEqual(truth);
    expect(r.unrecognizedBytes).toBe(0);
  });

  it.each(['tcpdump-A-e-sll2-loopback.txt', 'tcpdump-A-number-loopback.txt', 'tcpdump-XX-null-loopback.txt'])(
    'gives the same result for %s however it is chunked',
    async (name) => {
      // Prepare
      const text = readFixture(`text/${name}`);

      // Act
      const { whole, differing } = await replayAtRandomCuts(text, 5);

      // Assess
      expect(whole.responses).toBe(15);
      expect(differing).toEqual([]);
    },
  );

  it('counts the hex dump of a capture with snaplen-cut and lost TCP segments as tshark counts the capture', async () => {
    // Prepare: tcpdump -nn -X -r test/fixtures/pcap/tcp-cuts.pcap (see make-tcp-cuts.ts); tshark -Y sip.Status-Code:
    // 180 × 12, 183 × 5, 200, 203, 408, 409
    const text = readFixture('text/tcpdump-X-tcp-cuts.txt');

    // Act
    const r = await scanWhole(text);

    // Assess
    expect(r.formats).toEqual(['tcpdump-ascii']);
    expect(r.byCode).toEqual({ '180': 12, '183': 5, '200': 1, '203': 1, '408': 1, '409': 1 });
  });

  it.each([
    // tshark -Y sip.Status-Code on the pcap each was printed from (make-tcp-cuts.ts); before, the -A reader knew no
    // cut or lost segment and counted 180 × 12, 183, 202, 203, 407 to 412 on the first
    ['tcpdump-A-tcp-cuts.txt', { '180': 12, '183': 5, '200': 1, '203': 1, '408': 1, '409': 1 }],
    [
      'tcpdump-A-tcp-cuts-s200.txt',
      { '180': 12, '183': 5, '200': 1, '203': 1, '401': 1, '404': 1, '405': 1, '406': 1, '408': 1, '409': 1 },
    ],
  ])('counts the -A text %s of snaplen-cut and lost TCP segments as tshark counts the capture', async (name, codes) => {
    // Prepare
    const text = readFixture(`text/${name}`);

    // Act
    const { whole, differing } = await replayAtRandomCuts(text, 4);

    // Assess
    expect(whole.byCode).toEqual(codes);
    expect(differing).toEqual([]);
  });
});
