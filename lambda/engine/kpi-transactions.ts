/**
 * The transaction table of the KPI tracker: what an open INVITE, BYE or REGISTER transaction still needs, kept
 * without an object or a key string per transaction. The text scan sees hundreds of thousands of transactions;
 * as a Map from a `Call-ID + CSeq + branch` string to an object each, their garbage made the KPIs cost a quarter
 * of the scan (issue 15 allows 10 %).
 *
 * One generation is an open-addressing hash table (linear probing) over typed arrays: a 32-bit hash of the
 * identity, and the transaction's fields in parallel arrays. The identity is compared exactly on a hash match: the
 * Call-ID and branch are copied into a character arena (a typed array, one per generation, emptied with it), so two
 * identities that share a hash are still two transactions. Keeping the messages' own strings instead held tens of
 * thousands of them alive through every young-generation GC, which cost more than the lookups.
 */

/** Method codes of the tracked transactions (0: not tracked). */
export const INVITE = 1;
export const BYE = 2;
export const REGISTER = 3;
export type MethodCode = typeof INVITE | typeof BYE | typeof REGISTER;

/** Flag bits of a transaction. */
/** SRD taken: the first non-100 response has been seen. */
export const ANSWERED = 1;
/** The outcome (first final response) is settled: later messages of the transaction change no count. */
export const SETTLED = 2;

const EMPTY = 0;
const LIVE = 1;
/** A slot whose transaction moved to the young generation: probing goes on past it. */
const MOVED = 2;

const INITIAL_CAPACITY = 1024;

/** Where the branch value of a Via starts and ends (offsets into the Via string); [0, 0) when there is none. */
export interface BranchSpan {
  start: number;
  end: number;
}

const BRANCH_EQ = 'branch=';

/** Whether `branch=` (in any case) starts at offset i of s. */
const isBranchAt = (s: string, i: number): boolean => {
  for (let k = 0; k < BRANCH_EQ.length; k++) {
    const c = s.charCodeAt(i + k);
    // ASCII case folding only: a latin1 letter never folds to an ASCII one
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== BRANCH_EQ.charCodeAt(k)) return false;
  }
  return true;
};

/**
 * Locates the branch parameter of a Via value (RFC 3261 §20.42) into `span`: the first `branch=` in any case, up
 * to the next ';', ',', space or tab; an empty span when there is none (RFC 2543 peers). No string is built.
 */
export const findBranch = (via: string, span: BranchSpan): void => {
  const last = via.length - BRANCH_EQ.length;
  for (let i = 0; i <= last; i++) {
    // 'b' or 'B' first: most offsets are rejected by one comparison
    const c = via.charCodeAt(i);
    if ((c === 0x62 || c === 0x42) && isBranchAt(via, i)) {
      let end = i + BRANCH_EQ.length;
      while (end < via.length) {
        const e = via.charCodeAt(end);
        // ';' next parameter, ',' next Via value, whitespace
        if (e === 0x3b || e === 0x2c || e === 0x20 || e === 0x09) break;
        end++;
      }
      span.start = i + BRANCH_EQ.length;
      span.end = end;
      return;
    }
  }
  span.start = 0;
  span.end = 0;
};

const FNV_PRIME = 0x01000193;

/** FNV-1a over the UTF-16 units of s[from, to), continued from h. */
const hashChars = (h: number, s: string, from: number, to: number): number => {
  let x = h;
  for (let i = from; i < to; i++) x = Math.imul(x ^ s.charCodeAt(i), FNV_PRIME);
  return x;
};

