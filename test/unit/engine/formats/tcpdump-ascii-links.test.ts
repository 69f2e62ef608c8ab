import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv6Bytes } from '../../../../lambda/engine/formats/tcpdump-ascii/address-bytes.js';
import { formatIpv6 } from '../../../../lambda/engine/pcap/endpoint-names.js';
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

  it('tells the link type of a live -i any -XX dump by the IPv6 addresses, not by a version nibble alone', async () => {
    // Prepare: the UDP packets among packets 1,701-1,900 of a live `tcpdump -i any -nn -XX` (Linux cooked v2): the two
    // padding bytes of its 8-byte address field hold leftovers ("6b61", "7878", ...), so a byte 0x6X at offset 14, 16
    // or 18 read as an IPv6 header there (3 of these packets were lost). tshark on the same frames of the capture
    // taken beside it: 108 responses (its resends refer to earlier frames, outside the cut)
    const text = gunzipSync(readFixture('text/tcpdump-XX-any-live-slice.txt.gz'));

    // Act
    const r = await scanWhole(text);

    // Assess
    expect(r.formats).toEqual(['tcpdump-ascii']);
    expect(r.responses).toBe(108);
    expect(r.byMethod).toEqual({
      BYE: { '404': 4 },
      INVITE: { '100': 26, '180': 31, '200': 36, '486': 10, '503': 1 },
    });
    expect(r.anomalies).toEqual({});
    expect(r.unrecognizedBytes).toBe(0);
  });

  it('takes the NFLOG payload TLV padding after each packet for padding, as the capture reads', async () => {
    // Prepare: `tcpdump -A -nn -r` of test/fixtures/pcap/nflog.pcap: tcpdump prints the 1-3 NUL bytes that pad each
    // payload TLV as dots after the message; tshark on the capture: 6 responses, 7 requests
    const text = readFixture('text/tcpdump-A-nflog.txt');

    // Act
    const r = await scanWhole(text);

    // Assess
    expect(r.byMethod).toEqual({ BYE: { '200': 1 }, INVITE: { '180': 3, '200': 2 } });
    expect(r.requests).toBe(7);
    expect(r.anomalies['stream-garbage']).toBeUndefined();
  });

  it('reads back every IPv6 address from its printed text (RFC 5952, as tcpdump prints it)', () => {
    // Prepare: runs of zero groups of every length and place, and IPv4-mapped addresses
    const addresses = fc.sample(
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }),
      { numRuns: 2000, seed: 20261206 },
    );
    addresses.push([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1], [0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0]);

    // Act
    const misread = addresses.filter((groups) => {
      const bytes = Buffer.from(groups.flatMap((g) => [g >> 8, g & 0xff]));
      return JSON.stringify(ipv6Bytes(formatIpv6(bytes, 0))) !== JSON.stringify([...bytes]);
    });

    // Assess
    expect(misread).toEqual([]);
    expect(ipv6Bytes('pbx.example.com')).toBeUndefined();
    expect(ipv6Bytes('1::2::3')).toBeUndefined();
    expect(ipv6Bytes('1:2:3:4:5:6:7')).toBeUndefined();
  });

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
