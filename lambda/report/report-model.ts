/**
 * What the HTML report and the local dashboard show, as plain data: per-minute responses by class, the spike alarms
 * judged on them, peers, status codes, CSeq methods, KPIs, anomalies and files. Built from `scan` results (the CLI)
 * or from the local stack's CloudWatch store (`npm start`); `render-html.ts` draws either the same way.
 * Pure: no I/O, no clock (the caller passes the time it was made).
 */
import { RESPONSE_CLASSES, ratioPercent, type SpikeAlarmRule } from '../../infra/alarm-rules.js';
import type { AlarmState, MinuteCounts } from '../../infra/evaluate-alarms.js';
import { type AlarmJudgement, isKpiRule, judgeAlarms } from '../../local/alarm-status.js';
import { type KpiReport, toKpiReport } from '../engine/kpis.js';
import type { ClassCounts, ScanResult } from '../engine/tally.js';

/** Peers kept in the model for each of the two top lists. */
export const TOP_PEERS = 10;

/** One spike alarm as the report shows it. */
export interface AlarmView {
  readonly id: SpikeAlarmRule['id'];
  readonly responseClass: '5xx' | '6xx';
  readonly title: string;
  readonly thresholdPercent: number;
  readonly minResponsesPerPeriod: number;
  readonly periodSeconds: number;
  readonly datapointsToAlarm: number;
  readonly evaluationPeriods: number;
  /** The state at the data clock (the end of the newest minute); INSUFFICIENT_DATA without timed responses. */
  readonly state: AlarmState;
  readonly breachingPeriods: number;
  /** Every change of state, replayed minute by minute as if the data had arrived on time. */
  readonly transitions: readonly { readonly atMs: number; readonly from: AlarmState; readonly to: AlarmState }[];
  /** Start of every period whose value is above the threshold (the periods that count towards M of N). */
  readonly breachedPeriodStartsMs: readonly number[];
}

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
  readonly peers?: {
    readonly byErrors: readonly PeerView[];
    readonly byVolume: readonly PeerView[];
    readonly count: number;
  };
  readonly byCode?: Readonly<Record<string, number>>;
  readonly byMethod?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly kpis?: readonly KpiView[];
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

/** The alarms as the report shows them, from the local stack's judgement of the same series. */
export const alarmViews = (judgement: AlarmJudgement, minutes: readonly MinuteCounts[]): AlarmView[] =>
  // the report draws the ratios of all responses: a peer's or a KPI's alarm has no chart of its own here
  judgement.alarms.flatMap(({ rule, evaluation, transitions }) =>
    isKpiRule(rule) || rule.peer !== undefined
      ? []
      : [
          {
            id: rule.id,
            responseClass: rule.responseClass,
            title: rule.title,
            thresholdPercent: rule.thresholdPercent,
            minResponsesPerPeriod: rule.minResponsesPerPeriod,
            periodSeconds: rule.periodSeconds,
            datapointsToAlarm: rule.datapointsToAlarm,
            evaluationPeriods: rule.evaluationPeriods,
            state: evaluation.state,
            breachingPeriods: evaluation.breachingPeriods,
            transitions: transitions.map((t) => ({ atMs: t.atMs, from: t.from, to: t.to })),
            breachedPeriodStartsMs: breachedPeriods(rule, minutes),
          },
        ],
  );

/** The top peers by 5xx + 6xx (ties: by volume) and by volume, of every peer's counts. */
export const topPeers = (peers: readonly PeerView[]): { byErrors: PeerView[]; byVolume: PeerView[]; count: number } => {
  const errors = (p: PeerView): number => p.byClass['5xx'] + p.byClass['6xx'];
  const byName = (a: PeerView, b: PeerView): number => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0);
  return {
    byErrors: peers
      .filter((p) => errors(p) > 0)
      .sort((a, b) => errors(b) - errors(a) || b.responses - a.responses || byName(a, b))
      .slice(0, TOP_PEERS),
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
  rules: readonly SpikeAlarmRule[],
  generatedAtMs: number,
): ReportModel => {
  const byClass = zeroClasses();
  const byCode: Record<string, number> = {};
  const byMethod: Record<string, Record<string, number>> = {};
  const anomalies: Record<string, number> = {};
  const perMinute = new Map<number, Partial<Record<keyof ClassCounts, number>>>();
  const peers = new Map<string, { responses: number; byClass: ClassCounts }>();
  const kpis: KpiView[] = [];
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
  }
  const minutes: MinuteCounts[] = [...perMinute.entries()]
    .sort(([a], [b]) => a - b)
    .map(([minuteStartMs, counts]) => ({ minuteStartMs, counts }));
  const judgement = judgeAlarms(rules, minutes);
  return {
    title: files.length === 1 ? `sip-metrics: ${files[0]?.name}` : `sip-metrics: ${files.length} files`,
    source: 'sip-metrics scan: responses counted in the files below, by the minutes of their own timestamps (UTC)',
    generatedAtMs,
    responses,
    timedResponses,
    byClass,
    minutes,
    alarms: alarmViews(judgement, minutes),
    judgedAtMs: judgement.clock?.nowMs ?? null,
    peers: topPeers([...peers.entries()].map(([peer, p]) => ({ peer, ...p }))),
    byCode,
    byMethod,
    kpis,
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
