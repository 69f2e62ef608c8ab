import { describe, expect, it } from 'vitest';
import { DirectionKey } from '../../../lambda/engine/direction-key.js';
import { MAX_ENDPOINT_IDS, NameIds } from '../../../lambda/engine/endpoint-ids.js';
import { HASH_SEED, IdentityKey, InPlaceRanges } from '../../../lambda/engine/identity-key.js';
import { scan } from '../../../lambda/engine/index.js';
import { INVITE, TransactionGeneration, TransactionKey } from '../../../lambda/engine/kpi-transactions.js';
import { RetransmissionDetector } from '../../../lambda/engine/retransmissions.js';
import { identityBytes } from '../../../lambda/engine/sip-message.js';
import { chunked } from '../../support/collect.js';
import { seededRandom } from '../../support/line-mutations.js';
import { sipMessage } from '../../support/sip-samples.js';

/**
 * Pairs of Call-IDs whose identities have the same 32-bit hash, found by a birthday search over Call-IDs of 16 hex
 * digits (as an attacker would; 34,000 to 115,000 tries each), each pair of one length so that only the bytes tell
 * its two apart: in the KPI transaction table, in the retransmission table by top Via, and by addresses.
 */
const KPI_PAIR = ['6e04d9179828419b@example.com', '82681fdb00cda783@example.com'] as const;
const VIA_PAIR = ['ed655692f8c50e01@example.com', '6aa8b53adbb15e7f@example.com'] as const;
/** By addresses as a fresh numbering of names numbers them: the sender 0, the receiver 1 (NameIds). */
const ADDRESS_PAIR = ['dad9f4b2c6ccb3d6@example.com', 'cb119ffdbd2469ad@example.com'] as const;
const VIA = 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1';

const keyOf = (parts: (k: IdentityKey) => IdentityKey): string => {
  const k = parts(new IdentityKey());
  return Buffer.from(k.bytes.subarray(0, k.length)).toString('hex');
};

describe('IdentityKey', () => {
  it('gives different bytes to the same characters split into parts differently', () => {
    // Prepare / Act
    const keys = [
      keyOf((k) => k.addString('ab').addString('c')),
      keyOf((k) => k.addString('a').addString('bc')),
      keyOf((k) => k.addString('abc')),
      keyOf((k) => k.addBytes(Buffer.from('abc'), 0, 3)),
      keyOf((k) => k.addString('abc').addBytes(Buffer.alloc(0), -1, -1)),
    ];

    // Assess: only a string and the same bytes agree; an absent part still counts as a part
    expect(new Set(keys).size).toBe(4);
    expect(keys[2]).toBe(keys[3]);
  });

  it('hashes its bytes as xxHash32 with seed 0 does (the published test values)', () => {
    // Prepare: the key's bytes set directly (the parts would add length prefixes)
    const vectors: [string, number][] = [
      ['', 0x02cc5d05],
      ['a', 0x550d7456],
      ['abc', 0x32d153ff],
      ['Nobody inspects the spammish repetition', 0xe2293b2f],
      ['0123456789abcdef0123', 0x6350964e],
    ];
    const hashOf = (text: string): number => {
      const k = new IdentityKey();
      k.bytes.set(Buffer.from(text, 'latin1'));
      k.length = text.length;
      return k.hash() >>> 0;
    };

    // Act
    const hashes = vectors.map(([text]) => hashOf(text));

    // Assess
    expect(hashes).toEqual(vectors.map(([, h]) => h));
  });

  it('copies bytes four at a time from any offset of any buffer: the same bytes give the same key and hash', () => {
    // Prepare: every length from 0 to 40, copied from offsets 0..3 of two different buffers
    const text = 'a84b4c76e66710@pcscf.example.net;z9hG4bK776asdhds';
    const mismatches: string[] = [];

    // Act
    for (let n = 0; n <= 40; n++) {
      const expected = keyOf((k) => k.addString(text.slice(0, n)).addNumber(7));
      const hash = new IdentityKey().addString(text.slice(0, n)).addNumber(7).hash();
      for (let offset = 0; offset < 4; offset++) {
        const buf = Buffer.from(`${'#'.repeat(offset)}${text}`, 'latin1');
        const key = new IdentityKey().addBytes(buf, offset, offset + n).addNumber(7);
        if (Buffer.from(key.bytes.subarray(0, key.length)).toString('hex') !== expected || key.hash() !== hash)
          mismatches.push(`${n}@${offset}`);
      }
    }

    // Assess
    expect(mismatches).toEqual([]);
  });

  it('writes a char past 0xfe as an escape, so that it never equals a latin1 one', () => {
    // Prepare / Act
    const key = new IdentityKey().addString('\u00ff\u0141');

    // Assess: length 2, then 0xff escaped, then U+0141
    expect(Buffer.from(key.bytes.subarray(0, key.length)).toString('hex')).toBe('00000002ff00ffff0141');
  });
});

