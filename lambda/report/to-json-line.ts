import type { z } from 'zod';
import { kpiRatios, toKpiReport } from '../engine/kpis.js';
import type { ScanResult } from '../engine/tally.js';
import type { SipMetricsError } from '../errors.js';
import type { kpiMinuteReportSchema, ScanReport } from './scan-result-schema.js';

/** The `--json` object of one file (one per line: JSON Lines); its schema is the published contract. */
export type JsonReport = ScanReport;

/** KPIs of one minute, by the INVITE time of each transaction. */
export type KpiMinuteReport = z.infer<typeof kpiMinuteReportSchema>;

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
