import { describe, expect, it } from 'vitest';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';

/** What unix2dos makes of a text: every LF preceded by a CR. */
const toCrlf = (text: Buffer): Buffer => Buffer.from(text.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');

/** tshark's counts of the capture each text was printed from (tcpdump-loopback.pcap, or its conversions). */
const LOOPBACK = { '180': 4, '200': 11 };
/** tshark on tcpdump-crafted.pcap (a packet holding 100 and 180, one holding two 200s). */
const CRAFTED = { '100': 1, '180': 3, '200': 6 };

describe('tcpdump text converted to CRLF line ends', () => {
  it.each([
    // before: tcpdump -A of mixed.pcap converted to CRLF counted 1,465 of its 1,834 responses
    ['tcpdump-A-loopback.txt', LOOPBACK],
    ['tcpdump-A-tttt-loopback.txt', LOOPBACK],
    ['tcpdump-A-names-loopback.txt', LOOPBACK],
    ['tcpdump-A-e-sll2-loopback.txt', LOOPBACK],
    ['tcpdump-A-number-loopback.txt', LOOPBACK],
    ['tcpdump-xx-loopback.txt', LOOPBACK],
    ['tcpdump-XX-null-loopback.txt', LOOPBACK],
    ['tcpdump-A-crafted.txt', CRAFTED],
    ['tcpdump-A-vv-crafted.txt', CRAFTED],
    ['tcpdump-A-e-vv-crafted.txt', CRAFTED],
    ['tcpdump-X-crafted.txt', CRAFTED],
  ])('counts %s with CRLF line ends as with LF', async (name, byCode) => {
    // Prepare
    const lf = readFixture(`text/${name}`);
    const crlf = toCrlf(lf);

    // Act
    const fromLf = await scanWhole(lf);
    const fromCrlf = await scanWhole(crlf);

    // Assess
    expect(fromLf.byCode).toEqual(byCode);
    expect(fromCrlf.formats).toEqual(['tcpdump-ascii']);
    expect(fromCrlf.byCode).toEqual(byCode);
    expect(fromCrlf.byMethod).toEqual(fromLf.byMethod);
    expect(fromCrlf.retransmissions).toEqual(fromLf.retransmissions);
    expect(fromCrlf.unrecognizedBytes).toBe(0);
  });

  it('gives the same result for a CRLF text however it is chunked', async () => {
    // Prepare
    const text = toCrlf(readFixture('text/tcpdump-A-crafted.txt'));

    // Act
    const { whole, differing } = await replayAtRandomCuts(text, 5);

    // Assess
    expect(whole.responses).toBe(10);
    expect(differing).toEqual([]);
  });
});
