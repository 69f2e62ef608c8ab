import { describe, expect, it } from 'vitest';
import { findNetworkLayer, LINKTYPE, type NetworkLayer } from '../../../../lambda/engine/pcap/link-layer.js';
import { readFixture, scanWhole } from '../../../support/collect.js';
import {
  countsOf,
  ethernet,
  loopback,
  pcapFile,
  readCapture,
  SEND_SIP_FIXTURE_COUNTS,
  sll,
  sll2,
  udpPacket,
} from '../../../support/pcap-builder.js';
import { response } from '../../../support/sip-samples.js';

const V4 = udpPacket('192.0.2.1', '192.0.2.2', 5060, 5060, response(200, 'OK', '1 OPTIONS', 'v4'));
const V6 = udpPacket('2001:db8::1', '2001:db8::2', 5060, 5060, response(200, 'OK', '1 OPTIONS', 'v6'));
const AF_INET = 2;
const AF_INET6_DARWIN = 30;
const AF_INET6_LINUX = 10;

/**
 * An NFLOG frame (LINKTYPE_NFLOG): family, version, resource id, then TLVs in the capturing host's byte order, each
 * padded to four bytes: a NFULA_PACKET_HDR (type 1), a NFULA_PREFIX with an odd length, then NFULA_PAYLOAD (type 9).
 */
const nflog = (ip: Buffer, littleEndian: boolean): Buffer => {
  const tlv = (type: number, value: Buffer): Buffer => {
    const head = Buffer.alloc(4);
    if (littleEndian) {
      head.writeUInt16LE(4 + value.length, 0);
      head.writeUInt16LE(type, 2);
    } else {
      head.writeUInt16BE(4 + value.length, 0);
      head.writeUInt16BE(type, 2);
    }
    return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
  };
  return Buffer.concat([
    Buffer.from([2, 0, 0, 5]),
    tlv(1, Buffer.from([0x08, 0x00, 3, 0])),
    tlv(10, Buffer.from('sip\0', 'latin1').subarray(0, 3)),
    tlv(9, ip),
  ]);
};

/** Where findNetworkLayer puts the IP header of `frame`. */
const locate = (linkType: number, frame: Buffer): NetworkLayer => {
  const out: NetworkLayer = { kind: 'other', start: -1 };
  findNetworkLayer(linkType, frame, 0, frame.length, out);
  return out;
};

describe('findNetworkLayer', () => {
  const cases: readonly (readonly [string, number, Buffer, NetworkLayer])[] = [
    ['Ethernet', LINKTYPE.ETHERNET, ethernet(V4), { kind: 'ipv4', start: 14 }],
    ['Ethernet with an 802.1Q tag', LINKTYPE.ETHERNET, ethernet(V6, [[0x8100, 7]]), { kind: 'ipv6', start: 18 }],
    [
      'Ethernet with 802.1ad QinQ tags',
      LINKTYPE.ETHERNET,
      ethernet(V4, [
        [0x88a8, 100],
        [0x8100, 200],
      ]),
      { kind: 'ipv4', start: 22 },
    ],
    [
      '802.3 with an LLC/SNAP header',
      LINKTYPE.ETHERNET,
      ethernet(Buffer.concat([Buffer.from([0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00]), V4]), [], 8 + V4.length),
      { kind: 'ipv4', start: 22 },
    ],
    ['Linux cooked v1', LINKTYPE.LINUX_SLL, sll(V4), { kind: 'ipv4', start: 16 }],
    ['Linux cooked v2', LINKTYPE.LINUX_SLL2, sll2(V6), { kind: 'ipv6', start: 20 }],
    ['BSD null, little-endian', LINKTYPE.NULL, loopback(V4, AF_INET, true), { kind: 'ipv4', start: 4 }],
    ['BSD null, big-endian', LINKTYPE.NULL, loopback(V6, AF_INET6_DARWIN, false), { kind: 'ipv6', start: 4 }],
    ['OpenBSD loop', LINKTYPE.LOOP, loopback(V6, AF_INET6_LINUX, false), { kind: 'ipv6', start: 4 }],
    ['raw IP (101), version 4', LINKTYPE.RAW, V4, { kind: 'ipv4', start: 0 }],
    ['raw IP (101), version 6', LINKTYPE.RAW, V6, { kind: 'ipv6', start: 0 }],
    ['raw IP (12)', LINKTYPE.RAW_DLT12, V4, { kind: 'ipv4', start: 0 }],
    ['raw IP (14)', LINKTYPE.RAW_DLT14, V6, { kind: 'ipv6', start: 0 }],
    ['IPv4 (228)', LINKTYPE.IPV4, V4, { kind: 'ipv4', start: 0 }],
    ['IPv6 (229)', LINKTYPE.IPV6, V6, { kind: 'ipv6', start: 0 }],
    ['NFLOG, little-endian TLVs', LINKTYPE.NFLOG, nflog(V4, true), { kind: 'ipv4', start: 4 + 8 + 8 + 4 }],
    ['NFLOG, big-endian TLVs', LINKTYPE.NFLOG, nflog(V6, false), { kind: 'ipv6', start: 4 + 8 + 8 + 4 }],
    [
      'NFLOG without a payload',
      LINKTYPE.NFLOG,
      Buffer.from([2, 0, 0, 5, 8, 0, 1, 0, 8, 0, 3, 0]),
      { kind: 'other', start: 0 },
    ],
    ['ARP over Ethernet', LINKTYPE.ETHERNET, ethernet(Buffer.alloc(28), [], 0x0806), { kind: 'other', start: 0 }],
    ['a frame shorter than its Ethernet header', LINKTYPE.ETHERNET, Buffer.alloc(10), { kind: 'other', start: 0 }],
  ];
  for (const [name, linkType, frame, expected] of cases) {
    it(`finds the network layer of ${name}`, () => {
      // Prepare (the table above)

      // Act
      const found = locate(linkType, frame);

      // Assess
      expect(found).toEqual(expected);
    });
  }
});

