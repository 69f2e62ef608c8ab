/**
 * Call-level KPIs of RFC 6076 §4 from the messages of a log: SER, SEER, ISA, SCR and the delays
 * SRD, SDD and RRD. An INVITE transaction is identified by Call-ID, CSeq number and the top Via
 * branch (RFC 3261 §17.2.3), so a retransmitted INVITE is one transaction and each leg through a
 * proxy is its own. It counts when seen by its request or by any response (a log may miss the
 * request); its outcome is the first final (>= 200) response seen for it.
 *
 * Memory is bounded like the retransmission detector: transactions live in two generations and
 * the older one is dropped when the young one is full (`evicted` says how many were dropped while
 * still open). Transactions still open at the end are counted (`openTransactions`), not kept.
 *
 * Per peer: a transaction belongs to the peer that answered it, the sender of its first response
 * (the same peer key as the per-peer response counts). An open transaction holds one reference to
 * its peer's record, so per-peer KPIs add no transaction state; the records are as many as the
 * peers the tally keeps (its cardinality guard bounds them).
 */
import { DelayHistogram, type DelayHistogramData, type DelaySummary, delayBucket } from './delay-histogram.js';
import { IdentityKey } from './identity-key.js';
import { SessionTable } from './kpi-sessions.js';
import { ANSWERED, BYE, INVITE, REGISTER, SETTLED, TransactionGeneration, transactionKey } from './kpi-transactions.js';
import { setKey } from './own-key.js';
import { identityBytes } from './sip-message.js';
import { isRepresentableTime } from './time-range.js';
import type { MessageBytes, PayloadMeta, SipMessage } from './types.js';

/** Default bound on remembered transactions (~200 bytes each, so ~40 MB at most). */
export const MAX_TRACKED_TRANSACTIONS = 200_000;

/** RFC 6076 §4.6: final responses that show the network did its job although no session was set up. */
const EFFECTIVE_CODES: ReadonlySet<number> = new Set([200, 480, 486, 600, 603]);
/** RFC 6076 §4.7: final responses of an ineffective session attempt. */
const INEFFECTIVE_CODES: ReadonlySet<number> = new Set([408, 500, 503, 504]);

const MS_PER_MINUTE = 60_000;

/** Numerators and denominators of SER, SEER and ISA; summable over files, minutes and segments. */
export interface KpiCounts {
  /** INVITE transactions seen (by request or response). */
  inviteTransactions: number;
  /** ... whose outcome is a 3xx (taken out of the SER and SEER denominators). */
  redirected: number;
  /** ... whose outcome is 200 (SER numerator). */
  established: number;
  /** ... whose outcome is 200, 480, 486, 600 or 603 (SEER numerator). */
  effective: number;
  /** ... whose outcome is 408, 500, 503 or 504 (ISA numerator). */
  ineffective: number;
  /** ... established and ended by a BYE answered 2xx in the same log (SCR numerator). */
  completed: number;
}

/** The KPI counts of one minute (by the time the transaction was first seen: its INVITE). */
export interface KpiMinute extends KpiCounts {
  /** Start of the minute, ISO 8601 UTC. */
  readonly minute: string;
}

/** Everything the KPI tracker found; plain data, mergeable, safe to JSON.stringify. */
export interface KpiData extends KpiCounts {
  /** INVITE transactions with no final response at the end of the log (or of memory). */
  openTransactions: number;
  /** Transactions forgotten while open because more than MAX_TRACKED_TRANSACTIONS were in flight. */
  evicted: number;
  readonly srd: DelayHistogramData;
  readonly sdd: DelayHistogramData;
  readonly rrd: DelayHistogramData;
  readonly series: KpiMinute[];
  /** SRD, SDD and RRD per minute of the transaction's first message (minutes with a delay only), for metrics. */
  readonly delaySeries: KpiDelayMinute[];
  /**
   * Per peer (the sender of each transaction's responses): the transactions it answered. A transaction nobody
   * answered (no response in the log) belongs to no peer, so the peers add up to the totals minus those.
   */
  readonly byPeer: Record<string, KpiPeerData>;
}

