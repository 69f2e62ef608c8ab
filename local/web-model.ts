import { RESPONSE_CLASSES, type ResponseClass } from '../infra/alarm-rules.js';
import type { MetricDetail } from '../infra/defaults.js';
import {
  alarmViews,
  type FileView,
  type KpiView,
  type ReportModel,
  topPeers,
} from '../lambda/cli/report/report-model.js';
import type { DelaySummary } from '../lambda/engine/delay-histogram.js';
import { addCounts, type KpiCounts, kpiRatios, zeroCounts } from '../lambda/engine/kpis.js';
import type { ClassCounts } from '../lambda/engine/tally.js';
import type { LocalSnapshot } from './local-stack.js';
import type { RecordedDatum } from './loopback-cloudwatch.js';

const zeroClasses = (): ClassCounts => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 });

const sumOf = (d: RecordedDatum): number => d.values.reduce((s, v, i) => s + v * (d.counts[i] ?? 1), 0);

/** `Responses` datums with exactly the dimensions Class and `other`, as [class, other's value, count]. */
const responsesBy = (
  datums: readonly RecordedDatum[],
  namespace: string,
  other: string,
): [ResponseClass, string, number][] => {
  const out: [ResponseClass, string, number][] = [];
  for (const d of datums) {
    if (d.namespace !== namespace || d.metricName !== 'Responses') continue;
    const names = Object.keys(d.dimensions);
    const value = d.dimensions[other];
    const cls = d.dimensions.Class as ResponseClass | undefined;
    if (names.length !== 2 || value === undefined || cls === undefined || !RESPONSE_CLASSES.includes(cls)) continue;
    out.push([cls, value, sumOf(d)]);
  }
  return out;
};

/**
 * Count, mean and nearest-rank percentiles of every value of one delay metric (each datum's values with their
 * counts) over every stored minute: the values CloudWatch estimates its p50, p90 and p99 statistics from.
 */
