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
 */
import { DelayHistogram, type DelayHistogramData, type DelaySummary } from './delay-histogram.js';
import type { PayloadMeta, SipMessage } from './types.js';

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
}

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

type TrackedMethod = 'INVITE' | 'BYE' | 'REGISTER';

interface TransactionState {
  readonly method: TrackedMethod;
  readonly callId: string;
  /** Minute (ms) the transaction counts in, or -1 when untimed. */
  readonly minuteMs: number;
  /** Time of its first request, if seen and timed. */
  requestMs: number | undefined;
  /** First final status code, 0 while open. */
  outcome: number;
  /** SRD taken (the first non-100 response has been seen). */
  answered: boolean;
}

const zeroCounts = (): KpiCounts => ({
  inviteTransactions: 0,
  redirected: 0,
  established: 0,
  effective: 0,
  ineffective: 0,
  completed: 0,
});

const addCounts = (into: KpiCounts, from: Readonly<KpiCounts>): void => {
  into.inviteTransactions += from.inviteTransactions;
  into.redirected += from.redirected;
  into.established += from.established;
  into.effective += from.effective;
  into.ineffective += from.ineffective;
  into.completed += from.completed;
};

const trackedMethod = (m: string): TrackedMethod | null =>
  m === 'INVITE' || m === 'BYE' || m === 'REGISTER' ? m : null;

/** The branch parameter of a Via value (RFC 3261 §20.42), '' when there is none (RFC 2543 peers). */
export const viaBranch = (via: string | undefined): string => {
  if (via === undefined) return '';
  const lower = via.toLowerCase();
  const at = lower.indexOf('branch=');
  if (at < 0) return '';
  let end = at + 7;
  while (end < via.length) {
    const c = via.charCodeAt(end);
    // ';' next parameter, ',' next Via value, whitespace
    if (c === 0x3b || c === 0x2c || c === 0x20 || c === 0x09) break;
    end++;
  }
  return via.slice(at + 7, end);
};

/** Two generations of a map, so at most `max` keys are remembered, the most recently used first. */
class GenerationalMap<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  constructor(
    private readonly generationSize: number,
    private readonly onDrop: (v: V) => void,
  ) {}

  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.set(key, o);
    }
    return o;
  }

  set(key: string, v: V): void {
    if (!this.young.has(key) && this.young.size >= this.generationSize) {
      for (const dropped of this.old.values()) this.onDrop(dropped);
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, v);
  }

  delete(key: string): void {
    if (!this.young.delete(key)) this.old.delete(key);
  }

  *values(): IterableIterator<V> {
    yield* this.young.values();
    yield* this.old.values();
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}

/** Follows INVITE, BYE and REGISTER transactions and accumulates the KPIs. */
export class KpiTracker {
  private readonly totals = zeroCounts();
  private readonly minutes = new Map<number, KpiCounts>();
  private readonly transactions: GenerationalMap<TransactionState>;
  /** Call-ID -> INVITE transactions answered 200 and not yet ended by a BYE 2xx. */
  private readonly sessions: GenerationalMap<{ n: number; minutes: number[] }>;
  private readonly delays = newDelayHistograms();
  private readonly minuteDelays = new Map<number, DelayHistograms>();
  private evicted = 0;
  private mergedOpen = 0;

  constructor(maxTransactions: number = MAX_TRACKED_TRANSACTIONS) {
    const half = Math.max(1, Math.floor(maxTransactions / 2));
    this.transactions = new GenerationalMap(half, (t) => {
      if (t.outcome === 0 && t.method === 'INVITE') this.evicted++;
    });
    this.sessions = new GenerationalMap(half, () => {});
  }

