import type { AlarmState, MinuteCounts } from '../infra/evaluate-alarms.js';
import { rankPeers } from '../lambda/cli/report/format-peers.js';
import { zeroClassCounts } from '../lambda/contract/classes.js';
import { addCounts, type KpiCounts, kpiRatios, zeroCounts } from '../lambda/engine/kpis.js';
import { type AlarmJudgement, judgeAlarms, type LocalAlarmRule } from './alarm-status.js';
import type { LocalEvent } from './local-events.js';
import type { ClassTotals, LoopbackCloudWatch } from './loopback-cloudwatch.js';

/** Minutes of data the "last minutes" view sums. */
export const RECENT_MINUTES = 5;

const MS_PER_MINUTE = 60_000;

/** The counts and alarm states the view shows, from the local CloudWatch store. */
export interface MetricsNow {
  /** `Responses` by `Class` over every datum stored. */
  readonly totals: ClassTotals;
  /** The last RECENT_MINUTES minutes up to the newest minute in the data, empty minutes included. */
  readonly recentMinutes: readonly MinuteCounts[];
  readonly recentTotals: ClassTotals;
  /** RFC 6076 KPIs over every `InviteTransactions` datum stored (from the published numerators). */
  readonly kpis: KpiLine;
  /** `Responses` by Peer and Class over every datum, most 5xx+6xx first (empty without per-peer metrics). */
  readonly peers: readonly PeerTotals[];
  readonly judgement: AlarmJudgement;
}

/** One peer's responses, in total and by class. */
export interface PeerTotals {
  readonly peer: string;
  readonly responses: number;
  readonly totals: ClassTotals;
}

/** The KPIs a line shows: RFC 6076 percentages and how many INVITE transactions they are of. */
export interface KpiLine {
  readonly inviteTransactions: number;
  readonly ser: number | null;
  readonly seer: number | null;
  readonly isa: number | null;
  readonly scr: number | null;
}

/** The KPIs of every minute of `InviteTransactions` counts together. */
const kpiLineOf = (minutes: readonly { readonly counts: KpiCounts }[]): KpiLine => {
  const c = zeroCounts();
  for (const m of minutes) addCounts(c, m.counts);
  return { inviteTransactions: c.inviteTransactions, ...kpiRatios(c) };
};

/** Peers worst first, in the order of `scan --by peer`. */
const rankedPeers = (byPeer: ReadonlyMap<string, ClassTotals>): PeerTotals[] =>
  rankPeers(
    Object.fromEntries(
      [...byPeer].map(([peer, byClass]) => [
        peer,
        { responses: Object.values(byClass).reduce((n, v) => n + v, 0), byClass },
      ]),
    ),
  ).map(([peer, c]) => ({ peer, responses: c.responses, totals: c.byClass }));

/** Alarms judged on the CloudWatch store at the data clock, re-judged after every batch. */
export interface MetricsView {
  now(): MetricsNow;
  /** Judges the alarms again and emits an `alarm` event for each one whose state changed. */
  rejudge(): void;
}

const recentOf = (series: readonly MinuteCounts[], clockNewest: number | undefined): MinuteCounts[] => {
  if (clockNewest === undefined) return [];
  const byMinute = new Map(series.map((m) => [m.minuteStartMs, m]));
  const out: MinuteCounts[] = [];
  for (let i = RECENT_MINUTES - 1; i >= 0; i--) {
    const minuteStartMs = clockNewest - i * MS_PER_MINUTE;
    out.push(byMinute.get(minuteStartMs) ?? { minuteStartMs, counts: {} });
  }
  return out;
};

export const createMetricsView = (o: {
  readonly cloudWatch: LoopbackCloudWatch;
  readonly namespace: string;
  readonly rules: readonly LocalAlarmRule[];
  readonly emit: (event: LocalEvent) => void;
}): MetricsView => {
  const { cloudWatch, namespace, rules, emit } = o;
  let dirty = true;
  interface Judged {
    series: MinuteCounts[];
    totals: ClassTotals;
    peers: PeerTotals[];
    kpis: KpiLine;
    judgement: AlarmJudgement;
  }
  let cached: Judged | undefined;
  const judged = (): Judged => {
    if (dirty || cached === undefined) {
      const series = cloudWatch.responsesByMinute(namespace);
      // one pass over the datums for the KPI line and the KPI alarms alike
      const kpiMinutes = cloudWatch.kpisByMinute(namespace);
      cached = {
        series,
        totals: cloudWatch.responsesByClass(namespace),
        peers: rankedPeers(cloudWatch.responsesByPeer(namespace)),
        kpis: kpiLineOf(kpiMinutes),
        judgement: judgeAlarms(rules, series, {
          peer: (peer) => cloudWatch.responsesByMinute(namespace, peer),
          kpis: () => kpiMinutes,
        }),
      };
      dirty = false;
    }
    return cached;
  };
  cloudWatch.onAccepted(() => {
    dirty = true;
  });
  const lastStates = new Map<string, AlarmState>(judged().judgement.alarms.map((a) => [a.rule.id, a.evaluation.state]));
  const announceAlarmChanges = (): void => {
    const { judgement } = judged();
    for (const a of judgement.alarms) {
      const from = lastStates.get(a.rule.id) ?? 'INSUFFICIENT_DATA';
      if (from === a.evaluation.state || judgement.clock === null) continue;
      lastStates.set(a.rule.id, a.evaluation.state);
      emit({
        kind: 'alarm',
        rule: a.rule,
        from,
        to: a.evaluation.state,
        dataNowMs: judgement.clock.nowMs,
        evaluation: a.evaluation,
      });
    }
  };

  return {
    now: () => {
      const { series, totals, peers, kpis, judgement } = judged();
      const recentMinutes = recentOf(series, judgement.clock?.newestMinuteMs);
      const recentTotals: ClassTotals = zeroClassCounts();
      for (const m of recentMinutes) {
        for (const [cls, n] of Object.entries(m.counts) as [keyof ClassTotals, number][]) recentTotals[cls] += n;
      }
      return { totals, recentMinutes, recentTotals, peers, kpis, judgement };
    },
    rejudge: () => {
      dirty = true;
      announceAlarmChanges();
    },
  };
};
