import { describe, expect, it } from 'vitest';
import { DirectionKey } from '../../../lambda/engine/direction-key.js';
import { MAX_ENDPOINT_IDS, NameIds } from '../../../lambda/engine/endpoint-ids.js';
import { align8, KeyArena } from '../../../lambda/engine/key-arena.js';
import { INVITE, TransactionGeneration } from '../../../lambda/engine/kpi-transactions.js';
import type { MessageBytes } from '../../../lambda/engine/types.js';

const VIA = 'SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-524287-1';

/** The Call-ID and Via as bytes of a buffer of their own, `offset` bytes in (the scanner's buffers start anywhere). */
const messageAt = (callId: string, via: string, offset: number): MessageBytes => {
  const buf = Buffer.from(`${'x'.repeat(offset)}${callId}\r\n${via}\r\n`, 'latin1');
  const callIdEnd = offset + callId.length;
  return {
    buf,
    callIdStart: offset,
    callIdEnd,
    viaStart: callIdEnd + 2,
    viaEnd: callIdEnd + 2 + via.length,
    branchStart: -1,
    branchEnd: -1,
    dateStart: -1,
    dateEnd: -1,
  };
};

const CALL_ID = 'a84b4c76e66710@pc33.atlanta.example.com-0123';

describe('DirectionKey (a retransmission direction read in place)', () => {
  it('finds a direction by its bytes alone, from any offset, never one a byte or a length apart', () => {
    // Prepare: every Call-ID length 0..44 by Via and by address numbers, filed under one hash (every lookup compares)
    const g = new TransactionGeneration(1000);
    const key = new DirectionKey();
    const ids = new NameIds(MAX_ENDPOINT_IDS);
    const byVia = (n: number, offset: number, via = VIA): number =>
      key.set(messageAt(CALL_ID.slice(0, n), via, offset), undefined, undefined, ids);
    const byIds = (n: number, offset: number): number =>
      key.set(messageAt(CALL_ID.slice(0, n), VIA, offset), 'a', 'b', ids, 1, 2);
    const slots: number[] = [];
    const foundBeforeFiled: number[] = [];
    for (let n = 0; n <= CALL_ID.length; n++) {
      for (const set of [byVia, byIds]) {
        set(n, 0);
        foundBeforeFiled.push(g.find(key, 7));
        slots.push(g.add(key, 7, INVITE));
      }
    }

    // Act: each found again from the offsets 1..3 of another buffer; then keys one byte or one bit apart
    const found: number[] = [];
    const hashes = new Set<number>();
    for (let n = 0; n <= CALL_ID.length; n++) {
      for (const offset of [1, 2, 3]) {
        hashes.add(byVia(n, offset));
        found.push(g.find(key, 7));
        byIds(n, offset);
        found.push(g.find(key, 7));
      }
    }
    const findAfter = (set: () => number): number => {
      set();
      return g.find(key, 7);
    };
    const strangers = [
      // another branch (a forking proxy's second branch), a parameter more, a sent-by a byte apart
      findAfter(() => byVia(CALL_ID.length, 1, `${VIA.slice(0, -1)}2`)),
      findAfter(() => byVia(CALL_ID.length, 2, `${VIA};rport`)),
      findAfter(() => byVia(CALL_ID.length, 1, VIA.replace(':5060', ':5061'))),
      findAfter(() => byVia(CALL_ID.length, 2, VIA.replace('UDP', 'TCP'))),
      // a response travels back to the Via's sender, a request from it: two directions
      findAfter(() => key.set(messageAt(CALL_ID, VIA, 1), undefined, undefined, ids, undefined, undefined, 'response')),
      findAfter(() => key.set(messageAt(CALL_ID, VIA, 3), 'a', 'b', ids, 2, 1)),
      findAfter(() => key.set(messageAt(`${CALL_ID.slice(0, -1)}4`, VIA, 0), 'a', 'b', ids, 1, 2)),
    ];

    // Assess: none of the 90 keys equals one filed before it; each found three times where it was filed; the same
    // hash from every offset
    expect(foundBeforeFiled.filter((slot) => slot >= 0)).toEqual([]);
    const filed = Array.from({ length: CALL_ID.length + 1 }, (_, n) =>
      [1, 2, 3].flatMap(() => slots.slice(2 * n, 2 * n + 2)),
    );
    expect(found).toEqual(filed.flat());
    expect(strangers).toEqual([-1, -1, -1, -1, -1, -1, -1]);
    expect(hashes.size).toBe(CALL_ID.length + 1);
  });

  it('never equals a key assembled from strings, whatever the hash', () => {
    // Prepare: one direction by address numbers, by Via, by names past a full numbering and given whole
    const g = new TransactionGeneration(100);
    const key = new DirectionKey();
    const full = new NameIds(0);
    const m = messageAt(CALL_ID, VIA, 0);
    const setters = [
      () => key.set(m, 'a', 'b', new NameIds(MAX_ENDPOINT_IDS), 0, 0),
      () => key.set(m, undefined, undefined, full),
      () => key.set(m, 'a', 'b', full),
      () => key.setString(`${CALL_ID} a b`),
      () => key.setString(''),
    ];

    // Act: each filed under the hash 7 (after a lookup, which must miss), then each looked up
    const missed = setters.map((set) => {
      set();
      return g.find(key, 7);
    });
    const slots = setters.map((set) => {
      set();
      return g.add(key, 7, INVITE);
    });
    const found = setters.map((set) => {
      set();
      return g.find(key, 7);
    });

    // Assess
    expect(missed).toEqual(setters.map(() => -1));
    expect(found).toEqual(slots);
  });

  it('never equals an assembled key whose bytes are the same but for its first word', () => {
    // Prepare: a direction by Via whose Via ends as an assembled key by empty names does (the part kind 1 and two
    // empty names: 16 bytes), and an assembled one whose Call-ID is the in-place record's bytes between those ends
    const key = new DirectionKey();
    const tail = Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const via = Buffer.concat([Buffer.from(VIA, 'latin1'), tail]).toString('latin1');
    const inPlace = messageAt(CALL_ID, via, 0);
    key.set(inPlace, undefined, undefined, new NameIds(MAX_ENDPOINT_IDS));
    const arena = new KeyArena();
    const at = arena.allocate(align8(key.length));
    key.writeAt(arena, at);
    const record = Buffer.alloc(align8(key.length));
    for (let i = 0; i < record.length; i += 4) record.writeInt32LE(arena.int(at + i), i);
    const twin = messageAt(record.subarray(4, key.length - 16).toString('latin1'), VIA, 0);
    const setTwin = (): number => key.set(twin, '', '', new NameIds(0));

    // Act: each filed under the hash 7 in a table of its own, then the other looked up there
    const byInPlace = new TransactionGeneration(10);
    key.set(inPlace, undefined, undefined, new NameIds(MAX_ENDPOINT_IDS));
    const length = key.length;
    byInPlace.add(key, 7, INVITE);
    setTwin();
    const twinLength = key.length;
    const twinInInPlace = byInPlace.find(key, 7);
    const byTwin = new TransactionGeneration(10);
    byTwin.add(key, 7, INVITE);
    key.set(inPlace, undefined, undefined, new NameIds(MAX_ENDPOINT_IDS));
    const inPlaceInTwin = byTwin.find(key, 7);

    // Assess: the same length, and only the first word (the in-place mark, the twin's Call-ID length) tells them apart
    expect([twinLength, twinInInPlace, inPlaceInTwin]).toEqual([length, -1, -1]);
  });
});
