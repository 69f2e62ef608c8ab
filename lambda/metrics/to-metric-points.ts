import { classifyStatusText, RESPONSE_CLASSES } from '../contract/classes.js';
import { KPI_OUTCOMES, type KpiOutcome, type MetricDetail, type MetricName } from '../contract/metrics.js';
import { delayObservations } from '../engine/delay-histogram.js';
import type { KpiCounts } from '../engine/kpis.js';
import { OTHER_PEER } from '../engine/peers.js';
import type { ScanResult } from '../engine/tally.js';
import { MAX_FUTURE_MS, MAX_PAST_MS } from './cloudwatch-limits.js';
import { floorMinute, type MetricDimension, type MetricPoint } from './metric-point.js';
import { kpiSlices, type MinuteSlice, untimedSlice } from './minute-slices.js';
import { PointMerger } from './point-merger.js';
import { choosePublishedPeers, type PeerMetricOptions } from './published-peers.js';

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

// each published outcome must name a KPI count of the engine
KPI_OUTCOMES satisfies Record<KpiOutcome, keyof KpiCounts>;

/** The delay metrics (milliseconds, as Values/Counts so CloudWatch computes percentiles). */
export const KPI_DELAY_METRICS = {
  srd: 'SessionRequestDelay',
  sdd: 'SessionDisconnectDelay',
  rrd: 'RegistrationRequestDelay',
} as const satisfies Record<string, MetricName>;

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
    const cls = classifyStatusText(code);
    if (cls === null) return;
    merger.add('Responses', [{ Name: 'Class', Value: cls }, detail], ts, 'Count', 1, n);
  };

  /** Whether CloudWatch would refuse a datum of this minute (then it is stamped with the processing minute). */
  const outsideWindow = (ms: number): boolean => ms < opts.nowMs - MAX_PAST_MS || ms > opts.nowMs + MAX_FUTURE_MS;

  const published = opts.peerMetrics === undefined ? null : choosePublishedPeers(result.byPeer, opts.peerMetrics);
  const slices: MinuteSlice[] = result.series.map((s) => ({ ...s, minuteMs: Date.parse(s.minute) }));
  const untimed = untimedSlice(result, floorMinute(opts.uploadTimeMs));
  slices.push(untimed);

  for (const s of slices) {
    const responses = RESPONSE_CLASSES.reduce((n, c) => n + s.byClass[c], 0);
    if (responses === 0) continue;
    let ts = s.minuteMs;
    if (outsideWindow(ts)) {
      restampedResponses += responses;
      firstRestamped = firstRestamped === null ? ts : Math.min(firstRestamped, ts);
      lastRestamped = lastRestamped === null ? ts : Math.max(lastRestamped, ts);
      ts = nowMinute;
    }
    merger.add('Responses', [], ts, 'Count', 1, responses);
    // beside the responses it describes, so that UntimedResponses / Responses is the untimed share of a minute
    if (s === untimed) merger.add('UntimedResponses', [], ts, 'Count', 1, responses);
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
    const stamp = (ms: number): number => (outsideWindow(ms) ? nowMinute : ms);
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
  for (const [kind, n] of Object.entries(result.anomalies)) {
    anomalies += n ?? 0;
    // by kind too (only the kinds seen): a dashboard tells a truncated body from a cut TCP stream without the logs
    if ((n ?? 0) > 0) merger.add('ParseAnomalies', [{ Name: 'Anomaly', Value: kind }], nowMinute, 'Count', 1, n ?? 0);
  }
  merger.add('ParseAnomalies', [], nowMinute, 'Count', 1, anomalies);

  const restampedRange: readonly [string, string] | null =
    firstRestamped === null || lastRestamped === null
      ? null
      : [new Date(firstRestamped).toISOString(), new Date(lastRestamped).toISOString()];
  return { points: merger.toPoints(), restampedResponses, restampedRange };
};
