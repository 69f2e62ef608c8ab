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
 * (the same peer key as the per-peer response counts). An open transaction holds its peer's record
 * number, so per-peer KPIs add no transaction state; the records (kpi-peers.ts) are as many as the
 * peers the tally keeps (its cardinality guard bounds them).
 */
import { classifyStatusCode } from '../contract/classes.js';
import { DelayHistogram, type DelayHistogramData, type DelaySummary, delayBucket } from './delay-histogram.js';
import { IndexMemo } from './index-memo.js';
import {
  EMPTY_DELAYS,
  F_COMPLETED,
  F_EFFECTIVE,
  F_ESTABLISHED,
  F_INEFFECTIVE,
  F_INVITES,
  F_REDIRECTED,
  KPI_COUNT_FIELDS,
  MinuteNames,
  minuteRow,
  PeerKpiTable,
  RRD,
  SDD,
  SRD,
} from './kpi-peers.js';
import { SessionTable } from './kpi-sessions.js';
import { ANSWERED, BYE, INVITE, REGISTER, SETTLED, TransactionGeneration, TransactionKey } from './kpi-transactions.js';
import { BYE_ID, INVITE_ID, REGISTER_ID } from './method-ids.js';
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

/** Names the peers a tally filed responses under, by the index it gave each (Tally.lastPeer). */
export interface PeerKeys {
  peerKeyAt(index: number): string;
}

/** The peer of a message no tally filed (a request, an unclassed response, a tracker used on its own). */
export const NO_PEER = -1;

/** Distinct (peer, minute) KPI rows kept per scan; past it a minute's new peers go to `other` (peer totals stay exact). */
export const MAX_PEER_MINUTE_CELLS = 100_000;
/** Peer key of every transaction of a tracker used without a tally (no `peerKeys`; `observe` given NO_PEER). */
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
/** The delays by the numbers kpi-peers.ts gives them (SRD, SDD, RRD). */
const DELAY_KINDS: readonly DelayKind[] = ['srd', 'sdd', 'rrd'];
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

/** Every field of KpiCounts. */
export { KPI_COUNT_FIELDS };

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

