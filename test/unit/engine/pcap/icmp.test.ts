import { describe, expect, it } from 'vitest';
import { quotedPacketStart } from '../../../../lambda/engine/pcap/icmp.js';
import {
  countsOf,
  ethernet,
  ipv4,
  ipv6,
  NO_COUNTS,
  pcapFile,
  readCapture,
  udpPacket,
} from '../../../support/pcap-builder.js';
import { sipMessage } from '../../../support/sip-samples.js';

const A = '127.0.0.1';
const A6 = '::1';
const OPTIONS = sipMessage('OPTIONS sip:nobody@127.0.0.1:39999 SIP/2.0', [
  'Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1',
  'From: <sip:a@127.0.0.1>;tag=1',
  'To: <sip:nobody@127.0.0.1>',
  'Call-ID: quoted@test',
  'CSeq: 7 OPTIONS',
]);

/** An ICMP (v4) or ICMPv6 Destination Unreachable / Port Unreachable quoting `packet`. */
const portUnreachable = (packet: Buffer): Buffer => {
  const v6 = (packet[0] ?? 0) >> 4 === 6;
  const icmp = Buffer.concat([Buffer.from(v6 ? [1, 4, 0, 0, 0, 0, 0, 0] : [3, 3, 0, 0, 0, 0, 0, 0]), packet]);
  return v6 ? ipv6(A6, A6, 58, icmp) : ipv4(A, A, 1, icmp);
};

describe('quotedPacketStart', () => {
  it('finds the quoted packet of error messages only', () => {
    // Prepare
    const unreachable = Buffer.from([3, 3, 0, 0, 0, 0, 0, 0, 0x45]);
    const echo = Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 0x45]);
    const tooBig = Buffer.from([2, 0, 0, 0, 0, 0, 5, 0, 0x60]);

    // Act
    const found = [
      quotedPacketStart(4, unreachable, 0, unreachable.length),
      quotedPacketStart(4, echo, 0, echo.length),
      quotedPacketStart(6, tooBig, 0, tooBig.length),
    ];

    // Assess
    expect(found).toEqual([8, -1, 8]);
  });
});

describe('SIP quoted in ICMP errors', () => {
  it('counts quoted messages as tshark does: never a resend, and never making the next one look like one', () => {
    // Prepare: the sequence of the fixtures (request, ICMP quoting it, the same request again, ICMP)
    const request = udpPacket(A, A, 40000, 39999, OPTIONS);
    const request6 = udpPacket(A6, A6, 40000, 39999, OPTIONS);
    const file = pcapFile(
      [request, portUnreachable(request), request, portUnreachable(request), request6, portUnreachable(request6)].map(
        (p) => ({ data: ethernet(p) }),
      ),
    );

    // Act
    const { result, stats } = readCapture(file);

    // Assess: 6 requests; only the third packet is a resend (of the first)
    expect([countsOf(result), stats.quotedSipDatagrams]).toEqual([
      { ...NO_COUNTS, requests: { OPTIONS: 6 }, retransmissions: { requests: 1, responses: 0 } },
      3,
    ]);
  });

  it('counts a quote cut to 576 bytes (RFC 1812) without an anomaly', () => {
    // Prepare
    const big = sipMessage(
      'MESSAGE sip:b@127.0.0.1 SIP/2.0',
      ['Call-ID: big@test', 'CSeq: 1 MESSAGE'],
      'x'.repeat(2000),
    );
    const request = udpPacket(A, A, 40000, 39999, big);
    // the router quotes as much as fits in 576 bytes: 20 (IP) + 8 (ICMP) + 548 of the request
    const icmp = portUnreachable(request.subarray(0, 548));

    // Act
    const { result } = readCapture(pcapFile([{ data: ethernet(icmp) }]));

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, requests: { MESSAGE: 1 } });
  });
});
