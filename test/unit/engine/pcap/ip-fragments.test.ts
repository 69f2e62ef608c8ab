import { describe, expect, it } from 'vitest';
import { FRAGMENT_TIMEOUT_MS } from '../../../../lambda/engine/pcap/ip-fragments.js';
import { readFixture, scanWhole } from '../../../support/collect.js';
import {
  type CapturedPacket,
  countsOf,
  ethernet,
  ipv4Fragments,
  ipv6Fragments,
  NO_COUNTS,
  pcapFile,
  readCapture,
  udp,
} from '../../../support/pcap-builder.js';
import { invite } from '../../../support/sip-samples.js';

const A = '192.0.2.1';
const B = '192.0.2.2';
const A6 = '2001:db8::1';
const B6 = '2001:db8::2';
const T0 = 1_700_000_000_000;

/** An INVITE with a 3000-byte SDP attribute: about four 1000-byte fragments. */
const bigInvite = (callId: string): string => {
  const base = invite(callId);
  const extra = `a=x-filler:${'y'.repeat(3000)}\r\n`;
  const body = base.slice(base.indexOf('\r\n\r\n') + 4) + extra;
  const head = base.slice(0, base.indexOf('\r\n\r\n')).replace(/Content-Length: \d+/, `Content-Length: ${body.length}`);
  return `${head}\r\n\r\n${body}`;
};
const frames = (packets: readonly Buffer[], t = T0): CapturedPacket[] =>
  packets.map((p, i) => ({ data: ethernet(p), timeMs: t + i }));
const ONE_INVITE = { ...NO_COUNTS, requests: { INVITE: 1 } };

describe('IP fragment reassembly', () => {
  it('reassembles an IPv4 datagram and counts its SIP message once', () => {
    // Prepare
    const fragments = ipv4Fragments(A, B, 17, udp(A, B, 5060, 5060, bigInvite('f4')), 1000);

    // Act
    const { result, stats } = readCapture(pcapFile(frames(fragments)));

    // Assess
    expect([countsOf(result), fragments.length, stats.reassembledDatagrams]).toEqual([ONE_INVITE, 4, 1]);
  });

  it('reassembles IPv4 fragments that arrive in reverse order, with a duplicate', () => {
    // Prepare
    const fragments = ipv4Fragments(A, B, 17, udp(A, B, 5060, 5060, bigInvite('r4')), 1000);
    const shuffled = [...fragments].reverse();
    const first = shuffled[0];
    if (first === undefined) throw new Error('no fragments');

    // Act
    const { result } = readCapture(pcapFile(frames([first, ...shuffled])));

    // Assess
    expect(countsOf(result)).toEqual(ONE_INVITE);
  });

  it('reassembles an IPv6 datagram from its Fragment headers', () => {
    // Prepare
    const fragments = ipv6Fragments(A6, B6, 17, udp(A6, B6, 5060, 5060, bigInvite('f6')), 1000);

    // Act
    const { result } = readCapture(pcapFile(frames(fragments)));

    // Assess
    expect(countsOf(result)).toEqual(ONE_INVITE);
  });

  it('counts ip-fragment-incomplete at the end for a datagram that lost a fragment', () => {
    // Prepare
    const fragments = ipv4Fragments(A, B, 17, udp(A, B, 5060, 5060, bigInvite('lost')), 1000);
    const withoutSecond = fragments.filter((_, i) => i !== 1);

    // Act
    const { result } = readCapture(pcapFile(frames(withoutSecond)));

    // Assess
    expect(countsOf(result)).toEqual({ ...ONE_INVITE, requests: {}, anomalies: { 'ip-fragment-incomplete': 1 } });
  });

  it('gives up on a datagram whose fragments stopped coming for longer than the reassembly timeout', () => {
    // Prepare: the first fragment, then a whole datagram much later, then the rest of the first
    const stale = ipv4Fragments(A, B, 17, udp(A, B, 5060, 5060, bigInvite('stale')), 1000, 1);
    const fresh = ipv4Fragments(A, B, 17, udp(A, B, 5060, 5060, bigInvite('fresh')), 1000, 2);
    const late = T0 + FRAGMENT_TIMEOUT_MS + 1;
    const packets = [...frames(stale.slice(0, 1)), ...frames(fresh, late), ...frames(stale.slice(1), late + 10)];

    // Act
    const { result } = readCapture(pcapFile(packets));

    // Assess: the stale datagram's first fragment expired; its other fragments never complete
    expect(countsOf(result)).toEqual({ ...ONE_INVITE, anomalies: { 'ip-fragment-incomplete': 2 } });
  });
});

/**
 * A capture whose snaplen cut fragmented SIP (test/fixtures/pcap/README.md): tshark 4.0 reassembles only fragments
 * captured whole, and dissects a cut first IPv4 fragment on its own (packet-ip.c), so the status line in it counts;
 * a cut first IPv6 fragment it does not dissect.
 */
describe('fragments the snaplen cut', () => {
  it.each([
    // tshark: frames 1 and 4, the CSeq past the 200 bytes kept
    ['fragments-snaplen-200.pcap', { UNKNOWN: { '200': 1, '486': 1 } }],
    // tshark: the same frames, CSeq 7 INVITE and 1 INVITE within the 1,400 bytes kept
    ['fragments-snaplen-1400.pcap', { INVITE: { '200': 1, '486': 1 } }],
  ])('counts the message of a cut first IPv4 fragment, as tshark does: %s', async (name, byMethod) => {
    // Prepare: a 486 (3 IPv4 fragments), a 200 (6 IPv4 fragments) and a 200 (6 IPv6 fragments), cut by editcap -s
    const capture = readFixture(`pcap/${name}`);

    // Act
    const r = await scanWhole(capture);

    // Assess
    expect(r.responses).toBe(2);
    expect(r.byMethod).toEqual(byMethod);
    expect(r.anomalies['truncated-capture']).toBeGreaterThan(0);
  });
});
