import { delayObservations } from './delay-histogram.js';
import type { KpiCounts } from './kpis.js';
import { OTHER_PEER } from './peers.js';
import type { ClassCounts, ScanResult } from './tally.js';
import type { ResponseClass } from './types.js';
import { RESPONSE_CLASSES } from './types.js';

/** Which `Responses` breakdowns are published besides the per-class one. */
export type MetricDetail = 'class' | 'code' | 'method';

/** Every metric name of the contract the alarms and the dashboard use. */
export type MetricName =
  | 'Responses'
  | 'RetransmittedResponses'
  | 'FilesProcessed'
  | 'BytesProcessed'
  | 'ParseAnomalies'
  | 'FilesFailed'
  | 'ProcessingLagSeconds'
  | 'InviteTransactions'
  | 'SessionRequestDelay'
  | 'SessionDisconnectDelay'
  | 'RegistrationRequestDelay';

/** CloudWatch units used by this product. */
export type MetricUnit = 'Count' | 'Bytes' | 'Seconds' | 'Milliseconds';

/** One dimension, named as CloudWatch names it. */
export interface MetricDimension {
  readonly Name: 'Class' | 'Code' | 'Method' | 'Peer' | 'Outcome';
  readonly Value: string;
}

/** One metric datum: our own type, the same shape as the SDK's MetricDatum (the sink only sends). */
export interface MetricPoint {
  readonly MetricName: MetricName;
  readonly Dimensions: readonly MetricDimension[];
  readonly Timestamp: Date;
  readonly Unit: MetricUnit;
  /** Distinct values (at most MAX_VALUES_PER_DATUM), each observed Counts[i] times. */
  readonly Values: readonly number[];
  readonly Counts: readonly number[];
}

/** What a file's counts became, and how many responses had to be restamped. */
export interface MetricPoints {
  readonly points: MetricPoint[];
  /** Responses whose minute lay outside CloudWatch's accepted window, stamped with the processing time instead. */
  readonly restampedResponses: number;
  /** The first and last restamped minutes (ISO), for the one warning per file. */
  readonly restampedRange: readonly [string, string] | null;
}

/** Inputs besides the counts; times are passed in because the engine never reads the clock. */
export interface MetricPointOptions {
  readonly detail: MetricDetail;
  /** When the object was uploaded: the time of responses whose log line carries none. */
  readonly uploadTimeMs: number;
  /** The processing time: stamps the operational datums and the restamped ones. */
  readonly nowMs: number;
  /** Publish `Responses` by Peer, and by Peer and Class, too (opt-in: each peer is 7 more metrics). */
  readonly peerMetrics?: PeerMetricOptions;
  /** Publish the RFC 6076 KPI counts and delays (9 metrics; see KPI_OUTCOMES). */
  readonly kpiMetrics?: boolean;
}

/**
 * The `Outcome` dimension of `InviteTransactions`, each a numerator of an RFC 6076 ratio (the dimensionless total
 * is the denominator): SER = Established / (total − Redirected), SEER = Effective / (total − Redirected),
 * ISA = Ineffective / total, SCR = Completed / total. Sums, so metric math gives exact ratios over any period.
 */
export const KPI_OUTCOMES = {
  Redirected: 'redirected',
  Established: 'established',
  Effective: 'effective',
  Ineffective: 'ineffective',
  Completed: 'completed',
} as const satisfies Record<string, keyof KpiCounts>;

/** The delay metrics (milliseconds, as Values/Counts so CloudWatch computes percentiles). */
export const KPI_DELAY_METRICS = {
  srd: 'SessionRequestDelay',
  sdd: 'SessionDisconnectDelay',
  rrd: 'RegistrationRequestDelay',
} as const satisfies Record<string, MetricName>;

/** The cardinality guard of the per-peer metrics. */
export interface PeerMetricOptions {
  /** Peers of the peer map: always published, whatever their volume. */
  readonly names: readonly string[];
  /** Other senders published under their own key per file, by volume; the rest are summed as `other`. */
  readonly topN: number;
}

/** Default of PeerMetricOptions.topN. */
export const DEFAULT_PEER_TOP_N = 10;

/**
 * The Peer dimension value of each peer of a file: named peers and the `topN` busiest other
 * senders keep their key, every other sender becomes `other` (so a file of 10,000 senders
 * publishes at most names + topN + 1 peers).
 */
