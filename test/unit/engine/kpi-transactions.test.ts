import { describe, expect, it } from 'vitest';
import { IdentityKey } from '../../../lambda/engine/identity-key.js';
import {
  BYE,
  INVITE,
  REGISTER,
  SETTLED,
  TransactionGeneration,
  TransactionKey,
} from '../../../lambda/engine/kpi-transactions.js';
import { KpiTracker } from '../../../lambda/engine/kpis.js';
import { identityBytes } from '../../../lambda/engine/sip-message.js';
import type { PayloadMeta, SipMessage } from '../../../lambda/engine/types.js';
import { seededRandom } from '../../support/line-mutations.js';

const VIA = 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1';
const udp = (timeMs: number): PayloadMeta => ({ transport: 'udp', timeMs });
const message = (kind: 'request' | 'response', callId: string, statusCode?: number): SipMessage => ({
  kind,
  method: kind === 'request' ? 'INVITE' : undefined,
  statusCode,
  cseqNumber: 1,
  cseqMethod: 'INVITE',
  callId,
  topVia: VIA,
});

/**
 * Two Call-IDs whose whole transaction identity has the same 32-bit hash (found by a birthday search over
 * `call-N@example.com`, as an attacker would; the test checks that they still collide).
 */
const collidingCallIds = (): [string, string] => {
  const key = new TransactionKey();
  const pair: [string, string] = ['call-81619@example.com', 'call-154773@example.com'];
  const [ha, hb] = pair.map((callId) => key.set(identityBytes(message('request', callId)), 1, INVITE));
  expect(ha).toBe(hb);
  return pair;
};

