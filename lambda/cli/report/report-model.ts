/**
 * What the HTML report and the local dashboard show, as plain data: per-minute responses by class, the spike and KPI alarms
 * judged on them, peers, status codes, CSeq methods, KPIs, anomalies and files. Built from `scan` results (the CLI)
 * or from the local stack's CloudWatch store (`npm start`); `render-html.ts` draws either the same way.
 * Pure: no I/O, no clock (the caller passes the time it was made).
 */
import {
  isKpiBreaching,
  type KpiAlarmRule,
  type KpiPeriodCounts,
  kpiPercent,
  RESPONSE_CLASSES,
  ratioPercent,
  type SpikeAlarmRule,
} from '../../../infra/alarm-rules.js';
import type { AlarmState, KpiMinuteCounts, MinuteCounts } from '../../../infra/evaluate-alarms.js';
import { type AlarmJudgement, judgeAlarms, type LocalAlarmRule } from '../../../local/alarm-status.js';
import { addCounts, type KpiReport, toKpiReport, zeroCounts } from '../../engine/kpis.js';
import type { ClassCounts, ScanResult } from '../../engine/tally.js';

/** Peers kept in the model for each of the two top lists. */
export const TOP_PEERS = 10;

/** What every alarm of the report shows, spike or KPI. */
interface AlarmViewBase {
  readonly id: string;
  readonly title: string;
  readonly thresholdPercent: number;
  readonly periodSeconds: number;
  readonly datapointsToAlarm: number;
  readonly evaluationPeriods: number;
  /** The state at the data clock (the end of the newest minute); INSUFFICIENT_DATA without timed responses. */
  readonly state: AlarmState;
  readonly breachingPeriods: number;
  /** Every change of state, replayed minute by minute as if the data had arrived on time. */
  readonly transitions: readonly { readonly atMs: number; readonly from: AlarmState; readonly to: AlarmState }[];
  /** Start of every period whose value breaches the threshold (the periods that count towards M of N). */
  readonly breachedPeriodStartsMs: readonly number[];
}

/** A spike (or burst) alarm on a class's share of all responses. */
export interface SpikeAlarmView extends AlarmViewBase {
  readonly kind: 'spike';
  readonly responseClass: '5xx' | '6xx';
  readonly minResponsesPerPeriod: number;
}

/** A KPI alarm: ISA above, or SER below, its threshold. */
export interface KpiAlarmView extends AlarmViewBase {
  readonly kind: 'kpi';
  /** The rule itself: the report recomputes its value per period from `kpiMinutes`. */
  readonly rule: KpiAlarmRule;
  readonly kpi: 'isa' | 'ser';
  readonly comparison: KpiAlarmRule['comparison'];
  readonly minTransactionsPerPeriod: number;
}

/** One alarm as the report shows it. */
export type AlarmView = SpikeAlarmView | KpiAlarmView;

/** Responses of one peer. */
export interface PeerView {
  readonly peer: string;
  readonly responses: number;
  readonly byClass: ClassCounts;
}

/** KPIs of one file (KPIs are per trace: a transaction never spans two files). */
export interface KpiView {
  readonly file: string;
  readonly kpis: KpiReport;
}

/** One input and what became of it. */
export interface FileView {
  readonly name: string;
  readonly formats: readonly string[];
  readonly bytes: number;
  /** Wall-clock seconds of the scan (or of the handler's run), when known. */
  readonly seconds: number | undefined;
  readonly responses: number | undefined;
  /** `done`, `failed`, `processing`, ... (the local stack's states; `done` or `failed` for `scan`). */
  readonly state: string;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Everything one report shows. */
export interface ReportModel {
  readonly title: string;
  /** Where the numbers come from, one line. */
  readonly source: string;
  /** When the report was made (wall clock, epoch ms). */
  readonly generatedAtMs: number;
  /** Responses with and without a time. */
  readonly responses: number;
  readonly timedResponses: number;
  readonly byClass: ClassCounts;
  /** Responses by class per minute of log time, oldest first, only minutes with responses. */
  readonly minutes: readonly MinuteCounts[];
  readonly alarms: readonly AlarmView[];
  /** The instant the alarms were judged at (end of the newest minute), null without timed responses. */
  readonly judgedAtMs: number | null;
  /** Undefined when the source has no per-peer counts (the local store without peer metrics). */
  readonly peers?: PeerRankings;
  readonly byCode?: Readonly<Record<string, number>>;
  readonly byMethod?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly kpis?: readonly KpiView[];
  /** INVITE transactions per minute (of each INVITE), oldest first: what the KPI alarms judge. */
  readonly kpiMinutes: readonly KpiMinuteCounts[];
  /** The deployed pipeline's queues, on the local page (a file scan has none). */
  readonly queue?: { readonly waiting: number; readonly inFlight: number; readonly deadLetters: number };
  readonly anomalies: Readonly<Record<string, number>>;
  readonly files: readonly FileView[];
  /** Why a widget has no data, by widget kind (e.g. the local store holds no status codes at detail `class`). */
  readonly notes: Readonly<Record<string, string>>;
}

const zeroClasses = (): ClassCounts => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 });