/** The KPIs of the transactions one peer answered. */
export interface KpiPeerData extends KpiCounts {
  readonly srd: DelayHistogramData;
  readonly sdd: DelayHistogramData;
  readonly rrd: DelayHistogramData;
  /** Per minute of each transaction's INVITE (bounded: see MAX_PEER_MINUTE_CELLS). */
  readonly series: KpiMinute[];
}

/** Resolves the sender of a response (PayloadMeta.src) to its peer key, as the per-peer response counts do. */
export type PeerKeyOf = (sender: string | undefined) => string;

/** Senders whose peer index the tracker remembers (a cache of the tally's decision). */
const MAX_REMEMBERED_SENDERS = 50_000;

/** Distinct (peer, minute) KPI rows kept per scan; past it a minute's new peers go to `other` (peer totals stay exact). */
export const MAX_PEER_MINUTE_CELLS = 100_000;
/** The key of peers past the bounds (as in tally.ts and peers.ts). */
const OTHER_PEER_KEY = 'other';
/** Peer key of every transaction when no resolver is given (a tracker used on its own). */
const NO_PEER_KEY = 'unknown';

/** The three delays of one minute, by the time each transaction was first seen. */
export interface KpiDelayMinute {
  /** Start of the minute, ISO 8601 UTC. */
  readonly minute: string;
  readonly srd: DelayHistogramData;
  readonly sdd: DelayHistogramData;
  readonly rrd: DelayHistogramData;
}

type DelayKind = 'srd' | 'sdd' | 'rrd';
type DelayHistograms = Record<DelayKind, DelayHistogram>;
const newDelayHistograms = (): DelayHistograms => ({
  srd: new DelayHistogram(),
  sdd: new DelayHistogram(),
  rrd: new DelayHistogram(),
});

/** The `kpis` object of a report: RFC 6076 percentages (2 decimals, null without a denominator). */
export interface KpiReport {
  readonly inviteTransactions: number;
  readonly ser: number | null;
  readonly seer: number | null;
  readonly isa: number | null;
  readonly scr: number | null;
  readonly srdMs: DelaySummary;
  readonly sddMs: DelaySummary;
  readonly rrdMs: DelaySummary;
}

/** The KPI counts of one peer; created when the peer first answers a tracked transaction. */
class PeerKpis {
  readonly counts = zeroCounts();
  readonly minutes = new Map<number, KpiCounts>();
  /** Created with the first delay: most peers answer no timed INVITE, BYE or REGISTER. */
  delays: DelayHistograms | undefined;
  /** The row of the minute last counted in (most counts land in the minute before), -1 for none. */
  lastMinuteMs = -1;
  lastMinute: KpiCounts | undefined;
  /** Its place in the tracker's list of answering peers (what a transaction holds), -1 until it answers one. */
  index = -1;
}

/** Every field of KpiCounts. */
export const KPI_COUNT_FIELDS: readonly (keyof KpiCounts)[] = [
  'inviteTransactions',
  'redirected',
  'established',
  'effective',
  'ineffective',
  'completed',
];

/** Counts of nothing. */
export const zeroCounts = (): KpiCounts => ({
  inviteTransactions: 0,
  redirected: 0,
  established: 0,
  effective: 0,
  ineffective: 0,
  completed: 0,
});

/** Adds `from` into `into`, field by field. */
export const addCounts = (into: KpiCounts, from: Readonly<KpiCounts>): void => {
  for (const f of KPI_COUNT_FIELDS) into[f] += from[f];
};

/** The tracked method's code, 0 for any other method. */
const methodCode = (m: string): number =>
  m === 'INVITE' ? INVITE : m === 'BYE' ? BYE : m === 'REGISTER' ? REGISTER : 0;

/** The branch parameter of a Via value (RFC 3261 §20.42), '' when there is none (RFC 2543 peers). */
export const viaBranch = (via: string | undefined): string => {
  if (via === undefined) return '';
  // the parser's own search (sip-message.ts), over the value written into its reused buffer: one rule, not two
  const b = identityBytes({ kind: 'request', topVia: via });
  return b.branchStart < 0 ? '' : b.buf.toString('latin1', b.branchStart, b.branchEnd);
};

