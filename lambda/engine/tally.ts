import { classifyStatusCode } from './classify.js';
import { type KpiData, KpiTracker } from './kpis.js';
import type { AnomalyKind, Format, ResponseClass } from './types.js';
import { RESPONSE_CLASSES } from './types.js';

/** Counts of one response class each. */
export type ClassCounts = Record<ResponseClass, number>;

/** Per-minute counts, keyed by the log's own time. */
export interface MinuteCounts {
  /** Start of the minute, ISO 8601 UTC. */
  readonly minute: string;
  readonly byClass: ClassCounts;
  readonly byCode: Record<string, number>;
  /** CSeq method -> status code -> count. */
  readonly byMethod: Record<string, Record<string, number>>;
  readonly retransmittedByClass: ClassCounts;
}

/** Everything a scan counted; plain data, safe to JSON.stringify. */
export interface ScanResult {
  readonly formats: Format[];
  readonly bytes: number;
  /** SIP messages seen in a trace; accounting records (acc lines) are responses but not messages. */
  readonly messages: number;
  readonly requests: number;
  readonly responses: number;
  /** Responses known only from accounting records (Kamailio/OpenSIPS acc lines), no message behind them. */
  readonly accountedResponses: number;
  readonly byClass: ClassCounts;
  readonly byCode: Record<string, number>;
  readonly byMethod: Record<string, Record<string, number>>;
  readonly requestsByMethod: Record<string, number>;
  readonly retransmissions: { readonly requests: number; readonly responses: number };
  readonly retransmittedByClass: ClassCounts;
  readonly anomalies: Partial<Record<AnomalyKind, number>>;
  readonly unrecognizedBytes: number;
  /** Responses that carried a time (the rest are in the totals only). */
  readonly timedResponses: number;
  readonly series: MinuteCounts[];
  /** RFC 6076 call-level KPI counts (see kpis.ts). */
  readonly kpis: KpiData;
}

const zeroClasses = (): ClassCounts => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 });

const bump = (rec: Record<string, number>, key: string, by = 1): void => {
  rec[key] = (rec[key] ?? 0) + by;
};

interface MinuteBucket {
  byClass: ClassCounts;
  byCode: Record<string, number>;
  byMethod: Record<string, Record<string, number>>;
  retransmittedByClass: ClassCounts;
}

const MS_PER_MINUTE = 60_000;

/** Mutable running counters of one scan. */
export class Tally {
  readonly formats = new Set<Format>();
  bytes = 0;
  requests = 0;
  responses = 0;
  unrecognizedBytes = 0;
  timedResponses = 0;
  accountedResponses = 0;
  readonly byClass = zeroClasses();
  readonly byCode: Record<string, number> = {};
  readonly byMethod: Record<string, Record<string, number>> = {};
  readonly requestsByMethod: Record<string, number> = {};
  retransmittedRequests = 0;
  retransmittedResponses = 0;
  readonly retransmittedByClass = zeroClasses();
  readonly anomalies: Partial<Record<AnomalyKind, number>> = {};
  private readonly minutes = new Map<number, MinuteBucket>();
  /** INVITE/BYE/REGISTER transactions for the RFC 6076 KPIs. */
  readonly kpis = new KpiTracker();

  /** Counts one request. */
  addRequest(method: string, retransmission: boolean): void {
    this.requests++;
    bump(this.requestsByMethod, method);
    if (retransmission) this.retransmittedRequests++;
  }

  /**
   * Counts one response. Returns false (and counts an anomaly instead) when the status code
   * has no class.
   */
  addResponse(code: number, cseqMethod: string, retransmission: boolean, timeMs: number | undefined): boolean {
    const cls = classifyStatusCode(code);
    if (cls === null) {
      this.anomaly('invalid-status-code');
      return false;
    }
    const codeKey = String(code);
    this.responses++;
    this.byClass[cls]++;
    bump(this.byCode, codeKey);
    const perMethod = this.byMethod[cseqMethod] ?? {};
    this.byMethod[cseqMethod] = perMethod;
    bump(perMethod, codeKey);
    if (retransmission) {
      this.retransmittedResponses++;
      this.retransmittedByClass[cls]++;
    }
    if (timeMs !== undefined && Number.isFinite(timeMs)) {
      this.timedResponses++;
      const bucket = this.bucket(timeMs);
      bucket.byClass[cls]++;
      bump(bucket.byCode, codeKey);
      const minuteMethod = bucket.byMethod[cseqMethod] ?? {};
      bucket.byMethod[cseqMethod] = minuteMethod;
      bump(minuteMethod, codeKey);
      if (retransmission) bucket.retransmittedByClass[cls]++;
    }
    return true;
  }

