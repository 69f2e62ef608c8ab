import { type KpiReport, kpiRatios, toKpiReport } from '../engine/kpis.js';
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
  /** Responses by their sender (peer): see ScanResult.byPeer. */
  readonly byPeer: ScanResult['byPeer'];
  readonly seconds: number;
  readonly series?: ScanResult['series'];
  /** RFC 6076 call-level KPIs. */
  readonly kpis: KpiReport & { readonly perMinute?: readonly KpiMinuteReport[] };
  readonly error?: { readonly code: string; readonly message: string };
}

/** KPIs of one minute, by the INVITE time of each transaction. */
export interface KpiMinuteReport {
  readonly minute: string;
  readonly inviteTransactions: number;
  readonly ser: number | null;
  readonly seer: number | null;
  readonly isa: number | null;
  readonly scr: number | null;
}

/** Builds the JSON report; `series` only when asked for, `error` when the scan stopped early. */
export const toJsonReport = (
  file: string,
  r: ScanResult,
  seconds: number,
  opts: { perMinute: boolean; error?: SipMetricsError },
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
  byPeer: r.byPeer,
  seconds: Math.round(seconds * 1000) / 1000,
  ...(opts.perMinute ? { series: r.series } : {}),
  kpis: {
    ...toKpiReport(r.kpis),
    ...(opts.perMinute
      ? {
          perMinute: r.kpis.series.map((m) => ({
            minute: m.minute,
            inviteTransactions: m.inviteTransactions,
            ...kpiRatios(m),
          })),
        }
      : {}),
  },
  ...(opts.error ? { error: { code: opts.error.code, message: opts.error.message } } : {}),
});
