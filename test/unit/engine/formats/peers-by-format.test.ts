import { describe, expect, it } from 'vitest';
import type { ClassCounts } from '../../../../lambda/engine/tally.js';
import { scanWhole } from '../../../support/collect.js';
import { ngrepPacket, pjsipRecord, sipdumpRecord, sippRecord } from '../../../support/log-formats.js';
import { response } from '../../../support/sip-samples.js';

// Each text format's own address lines, both directions: the peer of a response is its sender, and the host
// that wrote the log is `local` where the format says which side it is.
const NONE: ClassCounts = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
const busy = (n: number): string => response(486, 'Busy Here', '1 INVITE', `fmt-${n}@example.com`);
const unavailable = (n: number): string => response(503, 'Service Unavailable', '1 INVITE', `fmt-${n}@example.com`);

const byPeerOf = async (log: string): Promise<Record<string, ClassCounts>> => {
  const r = await scanWhole(Buffer.from(log, 'latin1'));
  return Object.fromEntries(Object.entries(r.byPeer).map(([peer, c]) => [peer, c.byClass]));
};

describe('the sender of a response in each text format', () => {
  it('Asterisk pjsip logger: "Received ... from" is the peer, "Transmitting ... to" is this host', async () => {
    // Prepare
    const log =
      pjsipRecord('in', 'UDP:203.0.113.9:5060', unavailable(1)) + pjsipRecord('out', 'UDP:198.51.100.20:5060', busy(2));
    // Act, Assess
    expect(await byPeerOf(log)).toEqual({ '203.0.113.9': { ...NONE, '5xx': 1 }, local: { ...NONE, '4xx': 1 } });
  });

  it('Kamailio sipdump: srcip of a received and of a sent record', async () => {
    // Prepare
    const log =
      sipdumpRecord('rcv', '203.0.113.9:5060', '192.0.2.1:5060', unavailable(1)) +
      sipdumpRecord('snd', '192.0.2.1:5060', '198.51.100.20:5060', busy(2));
    // Act, Assess
    expect(await byPeerOf(log)).toEqual({ '203.0.113.9': { ...NONE, '5xx': 1 }, '192.0.2.1': { ...NONE, '4xx': 1 } });
  });

  it('ngrep: the source of each packet, IPv4 and IPv6 (printed as ip:port without brackets)', async () => {
    // Prepare
    const log =
      'interface: any\nfilter: port 5060\n' +
      ngrepPacket('U', '203.0.113.9:5060', '192.0.2.1:5060', unavailable(1)) +
      ngrepPacket('U', '2001:db8::1:5060', '2001:db8::20:5060', busy(2));
    // Act, Assess
    expect(await byPeerOf(log)).toEqual({ '203.0.113.9': { ...NONE, '5xx': 1 }, '2001:db8::1': { ...NONE, '4xx': 1 } });
  });

  it('SIPp: a sent response is this host; a received one comes from a peer SIPp does not name', async () => {
    // Prepare
    const log = sippRecord('received', 'UDP', unavailable(1)) + sippRecord('sent', 'UDP', busy(2));
    // Act, Assess
    expect(await byPeerOf(log)).toEqual({ unknown: { ...NONE, '5xx': 1 }, local: { ...NONE, '4xx': 1 } });
  });
});

describe('headers one after another, the readers refilling their answers (MatchSlots)', () => {
  it('gives each message the sender of the header just before it, across formats and after a header with no message', async () => {
    // Prepare: pjsip, sipdump, ngrep and SIPp records interleaved; a pjsip header with nothing after it before
    // another pjsip record, whose message must not take the first header's peer
    const log =
      pjsipRecord('in', 'UDP:203.0.113.1:5060', unavailable(1)) +
      sipdumpRecord('rcv', '203.0.113.2:5060', '192.0.2.1:5060', busy(2)) +
      '<--- Received SIP response (0 bytes) from UDP:203.0.113.3:5060 --->\n' +
      pjsipRecord('in', 'UDP:203.0.113.4:5060', busy(3)) +
      ngrepPacket('U', '203.0.113.5:5060', '192.0.2.1:5060', unavailable(4)) +
      sippRecord('sent', 'UDP', busy(5)) +
      sipdumpRecord('rcv', '203.0.113.6:5060', '192.0.2.1:5060', unavailable(6)) +
      pjsipRecord('in', 'UDP:203.0.113.1:5060', busy(7));
    // Act, Assess
    expect(await byPeerOf(log)).toEqual({
      '203.0.113.1': { ...NONE, '4xx': 1, '5xx': 1 },
      '203.0.113.2': { ...NONE, '4xx': 1 },
      '203.0.113.4': { ...NONE, '4xx': 1 },
      '203.0.113.5': { ...NONE, '5xx': 1 },
      local: { ...NONE, '4xx': 1 },
      '203.0.113.6': { ...NONE, '5xx': 1 },
    });
  });
});