const bump = (rec: Record<string, number>, key: string, by: number): void => {
  rec[key] = (rec[key] ?? 0) + by;
};

/** Every period above the threshold, by the rule's own expression (periods aligned to the epoch, as CloudWatch). */
const breachedPeriods = (rule: SpikeAlarmRule, minutes: readonly MinuteCounts[]): number[] => {
  const periodMs = rule.periodSeconds * 1000;
  const periods = new Map<number, { cls: number; total: number }>();
  for (const m of minutes) {
    const start = Math.floor(m.minuteStartMs / periodMs) * periodMs;
    const p = periods.get(start) ?? { cls: 0, total: 0 };
    for (const c of RESPONSE_CLASSES) p.total += m.counts[c] ?? 0;
    p.cls += m.counts[rule.responseClass] ?? 0;
    periods.set(start, p);
  }
  const out: number[] = [];
  for (const [start, p] of periods) {
    const v = ratioPercent(rule, p.cls, p.total);
    if (v !== undefined && v > rule.thresholdPercent) out.push(start);
  }
  return out.sort((a, b) => a - b);
};

/** A KPI rule's value per period (its own expression: kpiPercent), by period start; no entry without INVITEs. */
export const kpiPeriodValues = (rule: KpiAlarmRule, minutes: readonly KpiMinuteCounts[]): Map<number, number> => {
  const periodMs = rule.periodSeconds * 1000;
  const periods = new Map<number, KpiPeriodCounts>();
  for (const m of minutes) {
    const start = Math.floor(m.minuteStartMs / periodMs) * periodMs;
    const c = periods.get(start) ?? { inviteTransactions: 0, redirected: 0, established: 0, ineffective: 0 };
    periods.set(start, {
      inviteTransactions: c.inviteTransactions + m.counts.inviteTransactions,
      redirected: c.redirected + m.counts.redirected,
      established: c.established + m.counts.established,
      ineffective: c.ineffective + m.counts.ineffective,
    });
  }
  const out = new Map<number, number>();
  for (const [start, c] of periods) {
    const v = kpiPercent(rule, c);
    if (v !== undefined) out.set(start, v);
  }
  return out;
};

/** Every period a KPI rule's value breaches (above for ISA, below for SER), as the evaluator judges a datapoint. */
const breachedKpiPeriods = (rule: KpiAlarmRule, minutes: readonly KpiMinuteCounts[]): number[] =>
  [...kpiPeriodValues(rule, minutes)]
    .filter(([, v]) => isKpiBreaching(rule, v))
    .map(([start]) => start)
    .sort((a, b) => a - b);

/**
 * The alarms as the report shows them, from the local stack's judgement of the same series (a KPI rule judged by
 * evaluateKpiAlarm on `kpiMinutes`). A peer's alarm judges another series than the charts draw: left out here.
 */
export const alarmViews = (
  judgement: AlarmJudgement,
  minutes: readonly MinuteCounts[],
  kpiMinutes: readonly KpiMinuteCounts[],
): AlarmView[] =>
  judgement.alarms.flatMap(({ rule, evaluation, transitions }): AlarmView[] => {
    const base = {
      id: rule.id,
      title: rule.title,
      thresholdPercent: rule.thresholdPercent,
      periodSeconds: rule.periodSeconds,
      datapointsToAlarm: rule.datapointsToAlarm,
      evaluationPeriods: rule.evaluationPeriods,
      state: evaluation.state,
      breachingPeriods: evaluation.breachingPeriods,
      transitions: transitions.map((t) => ({ atMs: t.atMs, from: t.from, to: t.to })),
    };
    if ('kpi' in rule) {
      return [
        {
          ...base,
          kind: 'kpi',
          rule,
          kpi: rule.kpi,
          comparison: rule.comparison,
          minTransactionsPerPeriod: rule.minTransactionsPerPeriod,
          breachedPeriodStartsMs: breachedKpiPeriods(rule, kpiMinutes),
        },
      ];
    }
    if (rule.peer !== undefined) return [];
    return [
      {
        ...base,
        kind: 'spike',
        responseClass: rule.responseClass,
        minResponsesPerPeriod: rule.minResponsesPerPeriod,
        breachedPeriodStartsMs: breachedPeriods(rule, minutes),
      },
    ];
  });

/** The ten peers answering the most 5xx, the most 6xx, and the busiest, of every peer's counts. */
export interface PeerRankings {
  readonly by5xx: readonly PeerView[];
  readonly by6xx: readonly PeerView[];
  readonly byVolume: readonly PeerView[];
  readonly count: number;
}

