import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../support/collect.js';
import { ethernet, ipv4, pcapFile, readCapture, udpPacket } from '../../../support/pcap-builder.js';
import { response } from '../../../support/sip-samples.js';

/** tshark's reading of tunnels.pcap, committed beside it so that CI needs no tshark. */
interface TsharkTruth {
  readonly responses: readonly { readonly frame: number; readonly statusCode: number; readonly resend: boolean }[];
}

const truth = JSON.parse(readFixture('pcap/tunnels.tshark.json').toString('utf8')) as TsharkTruth;

/** tshark's responses by status code, resends included as in our byCode (all are INVITE responses). */
const tsharkByCode = (): Record<string, number> => {
  const byCode: Record<string, number> = {};
  for (const r of truth.responses) {
    byCode[String(r.statusCode)] = (byCode[String(r.statusCode)] ?? 0) + 1;
  }
  return byCode;
};

describe('tunnels and encapsulations', () => {
  it('counts every response tshark sees inside IP-in-IP, GRE, ERSPAN, VXLAN, Geneve, MPLS, PPPoE and QinQ', () => {
    // Prepare
    const file = readFixture('pcap/tunnels.pcap');

    // Act
    const { result, stats } = readCapture(file);

    // Assess: 16 frames, one response each; frame 16 is resent as frame 17
    expect(truth.responses.length).toBe(16);
    expect([result.byCode, result.retransmissions.responses, result.anomalies]).toEqual([
      tsharkByCode(),
      truth.responses.filter((r) => r.resend).length,
      {},
    ]);
    // 11 frames carry one tunnel, the two GRE -> VXLAN frames two; MPLS, PPPoE and QinQ are link layers
    expect(stats.tunneledPackets).toBe(15);
  });

  it('gives the same counts at every chunk size', () => {
    // Prepare
    const file = readFixture('pcap/tunnels.pcap');
    const expected = readCapture(file).result.byCode;

    // Act
    const seen = [1, 7, 64, 333, 1500, 4096].map((size) => readCapture(file, size).result.byCode);

    // Assess
    expect(seen).toEqual(Array.from({ length: 6 }, () => expected));
  });

  it('still counts SIP sent to the VXLAN port when it is not VXLAN', () => {
    // Prepare: 'S' (0x53) lacks VXLAN's I flag (0x08)
    const file = pcapFile([{ data: ethernet(udpPacket('192.0.2.1', '192.0.2.2', 5060, 4789, response(200, 'OK'))) }]);

    // Act
    const { result, stats } = readCapture(file);

    // Assess
    expect([result.byCode, result.anomalies, stats.tunneledPackets]).toEqual([{ '200': 1 }, {}, 0]);
  });

  it('counts a tunnel nested deeper than eight levels as a malformed packet', () => {
    // Prepare: ten IPv4-in-IPv4 layers around a response
    let packet = udpPacket('192.0.2.1', '192.0.2.2', 5060, 5060, response(200, 'OK'));
    for (let i = 0; i < 10; i++) packet = ipv4('198.51.100.1', '198.51.100.2', 4, packet);

    // Act
    const { result, stats } = readCapture(pcapFile([{ data: ethernet(packet) }]));

    // Assess
    expect([result.byCode, result.anomalies, stats.tunneledPackets]).toEqual([{}, { 'malformed-packet': 1 }, 8]);
  });
});
