/**
 * The product's dashboard described once, as data: which widgets, in which order, how big (CloudWatch's 24-column
 * grid), what each graphs (metrics and metric-math expressions) and which alarm thresholds it draws (from the rules
 * of alarm-rules.ts). The CloudWatch dashboard of `constructs/monitoring.ts` is built from this list, widget for
 * widget; the local page of `npm start` renders the same list from the local CloudWatch store, and the HTML report
 * of `scan --html` the widgets marked `report` (a file has no queue and no function). The tests
 * (test/infra/dashboard-widgets.test.ts, test/browser/live-dashboard.test.ts) read both dashboards back and compare
 * them with this list. Pure: no aws-cdk-lib, no I/O.
 */
import {
  isBurstRule,
  type KpiAlarmRule,
  kpiMetric,
  RESPONSE_CLASSES,
  type SpikeAlarmRule,
  type SpikeAlarmSettings,
} from './alarm-rules.js';
import type { MetricDetail } from './defaults.js';

/** What a widget shows; each renderer knows how to draw each kind. */
export type WidgetKind =
  | 'intro'
  | 'responses-by-class'
  | 'class-ratio'
  | 'status-codes'
  | 'methods'
  | 'top-peers'
  | 'kpi-ratios'
  | 'kpi-delays'
  | 'files'
  | 'bytes'
  | 'lag'
  | 'queues'
  | 'function'
  | 'alarms';

/** One metric of the product's namespace (or of the KPI rules). */
export interface MetricSeries {
  readonly kind: 'metric';
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: string;
  /** Absent: CloudWatch's default (5 minutes), as the dashboard graphs the file and lag metrics. */
  readonly periodSeconds?: number;
  readonly label?: string;
  readonly color?: string;
}

/** A metric-math expression (a ratio over named metrics, or a Metrics Insights query without them). */
export interface ExpressionSeries {
  readonly kind: 'expression';
  readonly expression: string;
  /** The metrics the expression names, by id; absent for a Metrics Insights query. */
  readonly using?: Readonly<Record<string, MetricSeries>>;
  /** '' lets CloudWatch name each series of a query by its group (CDK would repeat the query). */
  readonly label: string;
  readonly periodSeconds?: number;
}

/** A metric of an AWS resource of the stack (the notification queue, its dead-letter queue, the function). */
export interface ResourceSeries {
  readonly kind: 'resource';
  readonly resource: 'queue' | 'deadLetterQueue' | 'function';
  readonly metric:
    | 'ApproximateNumberOfMessagesVisible'
    | 'ApproximateAgeOfOldestMessage'
    | 'Invocations'
    | 'Errors'
    | 'Throttles'
    | 'Duration';
  readonly statistic: string;
  readonly label: string;
}

/** Anything a graph widget draws. */
export type SeriesSpec = MetricSeries | ExpressionSeries | ResourceSeries;

/** A horizontal line on a graph: an alarm threshold. */
export interface ThresholdLine {
  readonly value: number;
  readonly label: string;
  readonly color: string;
}

/** One widget of the dashboard. */
export interface DashboardWidgetSpec {
  /** Stable id, unique in the dashboard (an HTML id on the local page and in the report). */
  readonly id: string;
  readonly kind: WidgetKind;
  /** The title both dashboards print (the intro's is the heading of its markdown on CloudWatch). */
  readonly title: string;
  /** Columns of the 24-column grid; rows fill up to 24 columns on both dashboards. */
  readonly width: number;
  /** Rows of CloudWatch's grid (the local page sizes its widgets by their content). */
  readonly height: number;
  /** Also in the HTML report of `scan --html` (false: about the deployed pipeline, which a file scan has not). */
  readonly report: boolean;
  /** The text of a text widget (the intro). */
  readonly markdown?: string;
  readonly stacked?: boolean;
  readonly left?: readonly SeriesSpec[];
  readonly right?: readonly SeriesSpec[];
  readonly leftYAxis?: { readonly min?: number; readonly max?: number; readonly showUnits?: boolean };
  /** Alarm thresholds drawn on the left axis. */
  readonly thresholds?: readonly ThresholdLine[];
  /** The spike rule a `class-ratio` widget draws. */
  readonly rule?: SpikeAlarmRule;
  /** The burst rule of the same class, drawn on the same graph. */
  readonly burstRule?: SpikeAlarmRule;
  /** The KPI rules a `kpi-ratios` widget draws. */
  readonly kpiRules?: readonly KpiAlarmRule[];
  /** What a `top-peers` widget ranks by: one class, or all responses. */
  readonly peerRanking?: '5xx' | '6xx' | 'all';
}