/** Outcome bits of a final response code (a table: one load instead of two Set lookups per settled INVITE). */
const REDIRECTED_BIT = 1;
const ESTABLISHED_BIT = 2;
const EFFECTIVE_BIT = 4;
const INEFFECTIVE_BIT = 8;
const OUTCOME_BITS = ((): Uint8Array => {
  const t = new Uint8Array(700);
  for (let c = 300; c < 400; c++) t[c] = REDIRECTED_BIT;
  for (const c of EFFECTIVE_CODES) t[c] = (t[c] ?? 0) | EFFECTIVE_BIT;
  for (const c of INEFFECTIVE_CODES) t[c] = (t[c] ?? 0) | INEFFECTIVE_BIT;
  t[200] = (t[200] ?? 0) | ESTABLISHED_BIT;
  return t;
})();

/** Options of a KpiTracker. */
export interface KpiTrackerOptions {
  /** Bound on remembered transactions. @default MAX_TRACKED_TRANSACTIONS */
  readonly maxTransactions?: number;
  /** The peer key of a response's sender (the tally's, so both agree); without it every peer is `unknown`. */
  readonly peerKeyOf?: PeerKeyOf;
  /** Track KPIs at all; off, every message is ignored and the KPIs stay zero (to measure their cost). @default true */
  readonly enabled?: boolean;
}

/** Follows INVITE, BYE and REGISTER transactions and accumulates the KPIs. */
export class KpiTracker {
  private readonly totals = zeroCounts();
  private readonly minutes = new Map<number, KpiCounts>();
  /**
   * Transactions in two generations: the old one is dropped when the young one is full (its open INVITEs are
   * counted as evicted), and a transaction seen again while old moves to the young one.
   */
  private young: TransactionGeneration;
  private old: TransactionGeneration;
  /** Call-ID -> INVITE transactions answered 200 and not yet ended by a BYE 2xx. */
  private readonly sessions: SessionTable;
  private readonly delays = newDelayHistograms();
  private readonly minuteDelays = new Map<number, DelayHistograms>();
  private readonly peers = new Map<string, PeerKpis>();
  /** The peers that answered a transaction, by the index a transaction holds. */
  private readonly answering: PeerKpis[] = [];
  private readonly peerKeyOf: PeerKeyOf;
  /** Sender (PayloadMeta.src) -> index of its peer in `answering`. */
  private readonly senderPeers = new Map<string | undefined, number>();
  private readonly enabled: boolean;
  /** The identity of the message being observed (reused: no object or string per message). */
  private readonly key = new IdentityKey();
  private peerMinuteCells = 0;
  /** The row of the minute last counted in: most counts land in the same minute as the one before. */
  private lastMinuteMs = -1;
  private lastMinute: KpiCounts | undefined;
  /** The delays of the minute last added to (as lastMinute, for delaysOf). */
  private lastDelayMinuteMs = -1;
  private lastDelays: DelayHistograms | undefined;
  private evicted = 0;
  private mergedOpen = 0;

  /** @param options a number is the bound on remembered transactions (the older signature). */
  constructor(options: KpiTrackerOptions | number = {}) {
    const o = typeof options === 'number' ? { maxTransactions: options } : options;
    const half = Math.max(1, Math.floor((o.maxTransactions ?? MAX_TRACKED_TRANSACTIONS) / 2));
    this.young = new TransactionGeneration(half);
    this.old = new TransactionGeneration(half);
    this.sessions = new SessionTable(half);
    this.peerKeyOf = o.peerKeyOf ?? (() => NO_PEER_KEY);
    this.enabled = o.enabled ?? true;
  }

