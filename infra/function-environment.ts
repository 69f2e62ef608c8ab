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
  readonly ledgerRetentionDays?: number;
}

/** METRICS_NAMESPACE, METRIC_DETAIL, PEERS (when any), PEER_METRICS, PEER_TOP_N, KPI_METRICS and LEDGER_TTL_DAYS. */
export const functionSettingsEnvironment = (s: FunctionSettings): Record<string, string> => {
  const peers = s.peers ?? DEFAULTS.peers;
  return {
    METRICS_NAMESPACE: s.namespace,
    METRIC_DETAIL: s.metricDetail ?? DEFAULTS.metricDetail,
    ...(Object.keys(peers).length > 0 ? { PEERS: JSON.stringify(peers) } : {}),
    PEER_METRICS: String(s.peerMetrics ?? DEFAULTS.peerMetrics),
    PEER_TOP_N: String(s.peerTopN ?? DEFAULTS.peerTopN),
    KPI_METRICS: String(s.kpiMetrics ?? DEFAULTS.kpiMetrics),
    LEDGER_TTL_DAYS: String(s.ledgerRetentionDays ?? DEFAULTS.ledgerRetentionDays),
  };
};
