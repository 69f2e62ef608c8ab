import { describe, expect, it } from 'vitest';
import { NameIds } from '../../../lambda/engine/endpoint-ids.js';
import { RetransmissionDetector, type RetransmissionInput } from '../../../lambda/engine/retransmissions.js';
import { identityBytes } from '../../../lambda/engine/sip-message.js';

const msg = (over: Partial<RetransmissionInput>): RetransmissionInput => ({
  kind: 'response',
  callId: 'c1',
  cseqNumber: 1,
  cseqMethod: 'INVITE',
  statusCode: 200,
  direction: 'a>b',
  ...over,
});

describe('RetransmissionDetector (Wireshark sip.resend semantics)', () => {
  it('marks a repeated final response in the same direction', () => {
    // Prepare
    const d = new RetransmissionDetector();

    // Act
    const seen = [d.observe(msg({})), d.observe(msg({})), d.observe(msg({}))];

    // Assess
    expect(seen).toEqual([false, true, true]);
  });

  it('compares CSeq methods exactly, the empty one included, and keeps any status code a caller passes', () => {
    // Prepare: an empty method first (the detector's method ids start with none), another method between
    const d = new RetransmissionDetector();
    const empty = msg({ kind: 'request', cseqMethod: '', direction: 'x>y' });

    // Act
    const seen = [
      d.observe(empty),
      d.observe(msg({ kind: 'request', cseqMethod: 'INVITE', callId: 'c2' })),
      d.observe(empty),
      d.observe(msg({ statusCode: 600_000_000, callId: 'c3' })),
      d.observe(msg({ statusCode: 600_000_000, callId: 'c3' })),
    ];

    // Assess: the second empty-method request is a resend; so is the repeated out-of-range final
    expect(seen).toEqual([false, false, true, false, true]);
  });

  it('never marks provisional responses', () => {
    const d = new RetransmissionDetector();
    expect([d.observe(msg({ statusCode: 180 })), d.observe(msg({ statusCode: 180 }))]).toEqual([false, false]);
  });

  it('does not mark the other leg of a proxied response (another direction)', () => {
    const d = new RetransmissionDetector();
    expect([d.observe(msg({ direction: 'uas>proxy' })), d.observe(msg({ direction: 'proxy>uac' }))]).toEqual([
      false,
      false,
    ]);
  });

  it('marks a repeated request but never ACK or CANCEL', () => {
    // Prepare
    const d = new RetransmissionDetector();
    const inviteReq = msg({ kind: 'request', statusCode: 0 });
    const ack = msg({ kind: 'request', statusCode: 0, cseqMethod: 'ACK', cseqNumber: 2 });

    // Act
    const seen = [d.observe(inviteReq), d.observe(inviteReq), d.observe(ack), d.observe(ack)];

    // Assess
    expect(seen).toEqual([false, true, false, false]);
  });

  it('does not mark a final response with another code or after the CSeq moved on', () => {
    const d = new RetransmissionDetector();
    const seen = [
      d.observe(msg({ statusCode: 401 })),
      d.observe(msg({ statusCode: 200 })),
      d.observe(msg({ cseqNumber: 2, statusCode: 200 })),
    ];
    expect(seen).toEqual([false, false, false]);
  });

  it('keeps memory bounded by forgetting the least recently used direction', () => {
    // Prepare
    const d = new RetransmissionDetector(2);

    // Act
    d.observe(msg({ callId: 'x' }));
    d.observe(msg({ callId: 'y' }));
    d.observe(msg({ callId: 'z' }));
    const xAgain = d.observe(msg({ callId: 'x' }));

    // Assess
    expect([d.size, xAgain]).toEqual([2, false]);
  });
});

describe('RetransmissionDetector, directions by sender and receiver ids', () => {
  it('judges every direction alike before and after the names run out of ids, and never merges two', () => {
    // Prepare: more senders than get an id (the later ones go into keys as characters), in a numbering of 1,000
    const ids = 1_000;
    const d = new RetransmissionDetector(4 * ids, new NameIds(ids));
    const bytes = identityBytes({ kind: 'response', callId: 'shared-call@example.com', topVia: 'SIP/2.0/UDP h' });
    const sender = (i: number): string => `10.${i >> 16}.${(i >> 8) & 0xff}.${i & 0xff}:5060`;
    const ok = (i: number, code: number): boolean =>
      d.observeMessage(bytes, sender(i), 'local', 'response', 1, 'INVITE', code);
    const n = ids + 100;

    // Act: each sender's 200, then the same 200 again, then a 486 (another response: not a resend)
    const first = Array.from({ length: n }, (_, i) => ok(i, 200));
    const again = Array.from({ length: n }, (_, i) => ok(i, 200));
    const other = Array.from({ length: n }, (_, i) => ok(i, 486));

    // Assess
    expect([first.filter(Boolean).length, again.filter(Boolean).length, other.filter(Boolean).length]).toEqual([
      0,
      n,
      0,
    ]);
    expect(d.size).toBe(n);
  });
});