  /** Records one framed message. */
  observe(msg: SipMessage, meta: PayloadMeta): void {
    if (!this.enabled) return;
    const { cseqNumber, cseqMethod } = msg;
    if (cseqNumber === undefined || cseqMethod === undefined) return;
    const method = methodCode(cseqMethod);
    if (method === 0) return;
    if (msg.kind === 'request' && msg.method !== cseqMethod) return;
    const bytes = identityBytes(msg);
    if (bytes.callIdStart < 0) return;
    // a damaged time (beyond a Date's range) leaves the transaction untimed, as the tally leaves its response
    const timeMs = meta.timeMs !== undefined && isRepresentableTime(meta.timeMs) ? meta.timeMs : undefined;
    const key = this.key;
    const hash = transactionKey(key, bytes, cseqNumber, method);
    let t = this.young;
    let slot = t.find(key, hash);
    // an empty old generation (no rotation yet: most logs) is not probed, a cache miss saved per new transaction
    if (slot < 0 && this.old.size > 0) {
      const o = this.old.find(key, hash);
      if (o >= 0) {
        // seen again: it moves to the young generation (out of the old one first, so a rotation does not drop it)
        const from = this.old;
        const flags = from.flags(o);
        const minuteMs = from.minuteMs(o);
        const requestMs = from.requestMs(o);
        const peer = from.peer(o);
        from.remove(o);
        t = this.roomForOne();
        slot = t.add(key, hash, method);
        t.setFlags(slot, flags);
        t.setMinuteMs(slot, minuteMs);
        t.setRequestMs(slot, requestMs);
        t.setPeer(slot, peer);
      }
    }
    if (slot >= 0 && (t.flags(slot) & SETTLED) !== 0) return;
    if (slot < 0) {
      t = this.roomForOne();
      slot = t.add(key, hash, method);
      const minuteMs = timeMs === undefined ? -1 : Math.floor(timeMs / MS_PER_MINUTE) * MS_PER_MINUTE;
      t.setMinuteMs(slot, minuteMs);
      if (method === INVITE) this.bump(minuteMs, 'inviteTransactions');
    }
    const flags = t.flags(slot);
    const minuteMs = t.minuteMs(slot);
    const requestMs = t.requestMs(slot);
    if (msg.kind === 'request') {
      // a retransmission keeps the first send time: RFC 6076 §4.1 measures from the first request
      if (Number.isNaN(requestMs) && timeMs !== undefined && (flags & ANSWERED) === 0) t.setRequestMs(slot, timeMs);
      return;
    }
    const code = msg.statusCode;
    if (code === undefined || code < 100 || code > 699) return;
    let peerIndex = t.peer(slot);
    if (peerIndex < 0) {
      // the first response decides who answered; its INVITE counts for that peer from now on
      peerIndex = this.peerFor(meta.src);
      t.setPeer(slot, peerIndex);
      if (method === INVITE) this.bumpPeer(this.answeringPeer(peerIndex), minuteMs, 'inviteTransactions');
    }
    const peer = this.answeringPeer(peerIndex);
    if (method === INVITE && code > 100 && (flags & ANSWERED) === 0) {
      // RFC 6076 §4.1: SRD ends at the first provisional other than 100 Trying, or a final
      t.setFlags(slot, flags | ANSWERED);
      if (!Number.isNaN(requestMs) && timeMs !== undefined) this.addDelay('srd', minuteMs, timeMs - requestMs, peer);
    }
    if (code < 200) return;
    // the outcome is settled: later messages of the transaction are recognised and ignored
    t.setFlags(slot, t.flags(slot) | SETTLED);
    if (method === INVITE) this.settleInvite(minuteMs, peer, code, bytes);
    else {
      if (!Number.isNaN(requestMs) && timeMs !== undefined)
        this.addDelay(method === BYE ? 'sdd' : 'rrd', minuteMs, timeMs - requestMs, peer);
      if (method === BYE && code >= 200 && code < 300) this.sessions.end(bytes, this.completeSession);
    }
  }

  /**
   * The young generation, with room for one more transaction: when it is full the old one is dropped (its open
   * INVITEs counted as evicted) and the young one takes its place.
   */
  private roomForOne(): TransactionGeneration {
    if (!this.young.full) return this.young;
    const dropped = this.old;
    dropped.forEach((slot) => {
      if (dropped.method(slot) === INVITE && (dropped.flags(slot) & SETTLED) === 0) this.evicted++;
    });
    dropped.clear();
    this.old = this.young;
    this.young = dropped;
    return dropped;
  }

  private answeringPeer(index: number): PeerKpis {
    const p = this.answering[index];
    if (p === undefined) throw new Error(`KPI peer index ${index} out of range`);
    return p;
  }

