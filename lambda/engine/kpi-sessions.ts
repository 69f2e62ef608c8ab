/**
 * The established sessions of the KPI tracker (RFC 6076 §4.9 SCR): per Call-ID, the INVITE transactions answered
 * 200 and not yet ended by a BYE answered 2xx, each as the minute and the peer its completion counts for.
 *
 * Keyed by the Call-ID's bytes in an identity table (identity-key.ts: compared exactly on a hash match, so two
 * Call-IDs that share a hash stay two calls), not by a Call-ID string in a Map: that was a string, an array and an
 * object per established call, looked up by hashing the string again at its BYE.
 *
 * Bounded as before, in two generations of at most `generationSize` Call-IDs: when a new Call-ID finds the young
 * generation full the old one is dropped (its sessions are never completed) and the young one takes its place; a
 * Call-ID found in the old generation moves to the young one. An ended Call-ID is taken out, so only open ones
 * count towards the bound. A Call-ID's sessions are a list in one pool of typed arrays, in the order established.
 */
import { IdentityGeneration, IdentityKey } from './identity-key.js';
import type { MessageBytes } from './types.js';

const NONE = -1;

/** One generation of Call-IDs: per entry, the first and last session of its list in the pool. */
class SessionGeneration extends IdentityGeneration {
  constructor(limit: number) {
    super(limit, { floats: 0, ints: 2 });
  }

  first(slot: number): number {
    return this.int(slot, 0);
  }

  last(slot: number): number {
    return this.int(slot, 1);
  }

  setEnds(slot: number, first: number, last: number): void {
    this.setInt(slot, 0, first);
    this.setInt(slot, 1, last);
  }

  setLast(slot: number, last: number): void {
    this.setInt(slot, 1, last);
  }
}

/** Called with each session of an ended call: the minute (ms, -1 untimed) and the peer index it counts for. */
export type SessionVisitor = (minuteMs: number, peer: number) => void;

/** Open sessions by Call-ID (see the module comment). */
export class SessionTable {
  private young: SessionGeneration;
  private old: SessionGeneration;
  private readonly key = new IdentityKey();
  /** The session pool: minute, peer and next session of each node; free nodes chained through `next`. */
  private minutes = new Float64Array(256);
  private peers = new Int32Array(256);
  private next = new Int32Array(256);
  private free = NONE;
  private pooled = 0;

  constructor(generationSize: number) {
    this.young = new SessionGeneration(generationSize);
    this.old = new SessionGeneration(generationSize);
  }

  /** Open Call-IDs remembered (both generations). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Slots of both generations' tables (for tests of the bound: ended calls must not make the table grow). */
  get slots(): number {
    return this.young.capacity + this.old.capacity;
  }

  /** Records a session of the call whose Call-ID is in m (answered 200), counting for this minute and peer. */
  add(m: MessageBytes, minuteMs: number, peer: number): void {
    const hash = this.keyOf(m);
    let slot = this.young.find(this.key, hash);
    if (slot < 0) slot = this.moveYoung(hash);
    if (slot < 0) {
      if (this.young.full) this.rotate();
      slot = this.young.insert(this.key, hash);
      this.young.setEnds(slot, NONE, NONE);
    }
    const node = this.node(minuteMs, peer);
    const g = this.young;
    const last = g.last(slot);
    if (last === NONE) g.setEnds(slot, node, node);
    else {
      this.next[last] = node;
      g.setLast(slot, node);
    }
  }

  /** Ends the call whose Call-ID is in m: visits each of its sessions in the order established, then forgets it. */
  end(m: MessageBytes, visit: SessionVisitor): void {
    const hash = this.keyOf(m);
    let slot = this.young.find(this.key, hash);
    // found old, it moves to the young generation first (the rotation that may cause is the Map version's rule)
    if (slot < 0) slot = this.moveYoung(hash);
    if (slot < 0) return;
    const g = this.young;
    for (let n = g.first(slot); n !== NONE; ) {
      const following = this.next[n] ?? NONE;
      visit(this.minutes[n] ?? -1, this.peers[n] ?? NONE);
      this.release(n);
      n = following;
    }
    g.remove(slot);
  }

  private keyOf(m: MessageBytes): number {
    return this.key.reset().addBytes(m.buf, m.callIdStart, m.callIdEnd).hash();
  }

  /** Moves the Call-ID in `key` from the old generation to the young one; its young slot, or -1 if not there. */
  private moveYoung(hash: number): number {
    if (this.old.size === 0) return -1;
    const from = this.old;
    const o = from.find(this.key, hash);
    if (o < 0) return -1;
    const first = from.first(o);
    const last = from.last(o);
    // out of the old one first, so the rotation its insertion may cause does not drop it
    from.remove(o);
    if (this.young.full) this.rotate();
    const slot = this.young.insert(this.key, hash);
    this.young.setEnds(slot, first, last);
    return slot;
  }

  /** Drops the old generation (its sessions are never completed) and makes the young one old. */
  private rotate(): void {
    const dropped = this.old;
    dropped.forEach((slot) => {
      for (let n = dropped.first(slot); n !== NONE; ) {
        const following = this.next[n] ?? NONE;
        this.release(n);
        n = following;
      }
    });
    dropped.clear();
    this.old = this.young;
    this.young = dropped;
  }

  private node(minuteMs: number, peer: number): number {
    let n = this.free;
    if (n !== NONE) this.free = this.next[n] ?? NONE;
    else {
      if (this.pooled === this.next.length) this.growPool();
      n = this.pooled++;
    }
    this.minutes[n] = minuteMs;
    this.peers[n] = peer;
    this.next[n] = NONE;
    return n;
  }

  private release(n: number): void {
    this.next[n] = this.free;
    this.free = n;
  }

  private growPool(): void {
    const size = this.next.length * 2;
    const minutes = new Float64Array(size);
    minutes.set(this.minutes);
    this.minutes = minutes;
    const peers = new Int32Array(size);
    peers.set(this.peers);
    this.peers = peers;
    const next = new Int32Array(size);
    next.set(this.next);
    this.next = next;
  }
}