  /** Adds the counts of another scan (the later part of a file scanned in parallel). */
  merge(r: ScanResult): void {
    for (const f of r.formats) this.formats.add(f);
    this.bytes += r.bytes;
    this.requests += r.requests;
    this.responses += r.responses;
    this.unrecognizedBytes += r.unrecognizedBytes;
    this.timedResponses += r.timedResponses;
    this.accountedResponses += r.accountedResponses;
    this.retransmittedRequests += r.retransmissions.requests;
    this.retransmittedResponses += r.retransmissions.responses;
    addClasses(this.byClass, r.byClass);
    addClasses(this.retransmittedByClass, r.retransmittedByClass);
    addCounts(this.byCode, r.byCode);
    addNested(this.byMethod, r.byMethod);
    addCounts(this.requestsByMethod, r.requestsByMethod);
    for (const [k, v] of Object.entries(r.anomalies)) this.anomaly(k as AnomalyKind, v ?? 0);
    this.kpis.merge(r.kpis);
    for (const m of r.series) {
      const b = this.bucket(Date.parse(m.minute));
      addClasses(b.byClass, m.byClass);
      addCounts(b.byCode, m.byCode);
      addNested(b.byMethod, m.byMethod);
      addClasses(b.retransmittedByClass, m.retransmittedByClass);
    }
  }

  /** Turns one counted message into a retransmission or back (`delta` +1 or -1) after a parallel merge. */
  adjustRetransmission(
    kind: 'request' | 'response',
    statusCode: number,
    timeMs: number | undefined,
    delta: 1 | -1,
  ): void {
    if (kind === 'request') {
      this.retransmittedRequests += delta;
      return;
    }
    const cls = classifyStatusCode(statusCode);
    if (cls === null) return;
    this.retransmittedResponses += delta;
    this.retransmittedByClass[cls] += delta;
    if (timeMs !== undefined && Number.isFinite(timeMs)) this.bucket(timeMs).retransmittedByClass[cls] += delta;
  }

  private bucket(timeMs: number): MinuteBucket {
    const minute = Math.floor(timeMs / MS_PER_MINUTE) * MS_PER_MINUTE;
    let b = this.minutes.get(minute);
    if (!b) {
      b = { byClass: zeroClasses(), byCode: {}, byMethod: {}, retransmittedByClass: zeroClasses() };
      this.minutes.set(minute, b);
    }
    return b;
  }

  /** Counts one anomaly of the given kind. */
  anomaly(kind: AnomalyKind, by = 1): void {
    this.anomalies[kind] = (this.anomalies[kind] ?? 0) + by;
  }

  /** Total anomalies of every kind. */
  get anomalyCount(): number {
    let n = 0;
    for (const v of Object.values(this.anomalies)) n += v ?? 0;
    return n;
  }

  /** A plain snapshot of the counts. */
  toResult(): ScanResult {
    const series = [...this.minutes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([ms, b]) => ({
        minute: new Date(ms).toISOString(),
        byClass: { ...b.byClass },
        byCode: sortKeys(b.byCode),
        byMethod: sortNested(b.byMethod),
        retransmittedByClass: { ...b.retransmittedByClass },
      }));
    const byMethod = sortNested(this.byMethod);
    return {
      formats: [...this.formats],
      bytes: this.bytes,
      messages: this.requests + this.responses - this.accountedResponses,
      requests: this.requests,
      responses: this.responses,
      accountedResponses: this.accountedResponses,
      byClass: { ...this.byClass },
      byCode: sortKeys(this.byCode),
      byMethod,
      requestsByMethod: sortKeys(this.requestsByMethod),
      retransmissions: { requests: this.retransmittedRequests, responses: this.retransmittedResponses },
      retransmittedByClass: { ...this.retransmittedByClass },
      anomalies: { ...this.anomalies },
      unrecognizedBytes: this.unrecognizedBytes,
      timedResponses: this.timedResponses,
      series,
      kpis: this.kpis.toData(),
    };
  }
}

const sortKeys = (rec: Record<string, number>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const k of Object.keys(rec).sort()) out[k] = rec[k] ?? 0;
  return out;
};

const addClasses = (into: ClassCounts, from: Readonly<ClassCounts>): void => {
  for (const c of RESPONSE_CLASSES) into[c] += from[c];
};

const addCounts = (into: Record<string, number>, from: Readonly<Record<string, number>>): void => {
  for (const [k, v] of Object.entries(from)) bump(into, k, v);
};

const addNested = (
  into: Record<string, Record<string, number>>,
  from: Readonly<Record<string, Record<string, number>>>,
): void => {
  for (const [k, v] of Object.entries(from)) {
    const inner = into[k] ?? {};
    into[k] = inner;
    addCounts(inner, v);
  }
};

const sortNested = (rec: Record<string, Record<string, number>>): Record<string, Record<string, number>> => {
  const out: Record<string, Record<string, number>> = {};
  for (const k of Object.keys(rec).sort()) out[k] = sortKeys(rec[k] ?? {});
  return out;
};

/** Response classes in display order, re-exported for callers that format tables. */
export { RESPONSE_CLASSES };