/** The top peers by 5xx, by 6xx (peers with none left out; ties: by volume, then name) and by volume. */
export const topPeers = (peers: readonly PeerView[]): PeerRankings => {
  const byName = (a: PeerView, b: PeerView): number => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0);
  const byClass = (cls: '5xx' | '6xx'): PeerView[] =>
    peers
      .filter((p) => p.byClass[cls] > 0)
      .sort((a, b) => b.byClass[cls] - a.byClass[cls] || b.responses - a.responses || byName(a, b))
      .slice(0, TOP_PEERS);
  return {
    by5xx: byClass('5xx'),
    by6xx: byClass('6xx'),
    byVolume: [...peers].sort((a, b) => b.responses - a.responses || byName(a, b)).slice(0, TOP_PEERS),
    count: peers.length,
  };
};

/** One scanned input for {@link reportModelFromScans}: its result (partial when it failed), or only the error. */
export interface ScannedFile {
  readonly name: string;
  readonly result: ScanResult | undefined;
  readonly seconds: number;
  readonly error?: { readonly code: string; readonly message: string };
  /** An empty input (0 bytes): listed, not counted, as `scan` skips it. */
  readonly skipped?: boolean;
}

/** The report of `sip-metrics scan --html`: every file's counts summed, the alarms judged on the summed minutes. */
export const reportModelFromScans = (
  files: readonly ScannedFile[],
  rules: readonly LocalAlarmRule[],
  generatedAtMs: number,
): ReportModel => {
  const byClass = zeroClasses();
  const byCode: Record<string, number> = {};
  const byMethod: Record<string, Record<string, number>> = {};
  const anomalies: Record<string, number> = {};
  const perMinute = new Map<number, Partial<Record<keyof ClassCounts, number>>>();
  const peers = new Map<string, { responses: number; byClass: ClassCounts }>();
  const kpis: KpiView[] = [];
  const kpiPerMinute = new Map<number, ReturnType<typeof zeroCounts>>();
  let responses = 0;
  let timedResponses = 0;
  for (const f of files) {
    const r = f.result;
    if (r === undefined) continue;
    responses += r.responses;
    timedResponses += r.timedResponses;
    for (const c of RESPONSE_CLASSES) byClass[c] += r.byClass[c];
    for (const [code, n] of Object.entries(r.byCode)) bump(byCode, code, n);
    for (const [method, codes] of Object.entries(r.byMethod)) {
      const into = byMethod[method] ?? {};
      byMethod[method] = into;
      for (const [code, n] of Object.entries(codes)) bump(into, code, n);
    }
    for (const [kind, n] of Object.entries(r.anomalies)) if (n !== undefined) bump(anomalies, kind, n);
    for (const m of r.series) {
      const ms = Date.parse(m.minute);
      const into = perMinute.get(ms) ?? {};
      for (const c of RESPONSE_CLASSES) if (m.byClass[c] > 0) into[c] = (into[c] ?? 0) + m.byClass[c];
      perMinute.set(ms, into);
    }
    for (const [peer, p] of Object.entries(r.byPeer)) {
      const into = peers.get(peer) ?? { responses: 0, byClass: zeroClasses() };
      into.responses += p.responses;
      for (const c of RESPONSE_CLASSES) into.byClass[c] += p.byClass[c];
      peers.set(peer, into);
    }
    if (r.kpis.inviteTransactions > 0) kpis.push({ file: f.name, kpis: toKpiReport(r.kpis) });
    for (const k of r.kpis.series) {
      const ms = Date.parse(k.minute);
      const into = kpiPerMinute.get(ms) ?? zeroCounts();
      addCounts(into, k);
      kpiPerMinute.set(ms, into);
    }
  }
  const minutes: MinuteCounts[] = [...perMinute.entries()]
    .sort(([a], [b]) => a - b)
    .map(([minuteStartMs, counts]) => ({ minuteStartMs, counts }));
  const kpiMinutes: KpiMinuteCounts[] = [...kpiPerMinute.entries()]
    .sort(([a], [b]) => a - b)
    .map(([minuteStartMs, counts]) => ({ minuteStartMs, counts }));
  const judgement = judgeAlarms(rules, minutes, { kpis: () => kpiMinutes });
  return {
    title: files.length === 1 ? `sip-metrics: ${files[0]?.name}` : `sip-metrics: ${files.length} files`,
    source: 'sip-metrics scan: responses counted in the files below, by the minutes of their own timestamps (UTC)',
    generatedAtMs,
    responses,
    timedResponses,
    byClass,
    minutes,
    alarms: alarmViews(judgement, minutes, kpiMinutes),
    judgedAtMs: judgement.clock?.nowMs ?? null,
    peers: topPeers([...peers.entries()].map(([peer, p]) => ({ peer, ...p }))),
    byCode,
    byMethod,
    kpis,
    kpiMinutes,
    anomalies,
    files: files.map((f) => ({
      name: f.name,
      formats: f.result?.formats ?? [],
      bytes: f.result?.bytes ?? 0,
      seconds: f.seconds,
      responses: f.result?.responses,
      state: f.skipped === true ? 'skipped' : f.error === undefined ? 'done' : 'failed',
      ...(f.error === undefined ? {} : { error: f.error }),
    })),
    notes: {},
  };
};
