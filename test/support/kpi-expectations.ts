import type { KpiCounts } from '../../lambda/engine/kpis.js';

/**
 * The KPI report of ../shared/corpus/mixed.pcap, checked against tshark in test/corpus/kpis.test.ts
 * (146/(406-20), 222/386, 45/406, 146/406); the CLI test expects the same report in `--json`.
 */
export const MIXED_PCAP_KPI_REPORT = {
  inviteTransactions: 406,
  ser: 37.82,
  seer: 57.51,
  isa: 11.08,
  scr: 35.96,
  srdMs: { count: 403, mean: 20.906, p50: 1.003, p90: 31.991, p99: 88.27 },
  sddMs: { count: 150, mean: 0.493, p50: 0, p90: 1.003, p99: 2.996 },
  rrdMs: { count: 118, mean: 0.254, p50: 0, p90: 1, p99: 1 },
} as const;

/** What scripts/kpi-truth.py counts from tshark fields, in the *.truth.json files beside each capture. */
export interface KpiTruthCounts {
  readonly inviteTransactions: number;
  readonly redirected: number;
  readonly established: number;
  readonly effective: number;
  readonly ineffective: number;
  /** Established and ended by a BYE of the same Call-ID answered 2xx (SCR numerator). */
  readonly completed: number;
  readonly open: number;
  readonly srdCount: number;
  readonly srdMeanMs: number | null;
  readonly srdMinMs?: number;
  readonly srdMaxMs?: number;
}

/**
 * The outcome counts of a scan's KPIs or of a tshark truth (both name them alike), for comparing one with the other:
 * INVITE transactions and their redirected, established, effective, ineffective and completed ones.
 */
export const outcomeCounts = (c: Readonly<KpiCounts>): KpiCounts => ({
  inviteTransactions: c.inviteTransactions,
  redirected: c.redirected,
  established: c.established,
  effective: c.effective,
  ineffective: c.ineffective,
  completed: c.completed,
});
