/**
 * The library entry of the npm package (`import { SipMetrics } from 'sip-metrics'`): the construct, its props and
 * the types those props use. Everything here needs aws-cdk-lib and constructs (peer dependencies); the CLI
 * (`sip-metrics` bin, dist/lambda/cli/cli.js) never imports this module, so it runs without them.
 */
export type { PeerMapSpec } from '../lambda/engine/peers.js';
export {
  DEFAULT_SPIKE_ALARM_SETTINGS,
  type KpiAlarmSettings,
  type SpikeAlarmSettings,
} from './alarm-rules.js';
export type { HandlerCode } from './constructs/processor-function.js';
export { SipMetrics, type SipMetricsProps } from './constructs/sip-metrics.js';
export { SipMetricsPropsError, sipMetricsPropsProblems } from './constructs/sip-metrics-validation.js';
export type { BucketEncryptionMode, MetricDetail } from './defaults.js';