describe('InPlaceRanges (a key hashed where it lies)', () => {
  it('hashes two ranges of any lengths and offsets apart from the same ranges one byte apart or split elsewhere', () => {
    // Prepare: a Call-ID and a branch of every length 0..23 from offsets 0..3 (so the last 1-3 bytes of a range,
    // which go in as one overlapping word, and ranges shorter than a word are all met)
    const text = 'a84b4c76e66710@pc33.atlanta.example.com';
    const ranges = new InPlaceRanges();
    const hashOf = (first: string, second: string, offset: number): number => {
      const buf = Buffer.from(`${'x'.repeat(offset)}${first}|${second}`, 'latin1');
      ranges.set(buf, offset, first.length, offset + first.length + 1, second.length);
      return ranges.hash(HASH_SEED);
    };
    const clashes: string[] = [];
    for (let n = 0; n < 24; n++)
      for (let m = 0; m < 24; m += 5) {
        const first = text.slice(0, n);
        const second = text.slice(3, 3 + m);
        const hashes = [0, 1, 2, 3].map((offset) => hashOf(first, second, offset));
        const base = hashes[0] ?? 0;

        // Act: each byte of either range changed in turn, and the two split one byte further on (same bytes)
        const others: [string, number][] = [];
        for (let i = 0; i < n; i++)
          others.push([`first[${i}]`, hashOf(`${first.slice(0, i)}~${first.slice(i + 1)}`, second, 1)]);
        for (let i = 0; i < m; i++)
          others.push([`second[${i}]`, hashOf(first, `${second.slice(0, i)}~${second.slice(i + 1)}`, 2)]);
        if (m > 0) others.push(['split', hashOf(first + second.slice(0, 1), second.slice(1), 3)]);

        // Assess (collected): the offset changes nothing, every changed key hashes apart
        if (new Set(hashes).size !== 1) clashes.push(`${n}/${m}: offsets give ${hashes}`);
        for (const [what, h] of others) if (h === base) clashes.push(`${n}/${m}: ${what} shares the hash`);
      }
    expect(clashes).toEqual([]);
  });
});

describe('TransactionKey hashes', () => {
  it('never give a branch and its overlapping-tail twin one hash, whatever CSeq numbers they come with', () => {
    // Prepare: a branch of 4k + r bytes (r = 1..3) and its twin of 4k + 4, its first 4k bytes and last 4: the same
    // words to the hash; only the lengths mixed in tell them apart (a CSeq could cancel the key's total length)
    const hashOf = (branch: string, cseq: number): number =>
      new TransactionKey().set(
        identityBytes({ kind: 'request', callId: 'a84b4c76e66710@pc33', topVia: `SIP/2.0/UDP h;branch=${branch}` }),
        cseq,
        INVITE,
      );
    const shared: string[] = [];
    for (const branch of ['z9hG4bK776asd', 'z9hG4bK776asdh', 'z9hG4bK776asdhd', 'z9hG4bK-524287-1', 'z9hG4bKf']) {
      if (branch.length % 4 === 0) continue;
      const whole = branch.length - (branch.length % 4);
      const twin = branch.slice(0, whole) + branch.slice(-4);
      const h = hashOf(branch, 1);

      // Act: the twin with every CSeq number 1..2,000
      for (let cseq = 1; cseq <= 2000; cseq++) if (hashOf(twin, cseq) === h) shared.push(`${branch}/${twin} ${cseq}`);
    }

    // Assess
    expect(shared).toEqual([]);
  });
});

