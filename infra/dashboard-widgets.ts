/**
 * The product's dashboard described once, as data: which widgets, in which order, how wide (CloudWatch's 24-column
 * grid). The HTML report (`sip-metrics scan --html`) and the local dashboard of `npm start` render this list; the
 * CloudWatch dashboard of `constructs/monitoring.ts` shows the widgets marked `cloudWatch` in the same order
 * (test/infra/dashboard-widgets.test.ts holds it to that), so the local view previews the deployed one.
 * Pure: no aws-cdk-lib, no I/O.
 */
import { isBurstRule, type SpikeAlarmRule } from './alarm-rules.js';

/** What a widget shows; each renderer knows how to draw each kind. */
export type WidgetKind =
  | 'intro'
  | 'responses-by-class'
  | 'class-ratio'
  | 'top-peers'
  | 'status-codes'
  | 'methods'
  | 'kpis'
  | 'anomalies'
  | 'files'
  | 'alarms';

/** One widget of the dashboard. */
export interface DashboardWidgetSpec {
  /** Stable id, unique in the dashboard (an HTML id in the report). */
  readonly id: string;
  readonly kind: WidgetKind;
  /** The title both renderers print. */
  readonly title: string;
  /** Columns of CloudWatch's 24-column grid (the HTML report uses the same grid on wide screens). */
  readonly width: number;
  /**
   * The title of the CloudWatch widget that shows the same thing, when the deployed dashboard has one (it may word
   * it differently: it graphs the top 10 codes, the report tables all of them); absent: report and local view only.
   */
  readonly cloudWatchTitle?: string;
  /** The spike rule a `class-ratio` widget draws. */
  readonly rule?: SpikeAlarmRule;
}

/** The title of a spike rule's ratio graph, on the CloudWatch dashboard as in the report. */
export const ratioWidgetTitle = (rule: Pick<SpikeAlarmRule, 'responseClass'>): string =>
  `${rule.responseClass} share of responses (%)`;

/** Widgets of the dashboard in display order, for these spike rules. */
export const dashboardWidgets = (rules: readonly SpikeAlarmRule[]): DashboardWidgetSpec[] => [
  { id: 'intro', kind: 'intro', title: 'SIP responses', width: 24 },
  {
    id: 'responses-by-class',
    kind: 'responses-by-class',
    title: 'Responses by class',
    width: 24,
    cloudWatchTitle: 'Responses by class',
  },
  // one ratio graph per class: the spike rule's; a burst rule judges the same share, a peer's rule another series
  ...rules
    .filter((rule) => rule.peer === undefined && !isBurstRule(rule))
    .map(
      (rule): DashboardWidgetSpec => ({
        id: `ratio-${rule.responseClass}`,
        kind: 'class-ratio',
        title: ratioWidgetTitle(rule),
        width: 12,
        cloudWatchTitle: ratioWidgetTitle(rule),
        rule,
      }),
    ),
  { id: 'top-peers', kind: 'top-peers', title: 'Top peers', width: 24 },
  {
    id: 'status-codes',
    kind: 'status-codes',
    title: 'Status codes',
    width: 12,
    cloudWatchTitle: 'Top 10 status codes',
  },
  {
    id: 'methods',
    kind: 'methods',
    title: 'CSeq methods (responses)',
    width: 12,
    cloudWatchTitle: 'Top 10 CSeq methods (responses)',
  },
  { id: 'kpis', kind: 'kpis', title: 'Call-level KPIs (RFC 6076)', width: 24 },
  { id: 'anomalies', kind: 'anomalies', title: 'Anomalies and untimed responses', width: 24 },
  { id: 'files', kind: 'files', title: 'Files', width: 24, cloudWatchTitle: 'Files' },
  { id: 'alarms', kind: 'alarms', title: 'Alarms', width: 24, cloudWatchTitle: 'Alarms' },
];
