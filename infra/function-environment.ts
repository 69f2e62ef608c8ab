/**
 * The settings of the processing function as its environment variables: one writer for the deployed function
 * (`constructs/processor-function.ts`) and the local stack's (`local/emulators.ts`), read back by
 * `lambda/config.ts`. Pure: no aws-cdk-lib, no I/O.
 */
import type { PeerMapSpec } from '../lambda/engine/peers.js';
import { DEFAULTS, type MetricDetail } from './defaults.js';

/** What the function is told; absent settings take their DEFAULTS. */
export interface FunctionSettings {
  readonly namespace: string;
  readonly metricDetail?: MetricDetail;
  readonly peers?: PeerMapSpec;
  readonly peerMetrics?: boolean;
  readonly peerTopN?: number;
  readonly kpiMetrics?: boolean;
  readonly logTimeZone?: string;
  readonly logTimeZoneByPrefix?: Readonly<Record<string, string>>;
  readonly ledgerRetentionDays?: number;
}

/**
 * METRICS_NAMESPACE, METRIC_DETAIL, PEERS (when any), PEER_METRICS, PEER_TOP_N, KPI_METRICS, LOG_TIME_ZONE,
 * LOG_TIME_ZONES_BY_PREFIX (when any) and LEDGER_TTL_DAYS.
 */
export const functionSettingsEnvironment = (s: FunctionSettings): Record<string, string> => {
  const peers = s.peers ?? DEFAULTS.peers;
  const byPrefix = s.logTimeZoneByPrefix ?? DEFAULTS.logTimeZoneByPrefix;
  return {
    METRICS_NAMESPACE: s.namespace,
    METRIC_DETAIL: s.metricDetail ?? DEFAULTS.metricDetail,
    ...(Object.keys(peers).length > 0 ? { PEERS: JSON.stringify(peers) } : {}),
    PEER_METRICS: String(s.peerMetrics ?? DEFAULTS.peerMetrics),
    PEER_TOP_N: String(s.peerTopN ?? DEFAULTS.peerTopN),
    KPI_METRICS: String(s.kpiMetrics ?? DEFAULTS.kpiMetrics),
    LOG_TIME_ZONE: s.logTimeZone ?? DEFAULTS.logTimeZone,
    ...(Object.keys(byPrefix).length > 0 ? { LOG_TIME_ZONES_BY_PREFIX: JSON.stringify(byPrefix) } : {}),
    LEDGER_TTL_DAYS: String(s.ledgerRetentionDays ?? DEFAULTS.ledgerRetentionDays),
  };
};