export const choosePublishedPeers = (
  byPeer: ScanResult['byPeer'],
  opts: PeerMetricOptions,
): ReadonlyMap<string, string> => {
  const named = new Set(opts.names);
  const others = Object.entries(byPeer)
    .filter(([peer]) => !named.has(peer))
    .sort((a, b) => b[1].responses - a[1].responses || (a[0] < b[0] ? -1 : 1));
  const out = new Map<string, string>();
  for (const peer of Object.keys(byPeer)) if (named.has(peer)) out.set(peer, peer);
  for (const [i, [peer]] of others.entries()) out.set(peer, i < opts.topN ? peer : OTHER_PEER);
  return out;
};

/**
 * API_PutMetricData: "Using the Values and Counts method enables you to publish up to 150 values per metric
 * with one PutMetricData request".
 */
export const MAX_VALUES_PER_DATUM = 150;

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
/**
 * API_PutMetricData: timestamps are accepted "up to two weeks before the current date" and "up to two hours
 * after". The window is judged once, at the first claim, and every redelivery sends the same datums: the margins
 * keep a redelivery up to a day later (SQS retries, a DLQ redrive) and a few minutes of clock skew inside it.
 */
export const MAX_PAST_MS = 13 * 24 * MS_PER_HOUR;
export const MAX_FUTURE_MS = 2 * MS_PER_HOUR - 10 * MS_PER_MINUTE;

/** RFC 3261 §27.4 and its extensions; any other CSeq method becomes OTHER, so a hostile log cannot mint metrics. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'ACK',
  'BYE',
  'CANCEL',
  'INFO',
  'INVITE',
  'MESSAGE',
  'NOTIFY',
  'OPTIONS',
  'PRACK',
  'PUBLISH',
  'REFER',
  'REGISTER',
  'SUBSCRIBE',
  'UPDATE',
]);

const classOfCode = (code: string): ResponseClass | null => {
  const cls = `${code.charAt(0)}xx`;
  return (RESPONSE_CLASSES as readonly string[]).includes(cls) && /^\d{3}$/.test(code) ? (cls as ResponseClass) : null;
};

/** Per-minute counts in the shape the conversion needs (series minutes and the untimed remainder alike). */
interface MinuteSlice {
  readonly minuteMs: number;
  readonly byClass: ClassCounts;
  readonly byCode: Readonly<Record<string, number>>;
  readonly byMethod: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly retransmittedByClass: ClassCounts;
  readonly byPeer: Readonly<Record<string, ClassCounts>>;
}

const minus = (a: number, b: number): number => Math.max(0, a - b);

/** Totals minus what the series holds: the responses that carried no time of their own. */
const untimedSlice = (r: ScanResult, minuteMs: number): MinuteSlice => {
  const byClass = { ...r.byClass };
  const retransmittedByClass = { ...r.retransmittedByClass };
  const byCode: Record<string, number> = { ...r.byCode };
  const byMethod: Record<string, Record<string, number>> = {};
  for (const [m, codes] of Object.entries(r.byMethod)) byMethod[m] = { ...codes };
  const byPeer: Record<string, ClassCounts> = {};
  for (const [peer, c] of Object.entries(r.byPeer)) byPeer[peer] = { ...c.byClass };
  for (const s of r.series) {
    for (const [peer, c] of Object.entries(s.byPeer)) {
      const left = byPeer[peer];
      if (left === undefined) continue;
      for (const k of RESPONSE_CLASSES) left[k] = minus(left[k], c[k]);
    }
    for (const c of RESPONSE_CLASSES) {
      byClass[c] = minus(byClass[c], s.byClass[c]);
      retransmittedByClass[c] = minus(retransmittedByClass[c], s.retransmittedByClass[c]);
    }
    for (const [code, n] of Object.entries(s.byCode)) byCode[code] = minus(byCode[code] ?? 0, n);
    for (const [m, codes] of Object.entries(s.byMethod)) {
      const left = byMethod[m] ?? {};
      for (const [code, n] of Object.entries(codes)) left[code] = minus(left[code] ?? 0, n);
      byMethod[m] = left;
    }
  }
  return { minuteMs, byClass, byCode, byMethod, retransmittedByClass, byPeer };
};

const floorMinute = (ms: number): number => Math.floor(ms / MS_PER_MINUTE) * MS_PER_MINUTE;

/** Accumulates datums by (name, dimensions, timestamp): one datum per key, counts summed per value. */
class PointMerger {
  private readonly byKey = new Map<
    string,
    {
      name: MetricName;
      dims: MetricDimension[];
      ts: number;
      unit: MetricUnit;
      values: Map<number, number>;
    }
  >();