describe('KPI transaction table', () => {
  it('locates the branch of the top Via in the message bytes, in any case, up to the next parameter', () => {
    // Prepare
    const via = 'SIP/2.0/UDP a;rport;BRANCH=z9hG4bKx;received=1.2.3.4, SIP/2.0/UDP b;branch=z9hG4bKy';

    // Act
    const b = identityBytes({ ...message('request', 'c@x'), topVia: via });

    // Assess
    expect(b.buf.toString('latin1', b.branchStart, b.branchEnd)).toBe('z9hG4bKx');
  });

  it('keeps two transactions apart when their identities share a hash', () => {
    // Prepare
    const [a, b] = collidingCallIds();
    const k = new KpiTracker();

    // Act: both INVITEs, a answered 200, b answered 486, then a's 200 resent
    k.observe(message('request', a), udp(0));
    k.observe(message('request', b), udp(1));
    k.observe(message('response', a, 200), udp(10));
    k.observe(message('response', b, 486), udp(20));
    k.observe(message('response', a, 200), udp(30));

    // Assess
    const d = k.toData();
    expect(a).not.toBe(b);
    expect(k.size).toBe(2);
    expect([d.inviteTransactions, d.established, d.effective, d.openTransactions]).toEqual([2, 1, 2, 0]);
    expect([d.srd.count, d.srd.sumMs]).toEqual([2, 29]);
  });

  it('moves a transaction seen again to the young generation, as the Map-based tracker did', () => {
    // Prepare: a bound of 4 is two generations of 2
    const k = new KpiTracker(4);

    // Act: t0, t1 fill the young generation; t2 makes them old; t0 seen again moves back beside t2; t3 drops the
    // old generation (t1, still open) and makes t2, t0 old; t4 fills the young one; t0's 200 still finds it (and
    // moving it back drops t2, open)
    for (const id of ['t0', 't1', 't2']) k.observe(message('request', id), udp(0));
    k.observe(message('request', 't0'), udp(1));
    k.observe(message('request', 't3'), udp(2));
    k.observe(message('request', 't4'), udp(3));
    k.observe(message('response', 't0', 200), udp(5));

    // Assess
    const d = k.toData();
    expect([d.inviteTransactions, d.established, d.evicted, d.openTransactions, k.size]).toEqual([5, 1, 2, 2, 3]);
    expect([d.srd.count, d.srd.sumMs]).toEqual([1, 5]);
  });

  it('keeps its count of open INVITEs equal to a walk of its slots through adds, outcomes, moves and clears', () => {
    // Prepare: a small generation, so adds reach its bound, outcomes come and go and it is cleared now and then
    const random = seededRandom(20261305);
    const g = new TransactionGeneration(64);
    const key = new IdentityKey();
    const keyOf = (n: number): number => key.reset().addNumber(n).hash();
    const walked = (): number => {
      let open = 0;
      g.forEach((slot) => {
        if (g.method(slot) === INVITE && (g.flags(slot) & SETTLED) === 0) open++;
      });
      return open;
    };
    const counts: number[] = [];

    // Act: 20,000 operations, the count compared with a walk after each
    for (let op = 0; op < 20_000; op++) {
      const n = Math.floor(random() * 200);
      const hash = keyOf(n);
      const slot = g.find(key, hash);
      const r = random();
      if (slot < 0) {
        if (g.full || r < 0.01) g.clear();
        else g.add(key, hash, [INVITE, INVITE, BYE, REGISTER][Math.floor(random() * 4)] ?? INVITE);
      } else if (r < 0.5) g.setFlags(slot, Math.floor(random() * 4));
      else g.remove(slot);
      counts.push(g.openInvites - walked());
    }

    // Assess
    expect(counts.every((d) => d === 0)).toBe(true);
    expect(g.size).toBeGreaterThan(0);
  });

  it('reads a transaction key in place and tells apart keys that differ in any number, byte or boundary', () => {
    // Prepare: one stored transaction, then identities that differ from it in one thing each
    const g = new TransactionGeneration(64);
    const key = new TransactionKey();
    const bytesOf = (callId: string, topVia: string) => identityBytes({ kind: 'request', callId, topVia });
    // lengths that are not multiples of 4, so that the bytes after the last whole word are compared too
    const base = { callId: 'abcd@h', via: 'SIP/2.0/UDP h;branch=efghi', cseq: 1, method: INVITE };
    type Identity = typeof base;
    const hashOf = (t: Identity): number => key.set(bytesOf(t.callId, t.via), t.cseq, t.method);
    g.add(key, hashOf(base), INVITE);
    const variants: Identity[] = [
      { ...base, callId: 'abce@h' },
      { ...base, callId: 'abcd@i' },
      { ...base, callId: 'abcd@hx' },
      { ...base, callId: 'abcd@' },
      { ...base, via: 'SIP/2.0/UDP h;branch=efgii' },
      { ...base, via: 'SIP/2.0/UDP h;branch=efghj' },
      { ...base, via: 'SIP/2.0/UDP h;branch=efgh' },
      { ...base, via: 'SIP/2.0/UDP h;branch=x' },
      { ...base, cseq: 2 },
      { ...base, cseq: 2 ** 32 + 1 },
      { ...base, method: BYE },
    ];

    // Act
    const same = g.find(key, hashOf({ ...base, via: 'SIP/2.0/TCP other;BRANCH=efghi;rport' }));
    // an empty branch is the absent one (RFC 2543 peers send none), as it was for an IdentityKey
    const noBranch = { ...base, via: 'SIP/2.0/UDP h' };
    g.add(key, hashOf(noBranch), INVITE);
    const emptyBranch = g.find(key, hashOf({ ...base, via: 'SIP/2.0/UDP h;branch=' }));
    const found = variants.map((v) => g.find(key, hashOf(v)));
    // the same identity again, with every variant's hash forced equal to the stored one's (a full collision)
    const stored = hashOf(base);
    const collided = variants.map((v) => {
      hashOf(v);
      return g.find(key, stored);
    });

    // Assess
    expect(same).toBeGreaterThanOrEqual(0);
    expect(emptyBranch).toBeGreaterThanOrEqual(0);
    expect(found).toEqual(variants.map(() => -1));
    expect(collided).toEqual(variants.map(() => -1));
  });
});