describe('IdentityGeneration (through the KPI transaction table)', () => {
  it('keeps entries apart when their hashes are forced equal, and finds only the exact key', () => {
    // Prepare: every key gets the hash 7
    const g = new TransactionGeneration(100);
    const one = new IdentityKey().addString('call-1');
    const two = new IdentityKey().addString('call-2');
    const three = new IdentityKey().addString('call-3');

    // Act
    const s1 = g.add(one, 7, INVITE);
    const s2 = g.add(two, 7, INVITE);

    // Assess
    expect(s1).not.toBe(s2);
    expect([g.find(one, 7), g.find(two, 7), g.find(three, 7), g.find(one, 8), g.size]).toEqual([s1, s2, -1, -1, 2]);
  });

  it('finds a key of any length by its bytes alone, word by word and byte by byte, never a longer or shorter one', () => {
    // Prepare: keys of 1..24 bytes, each a prefix of the next, all with the same hash
    const g = new TransactionGeneration(100);
    const text = Buffer.from('0123456789abcdefghijklmn', 'latin1');
    const key = new IdentityKey();
    for (let n = 1; n <= 24; n++) g.add(key.reset().addBytes(text, 0, n), 7, INVITE);

    // Act: each looked up again from another buffer, then a key that differs in its last byte only
    const found = Array.from({ length: 24 }, (_, i) => g.find(key.reset().addBytes(Buffer.from(text), 0, i + 1), 7));
    const lastByte = Buffer.from(text);
    lastByte[23] = 0x21;
    const other = g.find(key.reset().addBytes(lastByte, 0, 24), 7);

    // Assess: 24 different slots, and no match for the changed key
    expect(new Set(found).size).toBe(24);
    expect(found.every((slot) => slot >= 0)).toBe(true);
    expect(other).toBe(-1);
  });

  it('keeps every key and its fields when the table doubles again and again', () => {
    // Prepare
    const g = new TransactionGeneration(5000);
    const key = new IdentityKey();
    const keyFor = (i: number): number => key.reset().addString(`call-${i}`).hash();

    // Act: 4,000 entries grow the table from 1,024 slots to 8,192
    for (let i = 0; i < 4000; i++) {
      const slot = g.add(key, keyFor(i), INVITE);
      g.setMinuteMs(slot, i * 60_000);
      g.setPeer(slot, i);
    }

    // Assess
    const found: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const slot = g.find(key, keyFor(i));
      if (g.minuteMs(slot) === i * 60_000 && g.peer(slot) === i && g.method(slot) === INVITE) found.push(i);
    }
    expect([found.length, g.size, g.full]).toEqual([4000, 4000, false]);
  });
});

describe('IdentityGeneration against a Map', () => {
  it('agrees with a Map over 60,000 random adds, finds and removes, hashes colliding, with growth and compaction', () => {
    // Prepare: keys of 0..60 bytes read from unaligned offsets, hashes from 64 values (long probe runs)
    const random = seededRandom(20261204);
    const g = new TransactionGeneration(5000);
    const model = new Map<string, { slotMinute: number; peer: number }>();
    const pool = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789'.repeat(4), 'latin1');
    const key = new IdentityKey();
    const use = (id: number): number => {
      const offset = id % 7;
      const length = id % 61;
      return (
        key
          .reset()
          .addBytes(pool, offset, offset + length)
          .addNumber(id)
          .hash() & 63
      );
    };
    const disagreements: string[] = [];

    // Act
    for (let op = 0; op < 60_000; op++) {
      const id = Math.floor(random() * 8000);
      const hash = use(id);
      const slot = g.find(key, hash);
      const known = model.get(String(id));
      if (slot >= 0 !== (known !== undefined)) disagreements.push(`op ${op}: ${id} found ${slot >= 0}`);
      else if (known !== undefined && (g.minuteMs(slot) !== known.slotMinute || g.peer(slot) !== known.peer))
        disagreements.push(`op ${op}: ${id} fields`);
      if (slot >= 0 && random() < 0.5) {
        // taken out, as a transaction that moves to the young generation: its slot stays a marker
        g.remove(slot);
        model.delete(String(id));
      } else if (slot < 0 && !g.full) {
        const added = g.add(key, hash, INVITE);
        g.setMinuteMs(added, id * 60_000);
        g.setPeer(added, op);
        model.set(String(id), { slotMinute: id * 60_000, peer: op });
      }
      if (op === 30_000) {
        g.clear();
        model.clear();
      }
    }

    // Assess: no disagreement, the same number of entries; the table within twice its bound's size (16,384 slots
    // hold 5,000 entries half full; with markers of removed entries it may double once, then it compacts in place)
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(g.size).toBe(model.size);
    expect(g.capacity).toBeLessThanOrEqual(32_768);
  });
});

