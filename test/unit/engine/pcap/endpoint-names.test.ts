import { describe, expect, it } from 'vitest';
import { EndpointNames, formatIpv6 } from '../../../../lambda/engine/pcap/endpoint-names.js';
import { addressBytes } from '../../../support/pcap-builder.js';

describe('formatIpv6', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80:0:0:0:0:0:0:abcd', 'fe80::abcd'],
    ['0:0:0:0:0:ffff:c000:201', '::ffff:192.0.2.1'],
  ];
  for (const [input, text] of cases) {
    it(`writes ${input} as ${text} (RFC 5952)`, () => {
      // Prepare
      const bytes = addressBytes(input);

      // Act
      const s = formatIpv6(bytes, 0);

      // Assess
      expect(s).toBe(text);
    });
  }
});

describe('EndpointNames', () => {
  it('names IPv4 and IPv6 endpoints and returns the cached string on the next packet', () => {
    // Prepare
    const names = new EndpointNames();
    const v4 = addressBytes('192.0.2.10');
    const v6 = addressBytes('2001:db8::7');

    // Act
    const first = [names.ipv4(v4, 0, 5060), names.ipv6(v6, 0, 5061)];
    const again = [names.ipv4(Buffer.from(v4), 0, 5060), names.ipv6(Buffer.from(v6), 0, 5061)];

    // Assess
    expect(first).toEqual(['192.0.2.10:5060', '[2001:db8::7]:5061']);
    expect(again[0]).toBe(first[0]);
    expect(again[1]).toBe(first[1]);
  });
});
