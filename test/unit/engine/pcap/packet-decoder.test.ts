import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../support/collect.js';
import { ethernet, ipv4, pcapFile, readCapture, tcpPacket, udpPacket } from '../../../support/pcap-builder.js';
import { response } from '../../../support/sip-samples.js';

const A = '192.0.2.1';
const B = '192.0.2.2';

describe('PacketDecoder', () => {
  it('reports what the tcpdump fixture held besides SIP', () => {
    // Prepare
    const file = readFixture('pcap/loopback-ethernet-ns.pcap');

    // Act
    const { stats } = readCapture(file);

    // Assess: 4 UDP datagrams + 2 ICMP errors quoting UDP; 12 TCP segments (handshake, data, ACKs, FINs)
    expect(stats).toEqual({
      packets: 20,
      nonIpPackets: 0,
      udpDatagrams: 6,
      tcpSegments: 12,
      reassembledDatagrams: 0,
      quotedSipDatagrams: 2,
      tunneledPackets: 0,
    });
  });

  it('counts RTP and other non-SIP datagrams as unrecognised bytes only', () => {
    // Prepare: 50 RTP packets of 172 bytes, then a response
    const rtp = Buffer.concat([Buffer.from([0x80, 0x00, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4]), Buffer.alloc(160, 0xd5)]);
    const file = pcapFile([
      ...Array.from({ length: 50 }, () => ({ data: ethernet(udpPacket(A, B, 20000, 30000, rtp)) })),
      { data: ethernet(udpPacket(A, B, 5060, 5060, response(200, 'OK'))) },
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect([result.byCode, result.anomalies, result.unrecognizedBytes]).toEqual([{ '200': 1 }, {}, 50 * 172]);
  });

  it('counts malformed-packet for an IP total length longer than an uncut frame, and still reads what is there', () => {
    // Prepare
    const packet = ipv4(A, B, 17, udpPacket(A, B, 5060, 5060, response(200, 'OK')).subarray(20), {
      totalLength: 2000,
    });

    // Act
    const { result } = readCapture(pcapFile([{ data: ethernet(packet) }]));

    // Assess
    expect([result.byCode, result.anomalies]).toEqual([{ '200': 1 }, { 'malformed-packet': 1 }]);
  });

  it('sees a cut header in a frame the snaplen cut as expected, not malformed', () => {
    // Prepare: 30 of a TCP packet's bytes were captured
    const frame = ethernet(tcpPacket(A, B, 1, 2, 3, 0x18, 'data'));

    // Act
    const { result } = readCapture(pcapFile([{ data: frame.subarray(0, 30), originalLength: frame.length }]));

    // Assess
    expect(result.anomalies).toEqual({ 'truncated-capture': 1 });
  });
});