/** The 32-bit hash of a transaction identity (Call-ID, CSeq number, method, top Via branch). */
export const identityHash = (callId: string, cseq: number, method: number, via: string, span: BranchSpan): number => {
  let h = hashChars(0x811c9dc5, callId, 0, callId.length);
  // the CSeq number is a 32-bit unsigned integer (RFC 3261 §8.1.1.5); the high part keeps larger ones apart too
  h = Math.imul(h ^ (cseq >>> 0), FNV_PRIME);
  h = Math.imul(h ^ Math.floor(cseq / 0x1_0000_0000), FNV_PRIME);
  h = Math.imul(h ^ method, FNV_PRIME);
  h = hashChars(h, via, span.start, span.end);
  // final avalanche (murmur3's fmix32): the low bits pick the slot
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
};

/** One generation of transactions: an open-addressing table that grows (doubling) up to its limit. */
export class TransactionGeneration {
  /** Live transactions (moved ones excluded). */
  size = 0;
  private mask: number;
  private slotState: Uint8Array;
  private hashes: Int32Array;
  /** Identity: Call-ID then branch at keyStart in the arena (their lengths beside), CSeq and method. */
  private keyStart: Int32Array;
  private callIdLength: Int32Array;
  private branchLength: Int32Array;
  private arena = new Uint16Array(INITIAL_CAPACITY * 64);
  private arenaUsed = 0;
  private cseqs: Float64Array;
  /** Fields, read and written by slot through the accessors below. */
  methods: Uint8Array;
  flags: Uint8Array;
  /** Minute (ms) the transaction counts in, -1 when untimed. */
  minuteMs: Float64Array;
  /** Time of its first request, NaN when not seen or untimed. */
  requestMs: Float64Array;
  /** Index of the peer that answered it (the sender of its first response), -1 before any response. */
  peers: Int32Array;

  /** @param limit the most live transactions it will hold (the table stays at most half full). */
  constructor(private readonly limit: number) {
    const capacity = Math.min(INITIAL_CAPACITY, capacityFor(limit));
    this.mask = capacity - 1;
    this.slotState = new Uint8Array(capacity);
    this.hashes = new Int32Array(capacity);
    this.keyStart = new Int32Array(capacity);
    this.callIdLength = new Int32Array(capacity);
    this.branchLength = new Int32Array(capacity);
    this.cseqs = new Float64Array(capacity);
    this.methods = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.minuteMs = new Float64Array(capacity);
    this.requestMs = new Float64Array(capacity);
    this.peers = new Int32Array(capacity);
  }

  /** Whether a new transaction has room without going past the limit. */
  get full(): boolean {
    return this.size >= this.limit;
  }