describe('link types in captures', () => {
  it('counts one response per supported link type', () => {
    // Prepare: one capture per link type, each holding one 200
    const files = [
      pcapFile([{ data: ethernet(V4, [[0x8100, 5]]) }], { linkType: LINKTYPE.ETHERNET }),
      pcapFile([{ data: sll(V6) }], { linkType: LINKTYPE.LINUX_SLL }),
      pcapFile([{ data: sll2(V4) }], { linkType: LINKTYPE.LINUX_SLL2 }),
      pcapFile([{ data: loopback(V4, AF_INET, true) }], { linkType: LINKTYPE.NULL }),
      pcapFile([{ data: loopback(V6, AF_INET6_LINUX, false) }], { linkType: LINKTYPE.LOOP }),
      pcapFile([{ data: V6 }], { linkType: LINKTYPE.RAW }),
      pcapFile([{ data: V4 }], { linkType: LINKTYPE.IPV4 }),
      pcapFile([{ data: V6 }], { linkType: LINKTYPE.IPV6 }),
      pcapFile([{ data: V4 }], { linkType: LINKTYPE.RAW_DLT12 }),
    ];

    // Act
    const codes = files.map((f) => readCapture(f).result.byCode);

    // Assess
    expect(codes).toEqual(files.map(() => ({ '200': 1 })));
  });

  it('counts unsupported-link-type once per interface and skips its packets', () => {
    // Prepare: LINKTYPE_USER0 (147)
    const file = pcapFile([{ data: V4 }, { data: V4 }, { data: V4 }], { linkType: 147 });

    // Act
    const { result, stats } = readCapture(file);

    // Assess
    expect([result.messages, result.anomalies, stats.packets]).toEqual([0, { 'unsupported-link-type': 1 }, 3]);
  });

  it('skips non-IP frames without an anomaly', () => {
    // Prepare: ARP, LLDP, then a SIP response
    const file = pcapFile([
      { data: ethernet(Buffer.alloc(28), [], 0x0806) },
      { data: ethernet(Buffer.alloc(40), [], 0x88cc) },
      { data: ethernet(V4) },
    ]);

    // Act
    const { result, stats } = readCapture(file);

    // Assess
    expect([result.byCode, result.anomalies, stats.nonIpPackets]).toEqual([{ '200': 1 }, {}, 2]);
  });

  for (const [file, linkType] of [
    ['any-sll.pcap', 'cooked v1'],
    ['any-sll2.pcap', 'cooked v2'],
  ] as const) {
    it(`counts the tcpdump -i any fixture in Linux ${linkType} as tshark does`, () => {
      // Prepare
      const capture = readFixture(`pcap/${file}`);

      // Act
      const { result } = readCapture(capture);

      // Assess (test/fixtures/pcap/README.md)
      expect(countsOf(result)).toEqual(SEND_SIP_FIXTURE_COUNTS);
    });
  }
});

describe('an NFLOG capture (tcpdump -i nflog:5)', () => {
  it.each(['nflog.pcap', 'nflog.pcapng'])('counts %s as tshark counts it', async (name) => {
    // Prepare: 20 frames of a fresh capture of an nftables `log group 5` rule on SIPp traffic (UDP over IPv6, TCP
    // over IPv4; test/fixtures/pcap/README.md). tshark: 6 responses, 7 requests
    const capture = readFixture(`pcap/${name}`);

    // Act
    const r = await scanWhole(capture);

    // Assess
    expect(r.byMethod).toEqual({ BYE: { '200': 1 }, INVITE: { '180': 3, '200': 2 } });
    expect(r.requests).toBe(7);
    expect(r.anomalies['unsupported-link-type']).toBeUndefined();
  });
});