/** Which of the conditional widgets a dashboard shows: what the function publishes. */
export interface WidgetConditions {
  /** Top status codes (the function publishes `Responses` by Code: metricDetail `code`). */
  readonly statusCodes: boolean;
  /** Top CSeq methods (metricDetail `method`). */
  readonly methods: boolean;
  /** Top peers (`Responses` by Peer: peerMetrics). */
  readonly peers: boolean;
  /** KPI ratios and delays (kpiMetrics). */
  readonly kpis: boolean;
}

/** The conditions of a deployed (or local) stack: what its function publishes. */
export const widgetConditionsOf = (o: {
  readonly metricDetail: MetricDetail;
  readonly peerMetrics: boolean;
  readonly kpiMetrics: boolean;
}): WidgetConditions => ({
  statusCodes: o.metricDetail === 'code',
  methods: o.metricDetail === 'method',
  peers: o.peerMetrics,
  kpis: o.kpiMetrics,
});

/** A report reads the file itself: it has every breakdown, whatever the function would publish. */
export const REPORT_CONDITIONS: WidgetConditions = { statusCodes: true, methods: true, peers: true, kpis: true };

/** What the list is built from: the alarm settings and rules the stack deploys, and what the function publishes. */
export interface DashboardOptions {
  readonly spikeAlarms: SpikeAlarmSettings;
  /** Every spike rule (buildAllSpikeAlarmRules): the ratio graphs draw those of all responses. */
  readonly spikeRules: readonly SpikeAlarmRule[];
  readonly kpiRules: readonly KpiAlarmRule[];
  readonly conditions: WidgetConditions;
}

/** The title of a spike rule's ratio graph, on the CloudWatch dashboard as in the report. */
export const ratioWidgetTitle = (rule: Pick<SpikeAlarmRule, 'responseClass'>): string =>
  `${rule.responseClass} share of responses (%)`;

/** `Responses` with these dimensions, summed per period. */
const responses = (
  namespace: string,
  dimensions: Record<string, string>,
  periodSeconds: number,
  label: string,
): MetricSeries => ({
  kind: 'metric',
  namespace,
  metricName: 'Responses',
  dimensions,
  statistic: 'Sum',
  periodSeconds,
  label,
});

/** A metric of the namespace without dimensions (files, bytes, lag, delays). */
const metric = (
  namespace: string,
  metricName: string,
  statistic: string,
  label: string,
  extra: Pick<MetricSeries, 'periodSeconds' | 'color'> = {},
): MetricSeries => ({
  kind: 'metric',
  namespace,
  metricName,
  dimensions: {},
  statistic,
  label,
  ...extra,
});

/** A spike rule's own expression over its own metrics, as its alarm reads it. */
export const ratioSeriesOf = (rule: SpikeAlarmRule): ExpressionSeries => ({
  kind: 'expression',
  expression: rule.expression,
  using: Object.fromEntries(
    [rule.classMetric, rule.totalMetric].map((m) => [
      m.id,
      {
        kind: 'metric',
        namespace: m.namespace,
        metricName: m.metricName,
        dimensions: m.dimensions,
        statistic: m.statistic,
        periodSeconds: rule.periodSeconds,
      } satisfies MetricSeries,
    ]),
  ),
  label: `${rule.responseClass} % (0 below ${rule.minResponsesPerPeriod} responses)`,
  periodSeconds: rule.periodSeconds,
});

const classRatioWidgets = (rules: readonly SpikeAlarmRule[]): DashboardWidgetSpec[] =>
  // one graph per class: the spike rule's; a burst rule judges the same share (drawn on it), a peer's another series
  rules
    .filter((rule) => rule.peer === undefined && !isBurstRule(rule))
    .map((rule) => {
      const burst = rules.find((r) => r.peer === undefined && isBurstRule(r) && r.responseClass === rule.responseClass);
      return {
        id: `ratio-${rule.responseClass}`,
        kind: 'class-ratio',
        title: ratioWidgetTitle(rule),
        width: 12,
        height: 6,
        report: true,
        left: [ratioSeriesOf(rule)],
        leftYAxis: { min: 0, showUnits: false },
        thresholds: [
          {
            value: rule.thresholdPercent,
            label: `alarm above ${rule.thresholdPercent} % in ${rule.datapointsToAlarm} periods`,
            color: '#ff7f0e',
          },
          ...(burst === undefined
            ? []
            : [
                {
                  value: burst.thresholdPercent,
                  label: `alarm above ${burst.thresholdPercent} % in one period of ≥ ${burst.minResponsesPerPeriod}`,
                  color: '#d62728',
                },
              ]),
        ],
        rule,
        ...(burst === undefined ? {} : { burstRule: burst }),
      };
    });

/** Top 10 by a Metrics Insights query: whatever codes, methods or peers occur, without listing them in advance. */
const insights = (expression: string): ExpressionSeries => ({ kind: 'expression', expression, label: '' });