  /** Records one framed message. */
  observe(msg: SipMessage, meta: PayloadMeta): void {
    const { callId, cseqNumber, cseqMethod } = msg;
    if (callId === undefined || cseqNumber === undefined || cseqMethod === undefined) return;
    const method = trackedMethod(cseqMethod);
    if (method === null) return;
    if (msg.kind === 'request' && msg.method !== cseqMethod) return;
    const timeMs = meta.timeMs !== undefined && Number.isFinite(meta.timeMs) ? meta.timeMs : undefined;
    const key = `${callId}\n${cseqNumber}\n${method}\n${viaBranch(msg.topVia)}`;
    let t = this.transactions.get(key);
    if (t === undefined) {
      t = {
        method,
        callId,
        minuteMs: timeMs === undefined ? -1 : Math.floor(timeMs / MS_PER_MINUTE) * MS_PER_MINUTE,
        requestMs: undefined,
        outcome: 0,
        answered: false,
      };
      this.transactions.set(key, t);
      if (method === 'INVITE') this.bump(t.minuteMs, 'inviteTransactions');
    }
    if (msg.kind === 'request') {
      // a retransmission keeps the first send time: RFC 6076 §4.1 measures from the first request
      if (t.requestMs === undefined && timeMs !== undefined && t.outcome === 0 && !t.answered) t.requestMs = timeMs;
      return;
    }
    const code = msg.statusCode;
    if (code === undefined || code < 100 || code > 699) return;
    if (method === 'INVITE' && code > 100 && !t.answered) {
      // RFC 6076 §4.1: SRD ends at the first provisional other than 100 Trying, or a final
      t.answered = true;
      if (t.requestMs !== undefined && timeMs !== undefined) this.addDelay('srd', t.minuteMs, timeMs - t.requestMs);
    }
    if (code < 200 || t.outcome !== 0) return;
    t.outcome = code;
    if (method === 'INVITE') this.settleInvite(t, code);
    else {
      const delay = t.requestMs !== undefined && timeMs !== undefined ? timeMs - t.requestMs : undefined;
      if (delay !== undefined) this.addDelay(method === 'BYE' ? 'sdd' : 'rrd', t.minuteMs, delay);
      if (method === 'BYE' && code >= 200 && code < 300) this.endSession(t.callId);
    }
  }

  private settleInvite(t: TransactionState, code: number): void {
    if (code >= 300 && code < 400) this.bump(t.minuteMs, 'redirected');
    if (EFFECTIVE_CODES.has(code)) this.bump(t.minuteMs, 'effective');
    if (INEFFECTIVE_CODES.has(code)) this.bump(t.minuteMs, 'ineffective');
    if (code === 200) {
      this.bump(t.minuteMs, 'established');
      const s = this.sessions.get(t.callId) ?? { n: 0, minutes: [] };
      s.n++;
      s.minutes.push(t.minuteMs);
      this.sessions.set(t.callId, s);
    }
  }

  /** RFC 6076 §4.9: every session of the dialog answered 200 is completed by the BYE's 2xx. */
  private endSession(callId: string): void {
    const s = this.sessions.get(callId);
    if (s === undefined) return;
    for (const m of s.minutes) this.bump(m, 'completed');
    this.sessions.delete(callId);
  }

  private addDelay(kind: DelayKind, minuteMs: number, ms: number): void {
    this.delays[kind].add(ms);
    if (minuteMs >= 0) this.delaysOf(minuteMs)[kind].add(ms);
  }

  private delaysOf(minuteMs: number): DelayHistograms {
    let d = this.minuteDelays.get(minuteMs);
    if (d === undefined) {
      d = newDelayHistograms();
      this.minuteDelays.set(minuteMs, d);
    }
    return d;
  }

  private bump(minuteMs: number, field: keyof KpiCounts): void {
    this.totals[field]++;
    if (minuteMs < 0) return;
    let b = this.minutes.get(minuteMs);
    if (b === undefined) {
      b = zeroCounts();
      this.minutes.set(minuteMs, b);
    }
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
  }

  /** Number of transactions currently remembered (for tests of the bound). */
  get size(): number {
    return this.transactions.size;
  }

  /** A plain snapshot; open transactions are counted here, their state is not carried on. */
  toData(): KpiData {
    let open = this.mergedOpen;
    for (const t of this.transactions.values()) if (t.method === 'INVITE' && t.outcome === 0) open++;
    const series = [...this.minutes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([ms, c]) => ({ minute: new Date(ms).toISOString(), ...c }));
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
          minute: new Date(ms).toISOString(),
          srd: d.srd.toData(),
          sdd: d.sdd.toData(),
          rrd: d.rrd.toData(),
        })),
    };
  }
}

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

/** The report form of the KPI data. */
export const toKpiReport = (d: KpiData): KpiReport => ({
  inviteTransactions: d.inviteTransactions,
  ...kpiRatios(d),
  srdMs: summaryOf(d.srd),
  sddMs: summaryOf(d.sdd),
  rrdMs: summaryOf(d.rrd),
});
