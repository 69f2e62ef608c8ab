import type { z } from 'zod';
import { type KpiPeerData, kpiRatios, NO_PEER_KPIS, toKpiReport } from '../../engine/kpis.js';
import type { ScanResult } from '../../engine/tally.js';
import type { SipMetricsError } from '../../errors.js';
import type { kpiMinuteReportSchema, ScanReport } from './scan-result-schema.js';

/** The `--json` object of one file (one per line: JSON Lines); its schema is the published contract. */
export type JsonReport = ScanReport;

/** The `kpis` object of a file or of a peer: totals, and `perMinute` with `--per-minute`. */
export type JsonKpis = ScanReport['kpis'];

/** KPIs of one minute, by the INVITE time of each transaction. */
export type KpiMinuteReport = z.infer<typeof kpiMinuteReportSchema>;

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
