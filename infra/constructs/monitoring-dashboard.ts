/**
 * The CloudWatch side of infra/dashboard-widgets.ts: turns each widget of the description into the CDK widget that
 * draws it, and lays them out in the description's rows. Nothing here decides what the dashboard shows; that is the
 * description's job, so the local page of `npm start` can show the same.
 */
import { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  type DashboardWidgetSpec,
  type MetricSeries,
  type ResourceSeries,
  type SeriesSpec,
  widgetRows,
} from '../dashboard-widgets.js';

/** The stack's resources whose AWS metrics the dashboard graphs. */
export interface DashboardResources {
  readonly function: IFunction;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
}

const periodOf = (seconds: number | undefined): { period?: Duration } =>
  seconds === undefined ? {} : { period: Duration.seconds(seconds) };

/** A metric of the description as a CDK Metric. */
export const cdkMetric = (m: MetricSeries): Metric =>
  new Metric({
    namespace: m.namespace,
    metricName: m.metricName,
    ...(Object.keys(m.dimensions).length === 0 ? {} : { dimensionsMap: { ...m.dimensions } }),
    statistic: m.statistic,
    ...periodOf(m.periodSeconds),
    ...(m.label === undefined ? {} : { label: m.label }),
    ...(m.color === undefined ? {} : { color: m.color }),
  });

const resourceMetric = (r: ResourceSeries, res: DashboardResources): IMetric => {
  const opts = { statistic: r.statistic, label: r.label };
  const queue = r.resource === 'deadLetterQueue' ? res.deadLetterQueue : res.queue;
  switch (r.metric) {
    case 'ApproximateNumberOfMessagesVisible':
      return queue.metricApproximateNumberOfMessagesVisible(opts);
    case 'ApproximateAgeOfOldestMessage':
      return queue.metricApproximateAgeOfOldestMessage(opts);
    case 'Invocations':
      return res.function.metricInvocations(opts);
    case 'Errors':
      return res.function.metricErrors(opts);
    case 'Throttles':
      return res.function.metricThrottles(opts);
    case 'Duration':
      return res.function.metricDuration(opts);
  }
};

/** A series of the description as what CDK graphs (a metric-math expression's metrics are its `usingMetrics`). */
export const cdkSeries = (s: SeriesSpec, res: DashboardResources): IMetric => {
  switch (s.kind) {
    case 'metric':
      return cdkMetric(s);
    case 'expression':
      return new MathExpression({
        expression: s.expression,
        ...(s.using === undefined
          ? {}
          : { usingMetrics: Object.fromEntries(Object.entries(s.using).map(([id, m]) => [id, cdkMetric(m)])) }),
        ...periodOf(s.periodSeconds),
        label: s.label,
      });
    case 'resource':
      return resourceMetric(s, res);
  }
};

/** One widget of the description as a CDK widget; `alarms` fills the alarm status widget. */
const cdkWidget = (w: DashboardWidgetSpec, res: DashboardResources, alarms: readonly IAlarm[]): IWidget => {
  const size = { width: w.width, height: w.height };
  if (w.kind === 'alarms') return new AlarmStatusWidget({ title: w.title, alarms: [...alarms], ...size });
  if (w.markdown !== undefined) return new TextWidget({ markdown: w.markdown, ...size });
  return new GraphWidget({
    title: w.title,
    ...(w.stacked === undefined ? {} : { stacked: w.stacked }),
    left: (w.left ?? []).map((s) => cdkSeries(s, res)),
    ...(w.right === undefined ? {} : { right: w.right.map((s) => cdkSeries(s, res)) }),
    ...(w.leftYAxis === undefined ? {} : { leftYAxis: { ...w.leftYAxis } }),
    ...(w.thresholds === undefined
      ? {}
      : { leftAnnotations: w.thresholds.map((t) => ({ value: t.value, label: t.label, color: t.color })) }),
    ...size,
  });
};

/** The dashboard: every widget of the description, in its order and rows. */
export const buildDashboard = (
  scope: Construct,
  id: string,
  o: {
    readonly widgets: readonly DashboardWidgetSpec[];
    readonly resources: DashboardResources;
    /** Every alarm of the stack, in the order the status widget lists them. */
    readonly alarms: readonly IAlarm[];
  },
): Dashboard => {
  const dashboard = new Dashboard(scope, id, { defaultInterval: Duration.hours(6) });
  for (const row of widgetRows(o.widgets)) {
    dashboard.addWidgets(...row.map((w) => cdkWidget(w, o.resources, o.alarms)));
  }
  return dashboard;
};