  private settleInvite(minuteMs: number, peer: PeerKpis, code: number, bytes: MessageBytes): void {
    const outcome = OUTCOME_BITS[code] ?? 0;
    if (outcome === 0) return;
    // a method, not a closure: one settled INVITE is one call, no function object made
    if ((outcome & REDIRECTED_BIT) !== 0) this.bumpBoth(minuteMs, peer, 'redirected');
    if ((outcome & EFFECTIVE_BIT) !== 0) this.bumpBoth(minuteMs, peer, 'effective');
    if ((outcome & INEFFECTIVE_BIT) !== 0) this.bumpBoth(minuteMs, peer, 'ineffective');
    if ((outcome & ESTABLISHED_BIT) !== 0) {
      this.bumpBoth(minuteMs, peer, 'established');
      this.sessions.add(bytes, minuteMs, peer.index);
    }
  }

  /** Counts one outcome in the totals, the minute and the peer. */
  private bumpBoth(minuteMs: number, peer: PeerKpis, field: keyof KpiCounts): void {
    this.bump(minuteMs, field);
    this.bumpPeer(peer, minuteMs, field);
  }

  /**
   * RFC 6076 §4.9: every session of the dialog answered 200 is completed by the BYE's 2xx (called by the session
   * table for each; an arrow made once, not a closure per BYE).
   */
  private readonly completeSession = (minuteMs: number, peer: number): void => {
    this.bump(minuteMs, 'completed');
    this.bumpPeer(this.answeringPeer(peer), minuteMs, 'completed');
  };

  /**
   * The index of the peer that sent a response (its record created on its first answer). A sender's peer never
   * changes (the tally decides it once), so it is remembered by sender: one lookup per answered transaction.
   */
  private peerFor(sender: string | undefined): number {
    const known = this.senderPeers.get(sender);
    if (known !== undefined) return known;
    const index = this.answeringIndex(this.peerKeyOf(sender));
    // a cache, not state: bounded by forgetting it all (the tally still knows every sender's peer)
    if (this.senderPeers.size >= MAX_REMEMBERED_SENDERS) this.senderPeers.clear();
    this.senderPeers.set(sender, index);
    return index;
  }

  /** The index of the peer with this key in the answering list (added on its first answer). */
  private answeringIndex(key: string): number {
    let p = this.peers.get(key);
    if (p === undefined) {
      p = new PeerKpis();
      this.peers.set(key, p);
    }
    if (p.index < 0) {
      p.index = this.answering.length;
      this.answering.push(p);
    }
    return p.index;
  }

  private addDelay(kind: DelayKind, minuteMs: number, ms: number, peer: PeerKpis): void {
    // one logarithm for the three histograms the delay goes into
    const bucket = delayBucket(ms);
    this.delays[kind].add(ms, bucket);
    if (minuteMs >= 0) this.delaysOf(minuteMs)[kind].add(ms, bucket);
    if (peer.delays === undefined) peer.delays = newDelayHistograms();
    peer.delays[kind].add(ms, bucket);
  }

  private delaysOf(minuteMs: number): DelayHistograms {
    // logs are mostly in time order: the minute of the last delay is usually this one (no Map lookup)
    if (minuteMs === this.lastDelayMinuteMs && this.lastDelays !== undefined) return this.lastDelays;
    let d = this.minuteDelays.get(minuteMs);
    if (d === undefined) {
      d = newDelayHistograms();
      this.minuteDelays.set(minuteMs, d);
    }
    this.lastDelayMinuteMs = minuteMs;
    this.lastDelays = d;
    return d;
  }

  private bumpPeer(peer: PeerKpis, minuteMs: number, field: keyof KpiCounts): void {
    peer.counts[field]++;
    if (minuteMs < 0) return;
    this.peerMinute(peer, minuteMs)[field]++;
  }