const delaySummaryOf = (datums: readonly RecordedDatum[], namespace: string, metricName: string): DelaySummary => {
  const pairs: [number, number][] = [];
  let count = 0;
  let sum = 0;
  for (const d of datums) {
    if (d.namespace !== namespace || d.metricName !== metricName) continue;
    d.values.forEach((v, i) => {
      const n = d.counts[i] ?? 1;
      pairs.push([v, n]);
      count += n;
      sum += v * n;
    });
  }
  if (count === 0) return { count: 0, mean: null, p50: null, p90: null, p99: null };
  pairs.sort((a, b) => a[0] - b[0]);
  const at = (q: number): number => {
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (const [v, n] of pairs) {
      seen += n;
      if (seen >= rank) return v;
    }
    return pairs[pairs.length - 1]?.[0] ?? 0;
  };
  return { count, mean: sum / count, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
};

/** What the local dashboard reads from the CloudWatch store's datums, beyond responses by class per minute. */
export interface DatumBreakdowns {
  readonly byCode?: Record<string, number>;
  readonly byMethod?: Record<string, Record<string, number>>;
  readonly peers?: ReportModel['peers'];
  /** SRD, SDD and RRD over every stored value, as CloudWatch's percentiles of the delay metrics. */
  readonly delays: { readonly srdMs: DelaySummary; readonly sddMs: DelaySummary; readonly rrdMs: DelaySummary };
  /** Why a widget has no data, by widget kind. */
  readonly notes: Readonly<Record<string, string>>;
}

/**
 * Status codes, CSeq methods and peers from the stored datums, as the deployed dashboard would graph them: only what
 * the function publishes at this `metricDetail` (and with per-peer metrics); the other widgets say so instead of
 * guessing. One pass over every datum: the dashboard computes it again only after new datums arrive.
 */
export const breakdownsOf = (
  datums: readonly RecordedDatum[],
  namespace: string,
  metricDetail: MetricDetail,
): DatumBreakdowns => {
  const notes: Record<string, string> = {};
  let byCode: Record<string, number> | undefined;
  let byMethod: Record<string, Record<string, number>> | undefined;
  if (metricDetail === 'code') {
    byCode = {};
    for (const [, code, n] of responsesBy(datums, namespace, 'Code')) byCode[code] = (byCode[code] ?? 0) + n;
  } else {
    notes['status-codes'] =
      `The function publishes status codes at metricDetail "code" (this stack: "${metricDetail}"), as the deployed dashboard graphs them; ` +
      '`sip-metrics scan --html FILE` tables them from the file itself.';
  }
  if (metricDetail === 'method') {
    // the Method dimension carries classes, not codes: a class key ("5xx") is its own class in the methods table
    byMethod = {};
    for (const [cls, method, n] of responsesBy(datums, namespace, 'Method')) {
      const row = byMethod[method] ?? {};
      row[cls] = (row[cls] ?? 0) + n;
      byMethod[method] = row;
    }
  } else {
    notes.methods =
      `The function publishes CSeq methods at metricDetail "method" (this stack: "${metricDetail}"); ` +
      '`sip-metrics scan --html FILE` tables them from the file itself.';
  }
  const peerRows = responsesBy(datums, namespace, 'Peer');
  let peers: ReportModel['peers'];
  if (peerRows.length > 0) {
    const byPeer = new Map<string, ClassCounts>();
    for (const [cls, peer, n] of peerRows) {
      const c = byPeer.get(peer) ?? zeroClasses();
      c[cls] += n;
      byPeer.set(peer, c);
    }
    peers = topPeers(
      [...byPeer.entries()].map(([peer, c]) => ({
        peer,
        byClass: c,
        responses: RESPONSE_CLASSES.reduce((n, k) => n + c[k], 0),
      })),
    );
  } else {
    notes['top-peers'] =
      'No Responses by Peer in the local CloudWatch store (the peerMetrics setting); ' +
      '`sip-metrics scan --html FILE` ranks the peers of a file.';
  }
  return {
    ...(byCode === undefined ? {} : { byCode }),
    ...(byMethod === undefined ? {} : { byMethod }),
    ...(peers === undefined ? {} : { peers }),
    delays: {
      srdMs: delaySummaryOf(datums, namespace, 'SessionRequestDelay'),
      sddMs: delaySummaryOf(datums, namespace, 'SessionDisconnectDelay'),
      rrdMs: delaySummaryOf(datums, namespace, 'RegistrationRequestDelay'),
    },
    notes,
  };
};

/**
 * The local dashboard's model: what the deployed dashboard would graph, read from the local CloudWatch store (the
 * datums the real handler sent), the alarms as the local stack judged them, and the files from its ledger view.
 */
export const reportModelFromLocal = (o: {
  readonly snapshot: LocalSnapshot;
  readonly breakdowns: DatumBreakdowns;
  readonly responsesByMinute: ReportModel['minutes'];
  /** INVITE transactions per minute, every count (SEER and SCR too, which no alarm reads). */
  readonly kpisByMinute: readonly { readonly minuteStartMs: number; readonly counts: KpiCounts }[];
  readonly nowMs: number;
}): ReportModel => {
  const { snapshot, breakdowns } = o;
  const { byCode, byMethod, peers } = breakdowns;
  const notes: Record<string, string> = { ...breakdowns.notes };
  const byClass = { ...snapshot.totals };
  const responses = RESPONSE_CLASSES.reduce((n, c) => n + byClass[c], 0);
  // the KPI sums of every stored minute, as one row: CloudWatch sums the numerators and the denominator likewise
  const kpiTotals = zeroCounts();
  for (const k of o.kpisByMinute) addCounts(kpiTotals, k.counts);
  const kpis: KpiView[] =
    kpiTotals.inviteTransactions === 0
      ? []
      : [
          {
            file: 'all files',
            kpis: { inviteTransactions: kpiTotals.inviteTransactions, ...kpiRatios(kpiTotals), ...breakdowns.delays },
          },
        ];

  const anomalies: Record<string, number> = {};
  const files: FileView[] = [];
  for (const f of snapshot.files) {
    for (const [kind, n] of Object.entries(f.summary?.anomalies ?? {}))
      if (n !== undefined) anomalies[kind] = (anomalies[kind] ?? 0) + n;
    files.push({
      name: f.key,
      formats: f.summary?.formats ?? [],
      bytes: f.size,
      seconds: f.summary === undefined ? undefined : f.summary.durationMs / 1000,
      responses: f.summary?.responses,
      state: f.state,
      ...(f.errorCode === undefined ? {} : { error: { code: f.errorCode, message: f.reason ?? '' } }),
    });
  }
  const judgedAtMs = snapshot.judgement.clock?.nowMs ?? null;
  return {
    title: 'sip-metrics local stack',
    source:
      'npm start: the datums the real handler sent to the local CloudWatch, by the minutes of the logs (UTC); ' +
      'responses without a time carry their upload minute, as in AWS',
    generatedAtMs: o.nowMs,
    responses,
    // the function stamps untimed responses with their upload minute: every stored response has a time
    timedResponses: responses,
    byClass,
    minutes: o.responsesByMinute,
    alarms: alarmViews(snapshot.judgement, o.responsesByMinute, o.kpisByMinute),
    judgedAtMs,
    ...(peers === undefined ? {} : { peers }),
    ...(byCode === undefined ? {} : { byCode }),
    ...(byMethod === undefined ? {} : { byMethod }),
    kpis,
    kpiMinutes: o.kpisByMinute,
    queue: {
      waiting: snapshot.queue.visible + snapshot.queue.delayed,
      inFlight: snapshot.queue.inFlight,
      deadLetters: snapshot.queue.deadLetters,
    },
    anomalies,
    // newest first, as a reader of a live page expects
    files: files.reverse(),
    notes,
  };
};