  add(name: MetricName, dims: MetricDimension[], ts: number, unit: MetricUnit, value: number, count: number): void {
    if (count <= 0) return;
    const key = `${ts}\u0000${name}\u0000${dims.map((d) => `${d.Name}=${d.Value}`).join('\u0000')}`;
    let p = this.byKey.get(key);
    if (!p) {
      p = { name, dims, ts, unit, values: new Map() };
      this.byKey.set(key, p);
    }
    p.values.set(value, (p.values.get(value) ?? 0) + count);
  }

  /** Datums in a stable order (timestamp, name, dimensions), so equal inputs give equal batches. */
  toPoints(): MetricPoint[] {
    const keys = [...this.byKey.keys()].sort((a, b) => {
      const ta = Number(a.slice(0, a.indexOf('\u0000')));
      const tb = Number(b.slice(0, b.indexOf('\u0000')));
      return ta - tb || (a < b ? -1 : a > b ? 1 : 0);
    });
    const out: MetricPoint[] = [];
    for (const k of keys) {
      const p = this.byKey.get(k);
      if (!p) continue;
      const values = [...p.values.keys()].sort((x, y) => x - y);
      for (let i = 0; i < values.length; i += MAX_VALUES_PER_DATUM) {
        const vs = values.slice(i, i + MAX_VALUES_PER_DATUM);
        out.push({
          MetricName: p.name,
          Dimensions: p.dims,
          Timestamp: new Date(p.ts),
          Unit: p.unit,
          Values: vs,
          Counts: vs.map((v) => p.values.get(v) ?? 0),
        });
      }
    }
    return out;
  }
}

const KPI_FIELDS: readonly (keyof KpiCounts)[] = [
  'inviteTransactions',
  'redirected',
  'established',
  'effective',
  'ineffective',
  'completed',
];

/** The KPI counts per minute, and what the series does not hold (untimed transactions) at the upload minute. */
const kpiSlices = (r: ScanResult, uploadMinuteMs: number): { minuteMs: number; counts: KpiCounts }[] => {
  const k = r.kpis;
  const untimed: KpiCounts = {
    inviteTransactions: k.inviteTransactions,
    redirected: k.redirected,
    established: k.established,
    effective: k.effective,
    ineffective: k.ineffective,
    completed: k.completed,
  };
  const out: { minuteMs: number; counts: KpiCounts }[] = k.series.map((m) => {
    for (const f of KPI_FIELDS) untimed[f] = minus(untimed[f], m[f]);
    return { minuteMs: Date.parse(m.minute), counts: m };
  });
  out.push({ minuteMs: uploadMinuteMs, counts: untimed });
  return out;
};

/**
 * Converts a file's counts into CloudWatch datums, per minute of the log's own time. Every response is one
 * observation of value 1 (`Values: [1], Counts: [n]`), so both Sum and SampleCount equal the response count
 * and datums of equal key merge by adding counts.
 */