/** methodCode by the method's number when the parser gave one (method-ids.ts), by its string otherwise. */
const methodCodeOf = (m: string, id: number | undefined): number => {
  if (id === undefined || id < 0) return methodCode(m);
  return id === INVITE_ID ? INVITE : id === BYE_ID ? BYE : id === REGISTER_ID ? REGISTER : 0;
};

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
  /** The keys of the peer indexes `observe` is given (the tally's, so both agree); without it every peer is `unknown`. */
  readonly peerKeys?: PeerKeys;
  /** Track KPIs at all; off, every message is ignored and the KPIs stay zero (to measure their cost). @default true */
  readonly enabled?: boolean;
  /** Keep the per-minute rows (`series`, `delaySeries`, each peer's `series`); off they stay empty. @default true */
  readonly perMinute?: boolean;
  /** Keep the KPIs of each answering peer (`byPeer`); off it stays empty. @default true */
  readonly perPeer?: boolean;
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
  /** Per answering peer, by the record number a transaction holds. */
  private readonly peers = new PeerKpiTable(MAX_PEER_MINUTE_CELLS);
  private readonly peerKeys: PeerKeys | undefined;
  /**
   * The tally's peer index -> the peer's record number in `peers`. A peer's key never changes once the tally decided
   * it, so this is exact; it is as long as the tally's peers (bounded by its guard).
   */
  private readonly byTallyPeer = new IndexMemo();
  private readonly enabled: boolean;
  private readonly perMinute: boolean;
  private readonly perPeer: boolean;
  /** The identity of the message being observed (reused: no object or string per message). */
  private readonly key = new TransactionKey();
  /**
   * The row of the minute last counted in: most counts land in the same minute as the one before. NaN before the
   * first (a double from the start: a field that starts as a small integer and later takes a minute's milliseconds
   * changes the tracker's shape mid-scan, and V8 drops the code optimised for it).
   */
  private lastMinuteMs = Number.NaN;
  private lastMinute: KpiCounts | undefined;
  /** The delays of the minute last added to (as lastMinute, for delaysOf). */
  private lastDelayMinuteMs = Number.NaN;
  private lastDelays: DelayHistograms | undefined;
  private evicted = 0;

  /** @param options a number is the bound on remembered transactions (the older signature). */
  constructor(options: KpiTrackerOptions | number = {}) {
    const o = typeof options === 'number' ? { maxTransactions: options } : options;
    const half = Math.max(1, Math.floor((o.maxTransactions ?? MAX_TRACKED_TRANSACTIONS) / 2));
    this.young = new TransactionGeneration(half);
    this.old = new TransactionGeneration(half);
    this.sessions = new SessionTable(half);
    this.peerKeys = o.peerKeys;
    this.enabled = o.enabled ?? true;
    this.perMinute = o.perMinute ?? true;
    this.perPeer = o.perPeer ?? true;
  }

  /**
   * Records one framed message. `peer`: the tally's index of the peer it filed a response under (Tally.lastPeer),
   * NO_PEER for a request or without a tally.
   */
  observe(msg: SipMessage, meta: PayloadMeta, peer = NO_PEER): void {
    if (!this.enabled) return;
    const { cseqNumber, cseqMethod } = msg;
    if (cseqNumber === undefined || cseqMethod === undefined) return;
    const method = methodCodeOf(cseqMethod, msg.cseqMethodId);
    if (method === 0) return;
    if (msg.kind === 'request' && msg.method !== cseqMethod) return;
    const bytes = identityBytes(msg);
    if (bytes.callIdStart < 0) return;
    // a damaged time (beyond a Date's range) leaves the transaction untimed, as the tally leaves its response
    const timeMs = meta.timeMs !== undefined && isRepresentableTime(meta.timeMs) ? meta.timeMs : undefined;
    const key = this.key;
    const hash = key.set(bytes, cseqNumber, method);
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
      // without per-minute rows a transaction counts in no minute: its totals and delays are the same
      const minuteMs =
        timeMs === undefined || !this.perMinute ? -1 : Math.floor(timeMs / MS_PER_MINUTE) * MS_PER_MINUTE;
      t.setMinuteMs(slot, minuteMs);
      if (method === INVITE) this.bump(minuteMs, F_INVITES);
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
    // the tally's own test: a response it could not class (so filed under no peer) counts for no transaction either
    if (code === undefined || classifyStatusCode(code) === null) return;
    let peerIndex = t.peer(slot);
    // without per-peer KPIs a transaction keeps NO_PEER, which the peer table is never given
    if (peerIndex < 0 && this.perPeer) {
      // the first response decides who answered; its INVITE counts for that peer from now on
      peerIndex = this.peerFor(peer);
      t.setPeer(slot, peerIndex);
      if (method === INVITE) this.peers.bump(peerIndex, minuteMs, F_INVITES);
    }
    if (method === INVITE && code > 100 && (flags & ANSWERED) === 0) {
      // RFC 6076 §4.1: SRD ends at the first provisional other than 100 Trying, or a final
      t.setFlags(slot, flags | ANSWERED);
      if (!Number.isNaN(requestMs) && timeMs !== undefined) this.addDelay(SRD, minuteMs, timeMs - requestMs, peerIndex);
    }
    if (code < 200) return;
    // the outcome is settled: later messages of the transaction are recognised and ignored
    t.setFlags(slot, t.flags(slot) | SETTLED);
    if (method === INVITE) this.settleInvite(minuteMs, peerIndex, code, bytes);
    else {
      if (!Number.isNaN(requestMs) && timeMs !== undefined)
        this.addDelay(method === BYE ? SDD : RRD, minuteMs, timeMs - requestMs, peerIndex);
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
    this.evicted += dropped.openInvites;
    dropped.clear();
    this.old = this.young;
    this.young = dropped;
    return dropped;
  }

  private settleInvite(minuteMs: number, peer: number, code: number, bytes: MessageBytes): void {
    const outcome = OUTCOME_BITS[code] ?? 0;
    if (outcome === 0) return;
    // a method, not a closure: one settled INVITE is one call, no function object made
    if ((outcome & REDIRECTED_BIT) !== 0) this.bumpBoth(minuteMs, peer, F_REDIRECTED);
    if ((outcome & EFFECTIVE_BIT) !== 0) this.bumpBoth(minuteMs, peer, F_EFFECTIVE);
    if ((outcome & INEFFECTIVE_BIT) !== 0) this.bumpBoth(minuteMs, peer, F_INEFFECTIVE);
    if ((outcome & ESTABLISHED_BIT) !== 0) {
      this.bumpBoth(minuteMs, peer, F_ESTABLISHED);
      this.sessions.add(bytes, minuteMs, peer);
    }
  }

  /** Counts one outcome in the totals, the minute and the peer. */
  private bumpBoth(minuteMs: number, peer: number, field: number): void {
    this.bump(minuteMs, field);
    if (peer >= 0) this.peers.bump(peer, minuteMs, field);
  }

  /**
   * RFC 6076 §4.9: every session of the dialog answered 200 is completed by the BYE's 2xx (called by the session
   * table for each; an arrow made once, not a closure per BYE).
   */
  private readonly completeSession = (minuteMs: number, peer: number): void => {
    this.bumpBoth(minuteMs, peer, F_COMPLETED);
  };

  /**
   * The record number of the tally's peer `peer` (its record made on its first answer): a typed-array read per
   * answered transaction once the peer is known.
   */
  private peerFor(peer: number): number {
    if (peer < 0 || this.peerKeys === undefined) return this.peers.index(NO_PEER_KEY);
    const known = this.byTallyPeer.get(peer);
    if (known >= 0) return known;
    const index = this.peers.index(this.peerKeys.peerKeyAt(peer));
    this.byTallyPeer.set(peer, index);
    return index;
  }

  private addDelay(kind: number, minuteMs: number, ms: number, peer: number): void {
    // one logarithm for the three histograms the delay goes into
    const bucket = delayBucket(ms);
    const name = DELAY_KINDS[kind] ?? 'srd';
    this.delays[name].add(ms, bucket);
    if (minuteMs >= 0) this.delaysOf(minuteMs)[name].add(ms, bucket);
    if (peer >= 0) this.peers.addDelay(peer, kind, ms, bucket);
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

  private bump(minuteMs: number, f: number): void {
    const field = KPI_COUNT_FIELDS[f] ?? 'inviteTransactions';
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

  /** Number of transactions currently remembered (for tests of the bound). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /** A plain snapshot; open transactions are counted here, their state is not carried on. */
  toData(): KpiData {
    const iso = new MinuteNames();
    const series = minuteRows(this.minutes, iso);
    return {
      ...this.totals,
      openTransactions: this.young.openInvites + this.old.openInvites,
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
      byPeer: this.peers.records(iso),
    };
  }
}

/** The KPIs of a peer that answered no INVITE, BYE or REGISTER. */
export const NO_PEER_KPIS: KpiPeerData = {
  ...zeroCounts(),
  srd: EMPTY_DELAYS,
  sdd: EMPTY_DELAYS,
  rrd: EMPTY_DELAYS,
  series: [],
};

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