describe('identities that share a hash are never merged', () => {
  it('uses Call-IDs whose identities really collide', () => {
    // Prepare
    const key = new DirectionKey();
    const message = (callId: string) => identityBytes({ kind: 'response', callId, topVia: VIA });
    const kpi = (callId: string): number => new TransactionKey().set(message(callId), 1, INVITE);
    const byVia = (callId: string): number =>
      key.set(message(callId), undefined, undefined, new NameIds(MAX_ENDPOINT_IDS), undefined, undefined, 'response');
    const byAddress = (callId: string): number =>
      key.set(message(callId), '192.0.2.1:5060', '192.0.2.2:5060', new NameIds(MAX_ENDPOINT_IDS));

    // Act
    const pairs = [KPI_PAIR.map(kpi), VIA_PAIR.map(byVia), ADDRESS_PAIR.map(byAddress)];

    // Assess
    for (const [a, b] of pairs) expect(a).toBe(b);
  });

  it('judges the retransmissions of two colliding calls apart, by Via and by addresses', () => {
    // Prepare: names numbered afresh, as ADDRESS_PAIR was searched (the process's numbering has numbered others)
    const d = new RetransmissionDetector(undefined, new NameIds(MAX_ENDPOINT_IDS));
    const ok = (callId: string, src?: string, dst?: string): boolean =>
      d.observeMessage(
        identityBytes({ kind: 'response', callId, topVia: VIA }),
        src,
        dst,
        'response',
        1,
        'INVITE',
        200,
      );
    const [a, b] = VIA_PAIR;
    const [c, e] = ADDRESS_PAIR;
    const [src, dst] = ['192.0.2.1:5060', '192.0.2.2:5060'];

    // Act: each call's 200, then each resent; the same by addresses
    const byVia = [ok(a), ok(b), ok(a), ok(b)];
    const byAddress = [ok(c, src, dst), ok(e, src, dst), ok(e, src, dst), ok(c, src, dst)];

    // Assess
    expect([byVia, byAddress, d.size]).toEqual([[false, false, true, true], [false, false, true, true], 4]);
  });

  it('counts two colliding calls of a text log as two calls: no retransmission, two transactions', async () => {
    // Prepare: both calls INVITE, 180, 200 with the same Via, CSeq and codes: merged, every second message would be a
    // resend (VIA_PAIR) or the second call no transaction (KPI_PAIR)
    const leg = (callId: string, startLine: string): string =>
      sipMessage(startLine, [`Via: ${VIA}`, `Call-ID: ${callId}`, 'CSeq: 1 INVITE', 'Content-Length: 0']);
    const log = (pair: readonly string[]): Buffer =>
      Buffer.from(
        pair
          .flatMap((c) => [
            leg(c, 'INVITE sip:bob@example.com SIP/2.0'),
            leg(c, 'SIP/2.0 180 Ringing'),
            leg(c, 'SIP/2.0 200 OK'),
          ])
          .join(''),
        'latin1',
      );

    // Act
    const results = await Promise.all([VIA_PAIR, KPI_PAIR].map((pair) => scan(chunked(log(pair), [97]))));

    // Assess
    for (const r of results)
      expect([r.requests, r.responses, r.retransmissions, r.kpis.inviteTransactions, r.kpis.established]).toEqual([
        2,
        4,
        { requests: 0, responses: 0 },
        2,
        2,
      ]);
  });
});