export const toMetricPoints = (result: ScanResult, opts: MetricPointOptions): MetricPoints => {
  const nowMinute = floorMinute(opts.nowMs);
  const merger = new PointMerger();
  let restampedResponses = 0;
  let firstRestamped: number | null = null;
  let lastRestamped: number | null = null;

  /** `n` responses of status code `code`, by their class and one more dimension (the code, or the CSeq method). */
  const addDetailed = (ts: number, code: string, detail: MetricDimension, n: number): void => {
    const cls = classOfCode(code);
    if (cls === null) return;
    merger.add('Responses', [{ Name: 'Class', Value: cls }, detail], ts, 'Count', 1, n);
  };

  const published = opts.peerMetrics === undefined ? null : choosePublishedPeers(result.byPeer, opts.peerMetrics);
  const slices: MinuteSlice[] = result.series.map((s) => ({ ...s, minuteMs: Date.parse(s.minute) }));
  slices.push(untimedSlice(result, floorMinute(opts.uploadTimeMs)));

  for (const s of slices) {
    const responses = RESPONSE_CLASSES.reduce((n, c) => n + s.byClass[c], 0);
    if (responses === 0) continue;
    let ts = s.minuteMs;
    if (ts < opts.nowMs - MAX_PAST_MS || ts > opts.nowMs + MAX_FUTURE_MS) {
      restampedResponses += responses;
      firstRestamped = firstRestamped === null ? ts : Math.min(firstRestamped, ts);
      lastRestamped = lastRestamped === null ? ts : Math.max(lastRestamped, ts);
      ts = nowMinute;
    }
    merger.add('Responses', [], ts, 'Count', 1, responses);
    for (const c of RESPONSE_CLASSES) {
      merger.add('Responses', [{ Name: 'Class', Value: c }], ts, 'Count', 1, s.byClass[c]);
      merger.add('RetransmittedResponses', [{ Name: 'Class', Value: c }], ts, 'Count', 1, s.retransmittedByClass[c]);
    }
    if (published !== null) {
      for (const [peer, byClass] of Object.entries(s.byPeer)) {
        const value = published.get(peer) ?? OTHER_PEER;
        // the peer's total: the denominator of its spike alarms, the same shape as the dimensionless total
        const peerResponses = RESPONSE_CLASSES.reduce((n, c) => n + byClass[c], 0);
        merger.add('Responses', [{ Name: 'Peer', Value: value }], ts, 'Count', 1, peerResponses);
        for (const c of RESPONSE_CLASSES) {
          merger.add(
            'Responses',
            [
              { Name: 'Class', Value: c },
              { Name: 'Peer', Value: value },
            ],
            ts,
            'Count',
            1,
            byClass[c],
          );
        }
      }
    }
    if (opts.detail === 'code') {
      for (const [code, n] of Object.entries(s.byCode)) addDetailed(ts, code, { Name: 'Code', Value: code }, n);
    } else if (opts.detail === 'method') {
      for (const [method, codes] of Object.entries(s.byMethod)) {
        const name = KNOWN_METHODS.has(method) ? method : 'OTHER';
        for (const [code, n] of Object.entries(codes)) addDetailed(ts, code, { Name: 'Method', Value: name }, n);
      }
    }
  }

  if (opts.kpiMetrics === true) {
    const stamp = (ms: number): number =>
      ms < opts.nowMs - MAX_PAST_MS || ms > opts.nowMs + MAX_FUTURE_MS ? nowMinute : ms;
    for (const m of kpiSlices(result, floorMinute(opts.uploadTimeMs))) {
      const ts = stamp(m.minuteMs);
      merger.add('InviteTransactions', [], ts, 'Count', 1, m.counts.inviteTransactions);
      for (const [outcome, field] of Object.entries(KPI_OUTCOMES)) {
        merger.add('InviteTransactions', [{ Name: 'Outcome', Value: outcome }], ts, 'Count', 1, m.counts[field]);
      }
    }
    for (const d of result.kpis.delaySeries) {
      const ts = stamp(Date.parse(d.minute));
      for (const [kind, name] of Object.entries(KPI_DELAY_METRICS) as [keyof typeof KPI_DELAY_METRICS, MetricName][]) {
        const { values, counts } = delayObservations(d[kind]);
        for (const [i, v] of values.entries()) merger.add(name, [], ts, 'Milliseconds', v, counts[i] ?? 0);
      }
    }
  }

  merger.add('FilesProcessed', [], nowMinute, 'Count', 1, 1);
  merger.add('BytesProcessed', [], nowMinute, 'Bytes', result.bytes, 1);
  let anomalies = 0;
  for (const n of Object.values(result.anomalies)) anomalies += n ?? 0;
  merger.add('ParseAnomalies', [], nowMinute, 'Count', 1, anomalies);

  const restampedRange: readonly [string, string] | null =
    firstRestamped === null || lastRestamped === null
      ? null
      : [new Date(firstRestamped).toISOString(), new Date(lastRestamped).toISOString()];
  return { points: merger.toPoints(), restampedResponses, restampedRange };
};

/** The datum that measures upload-to-done time of one file. */
export const processingLagPoint = (uploadTimeMs: number, doneMs: number): MetricPoint => ({
  MetricName: 'ProcessingLagSeconds',
  Dimensions: [],
  Timestamp: new Date(floorMinute(doneMs)),
  Unit: 'Seconds',
  Values: [Math.max(0, Math.round((doneMs - uploadTimeMs) / 1000))],
  Counts: [1],
});

/** The datum that counts one file that could not be read. */
export const fileFailedPoint = (nowMs: number): MetricPoint => ({
  MetricName: 'FilesFailed',
  Dimensions: [],
  Timestamp: new Date(floorMinute(nowMs)),
  Unit: 'Count',
  Values: [1],
  Counts: [1],
});