const peerWidgets = (namespace: string): DashboardWidgetSpec[] =>
  (['5xx', '6xx', 'all'] as const).map((ranking) => ({
    id: `peers-${ranking}`,
    kind: 'top-peers',
    title: ranking === 'all' ? 'Top 10 peers by responses' : `Top 10 peers by ${ranking} responses`,
    width: 8,
    height: 6,
    report: true,
    stacked: true,
    left: [
      insights(
        `SELECT SUM(Responses) FROM SCHEMA("${namespace}", Class, Peer)${ranking === 'all' ? '' : ` WHERE Class = '${ranking}'`} GROUP BY Peer ORDER BY SUM() DESC LIMIT 10`,
      ),
    ],
    peerRanking: ranking,
  }));

/**
 * RFC 6076 SER, SEER, ISA and SCR per period from the published numerators and denominator (exact over any period:
 * sums divide, averages of ratios would not), with the KPI alarm thresholds; and the delays' percentiles.
 */
const kpiWidgets = (
  namespace: string,
  periodSeconds: number,
  rules: readonly KpiAlarmRule[],
): DashboardWidgetSpec[] => {
  const m = (id: string, outcome?: string): MetricSeries => {
    const k = kpiMetric(namespace, id, outcome);
    return {
      kind: 'metric',
      namespace,
      metricName: k.metricName,
      dimensions: k.dimensions,
      statistic: k.statistic,
      periodSeconds,
    };
  };
  const using = {
    mAll: m('mAll'),
    mRedirected: m('mRedirected', 'Redirected'),
    mEstablished: m('mEstablished', 'Established'),
    mEffective: m('mEffective', 'Effective'),
    mIneffective: m('mIneffective', 'Ineffective'),
    mCompleted: m('mCompleted', 'Completed'),
  };
  const answerable = '(mAll - FILL(mRedirected, 0))';
  const ratio = (label: string, expression: string): ExpressionSeries => ({
    kind: 'expression',
    expression,
    using,
    label,
    periodSeconds,
  });
  const delay = (metricName: string, statistic: string, label: string): MetricSeries =>
    metric(namespace, metricName, statistic, label, { periodSeconds });
  return [
    {
      id: 'kpi-ratios',
      kind: 'kpi-ratios',
      title: 'Call KPIs, RFC 6076 (% of INVITE transactions)',
      width: 12,
      height: 6,
      report: true,
      left: [
        ratio('SER', `100 * FILL(mEstablished, 0) / ${answerable}`),
        ratio('SEER', `100 * FILL(mEffective, 0) / ${answerable}`),
        ratio('ISA', '100 * FILL(mIneffective, 0) / mAll'),
        ratio('SCR', '100 * FILL(mCompleted, 0) / mAll'),
      ],
      leftYAxis: { min: 0, max: 100, showUnits: false },
      thresholds: rules.map((r) => ({
        value: r.thresholdPercent,
        label: `${r.kpi.toUpperCase()} alarm ${r.comparison === 'GreaterThanThreshold' ? 'above' : 'below'} ${r.thresholdPercent} %`,
        color: '#d62728',
      })),
      kpiRules: rules,
    },
    {
      id: 'kpi-delays',
      kind: 'kpi-delays',
      title: 'Setup and teardown delays (ms)',
      width: 12,
      height: 6,
      report: true,
      left: [
        delay('SessionRequestDelay', 'p50', 'SRD p50'),
        delay('SessionRequestDelay', 'p90', 'SRD p90'),
        delay('SessionRequestDelay', 'p99', 'SRD p99'),
        delay('SessionDisconnectDelay', 'p90', 'SDD p90'),
        delay('RegistrationRequestDelay', 'p90', 'RRD p90'),
      ],
    },
  ];
};

