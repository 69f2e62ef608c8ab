import { describe, expect, it } from 'vitest';
import { decodeIpv4, decodeIpv6, type IpPacket, newIpPacket } from '../../../../lambda/engine/pcap/ip.js';
import {
  countsOf,
  ethernet,
  IPV6_DEST_OPTIONS,
  ipv4,
  ipv6,
  NO_COUNTS,
  pcapFile,
  readCapture,
  udp,
} from '../../../support/pcap-builder.js';
import { response } from '../../../support/sip-samples.js';

const A = '192.0.2.1';
const B = '192.0.2.2';
const A6 = '2001:db8::1';
const B6 = '2001:db8::2';
const OK = response(200, 'OK', '1 OPTIONS', 'ip');

const decoded = (p: IpPacket): Record<string, unknown> => ({
  protocol: p.protocol,
  payloadStart: p.payloadStart,
  payloadEnd: p.payloadEnd,
  truncated: p.truncated,
  isFragment: p.isFragment,
});

describe('decodeIpv4', () => {
  it('ends the payload at Total Length, leaving link-layer padding out', () => {
    // Prepare: an 8-byte UDP header alone, padded to Ethernet's minimum
    const packet = Buffer.concat([ipv4(A, B, 17, Buffer.alloc(8)), Buffer.alloc(18)]);
    const out = newIpPacket();

    // Act
    const r = decodeIpv4(packet, 0, packet.length, out);

    // Assess
    expect([r, decoded(out)]).toEqual([
      'ok',
      { protocol: 17, payloadStart: 20, payloadEnd: 28, truncated: false, isFragment: false },
    ]);
  });

  it('takes the frame length when Total Length is 0 (a Linux TSO capture)', () => {
    // Prepare
    const packet = ipv4(A, B, 6, Buffer.alloc(100), { totalLength: 0 });
    const out = newIpPacket();

    // Act
    const r = decodeIpv4(packet, 0, packet.length, out);

    // Assess
    expect([r, out.payloadEnd]).toEqual(['ok', 120]);
  });

  it('marks a packet the capture cut as truncated', () => {
    // Prepare
    const packet = ipv4(A, B, 17, Buffer.alloc(100)).subarray(0, 60);
    const out = newIpPacket();

    // Act
    const r = decodeIpv4(packet, 0, packet.length, out);

    // Assess
    expect([r, out.truncated, out.payloadEnd]).toEqual(['ok', true, 60]);
  });

  it('rejects a header length below 20 bytes and a wrong version', () => {
    // Prepare
    const shortIhl = ipv4(A, B, 17, Buffer.alloc(8));
    shortIhl[0] = 0x44;
    const v6 = ipv6(A6, B6, 17, Buffer.alloc(8));

    // Act
    const results = [
      decodeIpv4(shortIhl, 0, shortIhl.length, newIpPacket()),
      decodeIpv4(v6, 0, v6.length, newIpPacket()),
    ];

    // Assess
    expect(results).toEqual(['malformed', 'malformed']);
  });
});

describe('decodeIpv6', () => {
  it('skips Hop-by-Hop, Routing and Destination Options headers to the upper layer', () => {
    // Prepare
    const hopByHop: readonly [number, Buffer] = [0, Buffer.from([0, 0, 1, 4, 0, 0, 0, 0])];
    const routing: readonly [number, Buffer] = [43, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, ...new Array(8).fill(0)])];
    const packet = ipv6(A6, B6, 17, Buffer.alloc(8), [hopByHop, routing, IPV6_DEST_OPTIONS]);
    const out = newIpPacket();

    // Act
    const r = decodeIpv6(packet, 0, packet.length, out);

    // Assess
    expect([r, decoded(out)]).toEqual([
      'ok',
      { protocol: 17, payloadStart: 40 + 8 + 16 + 8, payloadEnd: 80, truncated: false, isFragment: false },
    ]);
  });

  it('reads an atomic fragment (offset 0, M 0) as a whole packet (RFC 6946)', () => {
    // Prepare
    const packet = ipv6(A6, B6, 17, Buffer.alloc(8), [[44, Buffer.alloc(8)]]);
    const out = newIpPacket();

    // Act
    const r = decodeIpv6(packet, 0, packet.length, out);

    // Assess
    expect([r, decoded(out)]).toEqual([
      'ok',
      { protocol: 17, payloadStart: 48, payloadEnd: 56, truncated: false, isFragment: false },
    ]);
  });

  it('rejects an extension header that runs past the payload', () => {
    // Prepare: a Destination Options header claiming 16 bytes in an 8-byte payload
    const packet = ipv6(A6, B6, 17, Buffer.alloc(0), [[60, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0])]]);

    // Act
    const r = decodeIpv6(packet, 0, packet.length, newIpPacket());

    // Assess
    expect(r).toEqual('malformed');
  });
});

describe('IP in captures', () => {
  it('counts SIP over IPv4 with Ethernet padding and over IPv6 with extension headers', () => {
    // Prepare
    const file = pcapFile([
      { data: Buffer.concat([ethernet(ipv4(A, B, 17, udp(A, B, 5060, 5060, OK))), Buffer.alloc(4)]) },
      { data: ethernet(ipv6(A6, B6, 17, udp(A6, B6, 5060, 5060, OK), [IPV6_DEST_OPTIONS])) },
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess: the same response between different addresses: not a retransmission
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, responses: { OPTIONS: { '200': 2 } } });
  });

  it('counts malformed-packet for an IP header that does not fit an uncut frame', () => {
    // Prepare: an Ethernet frame whose IPv4 header is 10 bytes long
    const file = pcapFile([{ data: ethernet(Buffer.from([0x45, 0, 0, 10, 0, 0, 0, 0, 64, 17])) }]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(result.anomalies).toEqual({ 'malformed-packet': 1 });
  });
});
