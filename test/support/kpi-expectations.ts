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
