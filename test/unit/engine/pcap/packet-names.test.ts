import { describe, expect, it } from 'vitest';
import { PACKET_NAME_SLOTS, PacketNames } from '../../../../lambda/engine/pcap/packet-names.js';
import { addressBytes } from '../../../support/pcap-builder.js';

/** An IPv4 source and destination address back to back, as in an IPv4 header. */
const pair = (src: string, dst: string): Buffer => Buffer.concat([addressBytes(src), addressBytes(dst)]);

describe('PacketNames', () => {
  it('names both IPv4 endpoints and the direction, and returns the same strings for the next packet', () => {
    // Prepare
    const names = new PacketNames();
    const addrs = pair('192.0.2.10', '198.51.100.200');

    // Act
    names.ipv4(addrs, 0, 5060, 40000);
    const first = [names.src, names.dst, names.flow()];
    names.ipv4(Buffer.from(addrs), 0, 5060, 40000);
    const again = [names.src, names.dst, names.flow()];

    // Assess
    expect(first).toEqual(['192.0.2.10:5060', '198.51.100.200:40000', '192.0.2.10:5060>198.51.100.200:40000']);
    expect(again[2]).toBe(first[2]);
  });

  it('tells apart 4-tuples that differ only by direction, port or an address with the sign bit set', () => {
    // Prepare
    const names = new PacketNames();
    const ab = pair('203.0.113.1', '203.0.113.2');
    const ba = pair('203.0.113.2', '203.0.113.1');
    const high = pair('255.255.255.254', '128.0.0.1');
    const flows: string[] = [];

    // Act
    for (const [buf, sp, dp] of [
      [ab, 5060, 5062],
      [ba, 5062, 5060],
      [ab, 5062, 5060],
      [high, 65535, 0],
      [ab, 5060, 5062],
    ] as const) {
      names.ipv4(buf, 0, sp, dp);
      flows.push(names.flow());
    }

    // Assess
    expect(flows).toEqual([
      '203.0.113.1:5060>203.0.113.2:5062',
      '203.0.113.2:5062>203.0.113.1:5060',
      '203.0.113.1:5062>203.0.113.2:5060',
      '255.255.255.254:65535>128.0.0.1:0',
      '203.0.113.1:5060>203.0.113.2:5062',
    ]);
  });

  it('names every packet right after the table has started over (more 4-tuples than slots)', () => {
    // Prepare: 10.x.y.z to one server, twice the table's size of distinct sources
    const names = new PacketNames();
    const buf = pair('10.0.0.0', '192.0.2.1');
    const count = PACKET_NAME_SLOTS * 2;
    let wrong = 0;

    // Act: every source twice, the second pass after the first one filled the table several times over
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < count; i++) {
        buf.writeUInt32BE(0x0a000000 + i, 0);
        names.ipv4(buf, 0, 5060 + (i % 3), 5060);
        const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${5060 + (i % 3)}`;
        if (names.src !== src || names.dst !== '192.0.2.1:5060' || names.flow() !== `${src}>192.0.2.1:5060`) wrong++;
      }
    }

    // Assess
    expect(wrong).toBe(0);
  });

  it('names IPv6 endpoints in RFC 5952 form with brackets', () => {
    // Prepare
    const names = new PacketNames();
    const addrs = Buffer.concat([addressBytes('2001:db8::1'), addressBytes('2001:db8::2')]);
    names.ipv4(pair('192.0.2.1', '192.0.2.2'), 0, 1, 2);

    // Act: an IPv6 packet right after an IPv4 one
    names.ipv6(addrs, 0, 5060, 5061);

    // Assess
    expect([names.src, names.dst, names.flow()]).toEqual([
      '[2001:db8::1]:5060',
      '[2001:db8::2]:5061',
      '[2001:db8::1]:5060>[2001:db8::2]:5061',
    ]);
  });
});
