import { type KpiPeerData, type KpiReport, kpiRatios, toKpiReport } from '../engine/kpis.js';
import type { ScanResult } from '../engine/tally.js';
import type { SipMetricsError } from '../errors.js';

/** The `--json` object of one file (one per line: JSON Lines). */
export interface JsonReport {
  readonly file: string;
  readonly formats: readonly string[];
  readonly bytes: number;
  readonly messages: number;
  readonly requests: number;
  readonly responses: number;
  readonly accountedResponses: number;
  readonly byClass: ScanResult['byClass'];
  readonly byCode: ScanResult['byCode'];
  readonly byMethod: ScanResult['byMethod'];
  readonly retransmissions: ScanResult['retransmissions'];
  readonly anomalies: ScanResult['anomalies'];
  readonly unrecognizedBytes: number;
  readonly timedResponses: number;
  /**
   * Responses by their sender (peer): see ScanResult.byPeer. With `--by peer` each peer also has `kpis`, of the
   * transactions it answered (the sender of their responses), in the shape of the file's `kpis`.
   */
  readonly byPeer: Record<string, ScanResult['byPeer'][string] & { readonly kpis?: JsonKpis }>;
  readonly seconds: number;
  readonly series?: ScanResult['series'];
  /** RFC 6076 call-level KPIs. */
  readonly kpis: JsonKpis;
  readonly error?: { readonly code: string; readonly message: string };
}

/** The `kpis` object of a file or of a peer: totals, and `perMinute` with `--per-minute`. */
export type JsonKpis = KpiReport & { readonly perMinute?: readonly KpiMinuteReport[] };

/** KPIs of one minute, by the INVITE time of each transaction. */
export interface KpiMinuteReport {
  readonly minute: string;
  readonly inviteTransactions: number;
  readonly ser: number | null;
  readonly seer: number | null;
  readonly isa: number | null;
  readonly scr: number | null;
}

const NO_PEER_KPIS: KpiPeerData = {
  inviteTransactions: 0,
  redirected: 0,
  established: 0,
  effective: 0,
  ineffective: 0,
  completed: 0,
  srd: { count: 0, sumMs: 0, minMs: null, maxMs: null, buckets: {} },
  sdd: { count: 0, sumMs: 0, minMs: null, maxMs: null, buckets: {} },
  rrd: { count: 0, sumMs: 0, minMs: null, maxMs: null, buckets: {} },
  series: [],
};

/** The KPIs of a file (its KpiData) or of a peer, as the report shows them. */
const jsonKpis = (k: KpiPeerData, perMinute: boolean): JsonKpis => ({
  ...toKpiReport(k),
  ...(perMinute
    ? {
        perMinute: k.series.map((m) => ({
          minute: m.minute,
          inviteTransactions: m.inviteTransactions,
          ...kpiRatios(m),
        })),
      }
    : {}),
});

/** byPeer with each peer's KPIs (a peer that answered no INVITE, BYE or REGISTER has zeros). */
const peersWithKpis = (r: ScanResult, perMinute: boolean): JsonReport['byPeer'] =>
  Object.fromEntries(
    Object.entries(r.byPeer).map(([peer, c]) => [
      peer,
      { ...c, kpis: jsonKpis(r.kpis.byPeer[peer] ?? NO_PEER_KPIS, perMinute) },
    ]),
  );

/**
 * Builds the JSON report; `series` only when asked for, the peers' `kpis` with `byPeer`, `error` when the scan
 * stopped early.
 */
export const toJsonReport = (
  file: string,
  r: ScanResult,
  seconds: number,
  opts: { perMinute: boolean; byPeer?: boolean; error?: SipMetricsError },
): JsonReport => ({
  file,
  formats: r.formats,
  bytes: r.bytes,
  messages: r.messages,
  requests: r.requests,
  responses: r.responses,
  accountedResponses: r.accountedResponses,
  byClass: r.byClass,
  byCode: r.byCode,
  byMethod: r.byMethod,
  retransmissions: r.retransmissions,
  anomalies: r.anomalies,
  unrecognizedBytes: r.unrecognizedBytes,
  timedResponses: r.timedResponses,
  byPeer: opts.byPeer === true ? peersWithKpis(r, opts.perMinute) : r.byPeer,
  seconds: Math.round(seconds * 1000) / 1000,
  ...(opts.perMinute ? { series: r.series } : {}),
  kpis: jsonKpis(r.kpis, opts.perMinute),
  ...(opts.error ? { error: { code: opts.error.code, message: opts.error.message } } : {}),
});
