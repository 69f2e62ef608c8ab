import { describe, expect, it } from 'vitest';
import { ipToBigInt, NO_PEER_NAMES, type PeerMap, parsePeerMap, splitAddress } from '../../../lambda/engine/peers.js';

const mapOf = (spec: unknown): PeerMap => {
  const m = parsePeerMap(spec);
  if ('problems' in m) throw new Error(m.problems.join('; '));
  return m;
};

describe('peer map', () => {
  it('names senders by CIDR, by IP and by IP:port, the most specific rule first', () => {
    // Prepare
    const peers = mapOf({
      'carrier-a': ['203.0.113.0/24'],
      'carrier-a-sbc2': ['203.0.113.7:5080'],
      pbx: ['192.0.2.10'],
      'v6-trunk': ['2001:db8:1::/48'],
    });

    // Act / Assess
    expect(peers.nameOf('203.0.113.7:5060')).toBe('carrier-a');
    expect(peers.nameOf('203.0.113.7:5080')).toBe('carrier-a-sbc2');
    expect(peers.nameOf('192.0.2.10:5060')).toBe('pbx');
    expect(peers.nameOf('192.0.2.11:5060')).toBe('192.0.2.11');
    expect(peers.nameOf('[2001:db8:1:ffff::1]:5060')).toBe('v6-trunk');
    expect(peers.nameOf('[2001:db8:2::1]:5060')).toBe('2001:db8:2::1');
    expect(peers.nameOf('local')).toBe('local');
    expect(peers.nameOf(undefined)).toBe('unknown');
    expect(peers.nameOf('remote')).toBe('unknown');
    expect(peers.names).toEqual(['carrier-a', 'carrier-a-sbc2', 'pbx', 'v6-trunk']);
  });

  it('keys an address outside any map by its IP without the port', () => {
    expect(NO_PEER_NAMES.nameOf('10.0.0.1:5060')).toBe('10.0.0.1');
    expect(NO_PEER_NAMES.nameOf('[::1]:5060')).toBe('::1');
  });

  it('reads IPv4-mapped and compressed IPv6 addresses as the same number', () => {
    expect(ipToBigInt('::ffff:192.0.2.1')?.value).toBe(0xffffc0000201n);
    expect(ipToBigInt('2001:db8::1')?.value).toBe(ipToBigInt('2001:0db8:0:0:0:0:0:1')?.value);
    expect(splitAddress('[::1]:5060')).toEqual({ ip: '::1', port: 5060 });
    expect(splitAddress('::1')).toEqual({ ip: '::1' });
  });

  it('lists every problem of a bad map at once', () => {
    // Act
    const m = parsePeerMap({ local: ['10.0.0.1'], a: ['10.0.0.0/33', 'nope', 7], b: [] });

    // Assess
    expect(m).toEqual({
      problems: [
        'peer name "local" is reserved',
        'peer "a": "10.0.0.0/33" is not a CIDR block',
        'peer "a": "nope" is not an IP address, IP:port or CIDR block',
        'peer "a": 7 is not a string',
        'peer "b": needs a non-empty list of addresses',
      ],
    });
  });
});
