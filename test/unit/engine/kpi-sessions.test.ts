import { describe, expect, it } from 'vitest';
import { IdentityKey } from '../../../lambda/engine/identity-key.js';
import { SessionTable } from '../../../lambda/engine/kpi-sessions.js';
import { identityBytes } from '../../../lambda/engine/sip-message.js';
import type { MessageBytes } from '../../../lambda/engine/types.js';

/** Two Call-IDs whose session keys have the same 32-bit hash (a birthday search over `call-N@example.com`). */
const COLLIDING = ['call-541@example.com', 'call-139493@example.com'] as const;

const call = (callId: string): MessageBytes => identityBytes({ kind: 'response', callId });

/** The sessions end(callId) visits, as [minuteMs, peer] pairs. */
const ended = (t: SessionTable, callId: string): [number, number][] => {
  const seen: [number, number][] = [];
  t.end(call(callId), (minuteMs, peer) => seen.push([minuteMs, peer]));
  return seen;
};

const sessionHash = (callId: string): number => {
  const b = Buffer.from(callId, 'latin1');
  return new IdentityKey().addBytes(b, 0, b.length).hash();
};

describe('SessionTable', () => {
  it('visits every session of a call in the order established, once', () => {
    // Prepare
    const t = new SessionTable(100);

    // Act: an INVITE and a re-INVITE of one dialog answered 200, and another call
    t.add(call('a@x'), 60_000, 3);
    t.add(call('b@x'), -1, 1);
    t.add(call('a@x'), 120_000, 4);

    // Assess
    expect(ended(t, 'a@x')).toEqual([
      [60_000, 3],
      [120_000, 4],
    ]);
    expect([ended(t, 'a@x'), t.size]).toEqual([[], 1]);
    expect(ended(t, 'b@x')).toEqual([[-1, 1]]);
    expect(ended(t, 'never@x')).toEqual([]);
  });

  it('keeps two calls apart when their Call-IDs really share a hash', () => {
    // Prepare
    const [one, two] = COLLIDING;
    const t = new SessionTable(100);

    // Act
    t.add(call(one), 0, 1);
    t.add(call(two), 60_000, 2);

    // Assess
    expect(sessionHash(one)).toBe(sessionHash(two));
    expect([ended(t, two), ended(t, one), ended(t, two)]).toEqual([[[60_000, 2]], [[0, 1]], []]);
  });

  it('forgets the old generation when the young one is full, and moves a call found old to the young one', () => {
    // Prepare: generations of 2 calls
    const t = new SessionTable(2);

    // Act: a, b fill the young generation; c makes them old; ending a moves it out first;
    // d fills the young one again and e drops the old one (b)
    for (const [i, id] of ['a', 'b', 'c'].entries()) t.add(call(id), 0, i);
    const a = ended(t, 'a');
    t.add(call('d'), 0, 3);
    t.add(call('e'), 0, 4);

    // Assess
    expect([a, ended(t, 'b'), ended(t, 'c'), ended(t, 'd'), ended(t, 'e')]).toEqual([
      [[0, 0]],
      [],
      [[0, 2]],
      [[0, 3]],
      [[0, 4]],
    ]);
  });

  it('stays small when calls end as they come: ended calls are taken out, their slots reused', () => {
    // Prepare
    const t = new SessionTable(100_000);

    // Act: 50,000 calls, each ended right after a later one starts (at most 2 open at once)
    t.add(call('call-0'), 0, 0);
    for (let i = 1; i < 50_000; i++) {
      t.add(call(`call-${i}`), i, 0);
      ended(t, `call-${i - 1}`);
    }

    // Assess: both generations at their first size, one call open
    expect([t.size, t.slots, ended(t, 'call-49999')]).toEqual([1, 2048, [[49_999, 0]]]);
  });
});