  /** A peer's row of one minute; past MAX_PEER_MINUTE_CELLS a new row goes to the `other` peer's minute. */
  private peerMinute(peer: PeerKpis, minuteMs: number): KpiCounts {
    if (minuteMs === peer.lastMinuteMs && peer.lastMinute !== undefined) return peer.lastMinute;
    let b = peer.minutes.get(minuteMs);
    if (b !== undefined) {
      peer.lastMinuteMs = minuteMs;
      peer.lastMinute = b;
      return b;
    }
    let owner = peer;
    if (this.peerMinuteCells >= MAX_PEER_MINUTE_CELLS) {
      owner = this.peers.get(OTHER_PEER_KEY) ?? new PeerKpis();
      this.peers.set(OTHER_PEER_KEY, owner);
      b = owner.minutes.get(minuteMs);
      if (b !== undefined) return b;
    }
    b = zeroCounts();
    owner.minutes.set(minuteMs, b);
    this.peerMinuteCells++;
    if (owner === peer) {
      peer.lastMinuteMs = minuteMs;
      peer.lastMinute = b;
    }
    return b;
  }

  private bump(minuteMs: number, field: keyof KpiCounts): void {
    this.totals[field]++;
    if (minuteMs < 0) return;
    let b = minuteMs === this.lastMinuteMs ? this.lastMinute : this.minutes.get(minuteMs);
    if (b === undefined) {
      b = zeroCounts();
      this.minutes.set(minuteMs, b);
    }
    this.lastMinuteMs = minuteMs;
    this.lastMinute = b;
    b[field]++;
  }

  /** Adds the KPIs of another scan (approximate across a split: a transaction cut in two counts twice). */
  merge(d: KpiData): void {
    addCounts(this.totals, d);
    this.evicted += d.evicted;
    this.mergedOpen += d.openTransactions;
    this.delays.srd.merge(d.srd);
    this.delays.sdd.merge(d.sdd);
    this.delays.rrd.merge(d.rrd);
    for (const m of d.delaySeries) {
      const into = this.delaysOf(Date.parse(m.minute));
      into.srd.merge(m.srd);
      into.sdd.merge(m.sdd);
      into.rrd.merge(m.rrd);
    }
    for (const m of d.series) {
      const ms = Date.parse(m.minute);
      let b = this.minutes.get(ms);
      if (b === undefined) {
        b = zeroCounts();
        this.minutes.set(ms, b);
      }
      addCounts(b, m);
    }
    for (const [key, pd] of Object.entries(d.byPeer)) {
      const p = this.peers.get(key) ?? new PeerKpis();
      this.peers.set(key, p);
      addCounts(p.counts, pd);
      if (pd.srd.count + pd.sdd.count + pd.rrd.count > 0) {
        if (p.delays === undefined) p.delays = newDelayHistograms();
        p.delays.srd.merge(pd.srd);
        p.delays.sdd.merge(pd.sdd);
        p.delays.rrd.merge(pd.rrd);
      }
      for (const m of pd.series) addCounts(this.peerMinute(p, Date.parse(m.minute)), m);
    }
  }

  /** Number of transactions currently remembered (for tests of the bound). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /** A plain snapshot; open transactions are counted here, their state is not carried on. */
  toData(): KpiData {
    let open = this.mergedOpen;
    for (const g of [this.young, this.old])
      g.forEach((slot) => {
        if (g.method(slot) === INVITE && (g.flags(slot) & SETTLED) === 0) open++;
      });
    const iso = new MinuteNames();
    const series = minuteRows(this.minutes, iso);
    return {
      ...this.totals,
      openTransactions: open,
      evicted: this.evicted,
      srd: this.delays.srd.toData(),
      sdd: this.delays.sdd.toData(),
      rrd: this.delays.rrd.toData(),
      series,
      delaySeries: [...this.minuteDelays.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([ms, d]) => ({
          minute: iso.of(ms),
          srd: d.srd.toData(),
          sdd: d.sdd.toData(),
          rrd: d.rrd.toData(),
        })),
      byPeer: this.peerRecords(iso),
    };
  }

  /**
   * Every peer's record, by key in code-unit order. Built in one loop (no entry arrays, spreads or comparator
   * closure): with ~3,000 peers this was a third of what the KPIs cost a 60 MB scan.
   */
  private peerRecords(iso: MinuteNames): Record<string, KpiPeerData> {
    // the default sort orders strings by UTF-16 code units, as the `<` comparison did
    const keys = [...this.peers.keys()].sort();
    const out: Record<string, KpiPeerData> = {};
    for (const key of keys) {
      const p = this.peers.get(key);
      if (p !== undefined) setKey(out, key, peerData(p, iso));
    }
    return out;
  }
}

