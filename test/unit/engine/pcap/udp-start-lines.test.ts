import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../support/collect.js';
import { readCapture } from '../../../support/pcap-builder.js';

/** tshark's reading of udp-start-lines.pcap, committed beside it so that CI needs no tshark. */
interface TsharkTruth {
  readonly responses: readonly { readonly frame: number; readonly statusCode: number }[];
}

describe('status-line variants in UDP datagrams (udp-start-lines.pcap, one datagram per variant)', () => {
  it('counts the responses tshark counts and no other', () => {
    // Prepare: twelve variants (see make-udp-start-lines.ts); tshark dissects an empty reason phrase after the SP,
    // any port and LF line ends, but nothing before the status line, no lower case, no extra space or tab, no
    // status line without the SP after its code, no four-digit code, no other SIP version
    const truth = JSON.parse(readFixture('pcap/udp-start-lines.tshark.json').toString('utf8')) as TsharkTruth;
    const file = readFixture('pcap/udp-start-lines.pcap');

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(truth.responses.map((r) => r.statusCode)).toEqual([256, 257, 258, 263]);
    expect(result.byCode).toEqual({ '256': 1, '257': 1, '258': 1, '263': 1 });
    // the three that begin "SIP/2.0 " but break after it are said (the others are not SIP at all)
    expect(result.anomalies).toEqual({ 'truncated-status-line': 3 });
  });
});