/** Widgets of the dashboard in display order. */
export const dashboardWidgets = (o: DashboardOptions): DashboardWidgetSpec[] => {
  const s = o.spikeAlarms;
  const { namespace, periodSeconds } = s;
  const c = o.conditions;
  const widgets: DashboardWidgetSpec[] = [
    {
      id: 'intro',
      kind: 'intro',
      title: 'SIP responses',
      width: 24,
      height: 2,
      report: true,
      markdown:
        `# SIP responses (namespace \`${namespace}\`)\n` +
        "Times are the log's own timestamps: a file uploaded late fills in the past. " +
        `Spike alarms judge ${periodSeconds} s periods with at least ${s.minResponsesPerPeriod} responses.`,
    },
    {
      id: 'responses-by-class',
      kind: 'responses-by-class',
      title: 'Responses by class',
      width: 24,
      height: 6,
      report: true,
      stacked: true,
      left: RESPONSE_CLASSES.map((cls) => responses(namespace, { Class: cls }, periodSeconds, cls)),
    },
    ...classRatioWidgets(o.spikeRules),
  ];
  if (c.statusCodes) {
    widgets.push({
      id: 'status-codes',
      kind: 'status-codes',
      title: 'Top 10 status codes',
      width: 24,
      height: 6,
      report: true,
      stacked: true,
      left: [
        insights(
          `SELECT SUM(Responses) FROM SCHEMA("${namespace}", Class, Code) GROUP BY Code ORDER BY SUM() DESC LIMIT 10`,
        ),
      ],
    });
  }
  if (c.methods) {
    widgets.push({
      id: 'methods',
      kind: 'methods',
      title: 'Top 10 CSeq methods (responses)',
      width: 24,
      height: 6,
      report: true,
      stacked: true,
      left: [
        insights(
          `SELECT SUM(Responses) FROM SCHEMA("${namespace}", Class, Method) GROUP BY Method ORDER BY SUM() DESC LIMIT 10`,
        ),
      ],
    });
  }
  if (c.peers) widgets.push(...peerWidgets(namespace));
  if (c.kpis) widgets.push(...kpiWidgets(namespace, periodSeconds, o.kpiRules));
  widgets.push(
    {
      id: 'files',
      kind: 'files',
      title: 'Files',
      width: 8,
      height: 6,
      report: true,
      left: [
        metric(namespace, 'FilesProcessed', 'Sum', 'processed'),
        metric(namespace, 'FilesFailed', 'Sum', 'failed', { color: '#d62728' }),
        metric(namespace, 'ParseAnomalies', 'Sum', 'parse anomalies'),
      ],
    },
    {
      id: 'bytes',
      kind: 'bytes',
      title: 'Bytes processed',
      width: 8,
      height: 6,
      report: false,
      left: [metric(namespace, 'BytesProcessed', 'Sum', 'bytes')],
    },
    {
      id: 'lag',
      kind: 'lag',
      title: 'Upload to metrics (s)',
      width: 8,
      height: 6,
      report: false,
      left: [
        metric(namespace, 'ProcessingLagSeconds', 'Maximum', 'max'),
        metric(namespace, 'ProcessingLagSeconds', 'p50', 'median'),
      ],
    },
    {
      id: 'queues',
      kind: 'queues',
      title: 'Queues',
      width: 12,
      height: 6,
      report: false,
      left: [
        {
          kind: 'resource',
          resource: 'queue',
          metric: 'ApproximateNumberOfMessagesVisible',
          statistic: 'Maximum',
          label: 'waiting',
        },
        {
          kind: 'resource',
          resource: 'deadLetterQueue',
          metric: 'ApproximateNumberOfMessagesVisible',
          statistic: 'Maximum',
          label: 'in DLQ',
        },
      ],
      right: [
        {
          kind: 'resource',
          resource: 'queue',
          metric: 'ApproximateAgeOfOldestMessage',
          statistic: 'Maximum',
          label: 'oldest (s)',
        },
      ],
    },
    {
      id: 'function',
      kind: 'function',
      title: 'Function',
      width: 12,
      height: 6,
      report: false,
      left: [
        { kind: 'resource', resource: 'function', metric: 'Invocations', statistic: 'Sum', label: 'invocations' },
        { kind: 'resource', resource: 'function', metric: 'Errors', statistic: 'Sum', label: 'errors' },
        { kind: 'resource', resource: 'function', metric: 'Throttles', statistic: 'Sum', label: 'throttles' },
      ],
      right: [
        {
          kind: 'resource',
          resource: 'function',
          metric: 'Duration',
          statistic: 'Maximum',
          label: 'max duration (ms)',
        },
      ],
    },
    // every alarm of the stack (the status widget lists them; the local page and the report the ones they judge)
    { id: 'alarms', kind: 'alarms', title: 'Alarms', width: 24, height: 3, report: true },
  );
  return widgets;
};

/** The widgets of the HTML report: those of the list that a file scan can fill, every breakdown included. */
export const reportWidgets = (o: Omit<DashboardOptions, 'conditions'>): DashboardWidgetSpec[] =>
  dashboardWidgets({ ...o, conditions: REPORT_CONDITIONS }).filter((w) => w.report);

/**
 * The widgets in CloudWatch's rows: each row takes widgets in order until the next would pass 24 columns (the local
 * page's CSS grid flows the same way).
 */
export const widgetRows = (widgets: readonly DashboardWidgetSpec[]): DashboardWidgetSpec[][] => {
  const rows: DashboardWidgetSpec[][] = [];
  let row: DashboardWidgetSpec[] = [];
  let used = 0;
  for (const w of widgets) {
    if (used + w.width > 24 && row.length > 0) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push(w);
    used += w.width;
  }
  if (row.length > 0) rows.push(row);
  return rows;
};
