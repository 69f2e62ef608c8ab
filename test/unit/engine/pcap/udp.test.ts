import { describe, expect, it } from 'vitest';
import { decodeUdp, newUdpDatagram } from '../../../../lambda/engine/pcap/udp.js';
import { countsOf, ethernet, ipv4, NO_COUNTS, pcapFile, readCapture, udp } from '../../../support/pcap-builder.js';
import { response } from '../../../support/sip-samples.js';

const A = '192.0.2.1';
const B = '192.0.2.2';

describe('decodeUdp', () => {
  it('reads the ports and ends the payload at the Length field', () => {
    // Prepare: a datagram followed by 6 stray bytes
    const buf = Buffer.concat([udp(A, B, 5060, 5080, 'hello'), Buffer.alloc(6)]);
    const out = newUdpDatagram();

    // Act
    const ok = decodeUdp(buf, 0, buf.length, out);

    // Assess
    expect([ok, out]).toEqual([
      true,
      { srcPort: 5060, dstPort: 5080, payloadStart: 8, payloadEnd: 13, truncated: false },
    ]);
  });

  it('marks a datagram whose Length runs past the captured bytes as truncated', () => {
    // Prepare
    const buf = udp(A, B, 1, 2, 'x'.repeat(100)).subarray(0, 50);
    const out = newUdpDatagram();

    // Act
    const ok = decodeUdp(buf, 0, buf.length, out);

    // Assess
    expect([ok, out.truncated, out.payloadEnd]).toEqual([true, true, 50]);
  });

  it('rejects a Length below the 8-byte header and a header that does not fit', () => {
    // Prepare
    const bad = udp(A, B, 1, 2, 'x');
    bad.writeUInt16BE(4, 4);

    // Act
    const results = [decodeUdp(bad, 0, bad.length, newUdpDatagram()), decodeUdp(bad, 0, 7, newUdpDatagram())];

    // Assess
    expect(results).toEqual([false, false]);
  });
});

describe('UDP in captures', () => {
  it('counts malformed-packet for a UDP header cut short in an uncut frame', () => {
    // Prepare
    const file = pcapFile([{ data: ethernet(ipv4(A, B, 17, Buffer.alloc(5))) }]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(result.anomalies).toEqual({ 'malformed-packet': 1 });
  });

  it('counts a response on any port pair', () => {
    // Prepare
    const file = pcapFile([{ data: ethernet(ipv4(A, B, 17, udp(A, B, 33333, 44444, response(486, 'Busy Here')))) }]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, responses: { INVITE: { '486': 1 } } });
  });
});