const EMPTY_DELAYS: DelayHistogramData = { count: 0, sumMs: 0, minMs: null, maxMs: null, buckets: {} };

/** The KPIs of a peer that answered no INVITE, BYE or REGISTER. */
export const NO_PEER_KPIS: KpiPeerData = {
  ...zeroCounts(),
  srd: EMPTY_DELAYS,
  sdd: EMPTY_DELAYS,
  rrd: EMPTY_DELAYS,
  series: [],
};

/** The ISO 8601 names of minutes, each made once per snapshot (peers share the same few minutes). */
class MinuteNames {
  private readonly names = new Map<number, string>();
  of(ms: number): string {
    let s = this.names.get(ms);
    if (s === undefined) {
      s = new Date(ms).toISOString();
      this.names.set(ms, s);
    }
    return s;
  }
}

/** A minute row as plain data: fields written out (a spread of the counts took the slow, generic copy). */
const minuteRow = (minute: string, c: KpiCounts): KpiMinute => ({
  minute,
  inviteTransactions: c.inviteTransactions,
  redirected: c.redirected,
  established: c.established,
  effective: c.effective,
  ineffective: c.ineffective,
  completed: c.completed,
});

/** Minute rows in time order. */
const minuteRows = (minutes: ReadonlyMap<number, KpiCounts>, iso: MinuteNames): KpiMinute[] => {
  const ms = [...minutes.keys()].sort((a, b) => a - b);
  const rows: KpiMinute[] = [];
  for (const m of ms) {
    const c = minutes.get(m);
    if (c !== undefined) rows.push(minuteRow(iso.of(m), c));
  }
  return rows;
};

/**
 * A peer's histogram as plain data; an empty one is the shared empty record (most peers measured one or two of
 * the three delays, and each record made is an object with its own buckets object).
 */
const delayData = (h: DelayHistogram | undefined): DelayHistogramData =>
  h === undefined || h.empty ? EMPTY_DELAYS : h.toData();

/** A peer's record as plain data. */
const peerData = (p: PeerKpis, iso: MinuteNames): KpiPeerData => {
  const c = p.counts;
  return {
    inviteTransactions: c.inviteTransactions,
    redirected: c.redirected,
    established: c.established,
    effective: c.effective,
    ineffective: c.ineffective,
    completed: c.completed,
    srd: delayData(p.delays?.srd),
    sdd: delayData(p.delays?.sdd),
    rrd: delayData(p.delays?.rrd),
    series: p.minutes.size === 0 ? [] : minuteRows(p.minutes, iso),
  };
};

/** A percentage with 2 decimals, null when the denominator is 0. */
export const percent = (num: number, den: number): number | null =>
  den <= 0 ? null : Math.round((num / den) * 10_000) / 100;

/** SER, SEER, ISA, SCR of a set of counts (RFC 6076 §4.5-§4.9). */
export const kpiRatios = (
  c: Readonly<KpiCounts>,
): { ser: number | null; seer: number | null; isa: number | null; scr: number | null } => {
  const answerable = c.inviteTransactions - c.redirected;
  return {
    ser: percent(c.established, answerable),
    seer: percent(c.effective, answerable),
    isa: percent(c.ineffective, c.inviteTransactions),
    scr: percent(c.completed, c.inviteTransactions),
  };
};

const summaryOf = (d: DelayHistogramData): DelaySummary => {
  const h = new DelayHistogram();
  h.merge(d);
  return h.summary();
};

/** The report form of the KPI data (of a file, or of one peer). */
export const toKpiReport = (d: KpiCounts & Pick<KpiPeerData, 'srd' | 'sdd' | 'rrd'>): KpiReport => ({
  inviteTransactions: d.inviteTransactions,
  ...kpiRatios(d),
  srdMs: summaryOf(d.srd),
  sddMs: summaryOf(d.sdd),
  rrdMs: summaryOf(d.rrd),
});