  /** The slot of a transaction, or -1. */
  find(hash: number, callId: string, cseq: number, method: number, via: string, span: BranchSpan): number {
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = this.slotState[i];
      if (s === EMPTY) return -1;
      if (
        s === LIVE &&
        this.hashes[i] === hash &&
        this.cseqs[i] === cseq &&
        this.methods[i] === method &&
        this.sameKey(i, callId, via, span)
      )
        return i;
    }
  }

  /** Whether the slot's Call-ID and branch are these, character by character. */
  private sameKey(slot: number, callId: string, via: string, span: BranchSpan): boolean {
    const branchLength = span.end - span.start;
    if (this.callIdLength[slot] !== callId.length || this.branchLength[slot] !== branchLength) return false;
    const arena = this.arena;
    let at = this.keyStart[slot] ?? 0;
    for (let k = 0; k < callId.length; k++, at++) if (arena[at] !== callId.charCodeAt(k)) return false;
    for (let k = span.start; k < span.end; k++, at++) if (arena[at] !== via.charCodeAt(k)) return false;
    return true;
  }

  /** Copies a Call-ID and branch into the arena (growing it by doubling); returns where they start. */
  private storeKey(callId: string, via: string, span: BranchSpan): number {
    const need = callId.length + span.end - span.start;
    if (this.arenaUsed + need > this.arena.length) {
      let length = this.arena.length * 2;
      while (this.arenaUsed + need > length) length *= 2;
      const arena = new Uint16Array(length);
      arena.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = arena;
    }
    const arena = this.arena;
    const start = this.arenaUsed;
    let at = start;
    for (let k = 0; k < callId.length; k++) arena[at++] = callId.charCodeAt(k);
    for (let k = span.start; k < span.end; k++) arena[at++] = via.charCodeAt(k);
    this.arenaUsed = at;
    return start;
  }

  /** Adds a transaction known to be absent (the caller checks `full` first); returns its slot, fields zeroed. */
  insert(hash: number, callId: string, cseq: number, method: number, via: string, span: BranchSpan): number {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const mask = this.mask;
    let i = hash & mask;
    while (this.slotState[i] !== EMPTY) i = (i + 1) & mask;
    this.slotState[i] = LIVE;
    this.hashes[i] = hash;
    this.keyStart[i] = this.storeKey(callId, via, span);
    this.callIdLength[i] = callId.length;
    this.branchLength[i] = span.end - span.start;
    this.cseqs[i] = cseq;
    this.methods[i] = method;
    this.flags[i] = 0;
    this.minuteMs[i] = -1;
    this.requestMs[i] = Number.NaN;
    this.peers[i] = -1;
    this.size++;
    return i;
  }

  /** Takes a transaction out (it moved to the young generation); its slot stays a marker so probing goes on. */
  remove(slot: number): void {
    this.slotState[slot] = MOVED;
    this.size--;
  }

  /** Calls fn with each live slot. */
  forEach(fn: (slot: number) => void): void {
    for (let i = 0; i <= this.mask; i++) if (this.slotState[i] === LIVE) fn(i);
  }

  /** Forgets every transaction, keeping the arrays for the next generation. */
  clear(): void {
    this.slotState.fill(EMPTY);
    this.arenaUsed = 0;
    this.size = 0;
  }

  /** Doubles the table (a young generation only: it has no moved markers) and re-places every transaction. */
  private grow(): void {
    const old = {
      state: this.slotState,
      hashes: this.hashes,
      keyStart: this.keyStart,
      callIdLength: this.callIdLength,
      branchLength: this.branchLength,
      cseqs: this.cseqs,
      methods: this.methods,
      flags: this.flags,
      minuteMs: this.minuteMs,
      requestMs: this.requestMs,
      peers: this.peers,
    };
    const capacity = (this.mask + 1) * 2;
    this.mask = capacity - 1;
    this.slotState = new Uint8Array(capacity);
    this.hashes = new Int32Array(capacity);
    this.keyStart = new Int32Array(capacity);
    this.callIdLength = new Int32Array(capacity);
    this.branchLength = new Int32Array(capacity);
    this.cseqs = new Float64Array(capacity);
    this.methods = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.minuteMs = new Float64Array(capacity);
    this.requestMs = new Float64Array(capacity);
    this.peers = new Int32Array(capacity);
    for (let j = 0; j < old.state.length; j++) {
      if (old.state[j] !== LIVE) continue;
      let i = (old.hashes[j] ?? 0) & this.mask;
      while (this.slotState[i] !== EMPTY) i = (i + 1) & this.mask;
      this.slotState[i] = LIVE;
      this.hashes[i] = old.hashes[j] ?? 0;
      this.keyStart[i] = old.keyStart[j] ?? 0;
      this.callIdLength[i] = old.callIdLength[j] ?? 0;
      this.branchLength[i] = old.branchLength[j] ?? 0;
      this.cseqs[i] = old.cseqs[j] ?? 0;
      this.methods[i] = old.methods[j] ?? 0;
      this.flags[i] = old.flags[j] ?? 0;
      this.minuteMs[i] = old.minuteMs[j] ?? -1;
      this.requestMs[i] = old.requestMs[j] ?? Number.NaN;
      this.peers[i] = old.peers[j] ?? -1;
    }
  }
}

/** The table size that holds `limit` transactions at most half full (a power of two). */
const capacityFor = (limit: number): number => {
  let c = INITIAL_CAPACITY;
  while (c < limit * 2) c *= 2;
  return c;
};
