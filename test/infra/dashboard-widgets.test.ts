import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAllSpikeAlarmRules, buildKpiAlarmRules, DEFAULT_SPIKE_ALARM_SETTINGS } from '../../infra/alarm-rules.js';
import type { StackConfig } from '../../infra/config.js';
import {
  type DashboardWidgetSpec,
  dashboardWidgets,
  REPORT_CONDITIONS,
  reportWidgets,
  widgetConditionsOf,
  widgetRows,
} from '../../infra/dashboard-widgets.js';
import { type DashboardWidget, dashboardWidgets as deployedWidgets } from './dashboard-body.js';
import { type Synthesized, synthesize } from './synth.js';

/** The description's widgets for a synthesized stack's configuration (what the local page renders for it too). */
const describedFor = (config: StackConfig): DashboardWidgetSpec[] =>
  dashboardWidgets({
    spikeAlarms: config.spikeAlarms,
    spikeRules: buildAllSpikeAlarmRules(config.spikeAlarms, config.peerAlarms),
    kpiRules: buildKpiAlarmRules(config.kpiAlarms),
    conditions: widgetConditionsOf(config),
  });

/** A deployed widget as the description would list it: a text widget's title is its markdown's heading. */
const shapeOf = (w: DashboardWidget) => ({
  title: w.properties.title ?? /^# (.+?)(?: \(|$)/m.exec(w.properties.markdown ?? '')?.[1],
  width: w.width,
  height: w.height,
  thresholds: (w.properties.annotations?.horizontal ?? []).map((a) => [a.value, a.label]),
});

const describedShapeOf = (w: DashboardWidgetSpec) => ({
  title: w.title,
  width: w.width,
  height: w.height,
  thresholds: (w.thresholds ?? []).map((t) => [t.value, t.label]),
});

// The CloudWatch dashboard is built from infra/dashboard-widgets.ts; the local page renders the same list
// (test/browser/live-dashboard.test.ts). Both conditional sets of widgets are synthesized: codes with KPI alarms,
// and methods with peers and without KPIs.
describe.each([
  {
    name: 'status codes, KPIs with ISA and SER alarms, no peers',
    context: {
      'sipMetrics:metricDetail': 'code',
      'sipMetrics:isaAlarmThresholdPercent': '20',
      'sipMetrics:serAlarmThresholdPercent': '50',
    },
    titles: [
      'SIP responses',
      'Responses by class',
      '5xx share of responses (%)',
      '6xx share of responses (%)',
      'Top 10 status codes',
      'Call KPIs, RFC 6076 (% of INVITE transactions)',
      'Setup and teardown delays (ms)',
      'Files',
      'Bytes processed',
      'Upload to metrics (s)',
      'Queues',
      'Function',
      'Alarms',
    ],
  },
  {
    name: 'CSeq methods and peers, no KPIs',
    context: {
      'sipMetrics:metricDetail': 'method',
      'sipMetrics:peerMetrics': 'true',
      'sipMetrics:kpiMetrics': 'false',
    },
    titles: [
      'SIP responses',
      'Responses by class',
      '5xx share of responses (%)',
      '6xx share of responses (%)',
      'Top 10 CSeq methods (responses)',
      'Top 10 peers by 5xx responses',
      'Top 10 peers by 6xx responses',
      'Top 10 peers by responses',
      'Files',
      'Bytes processed',
      'Upload to metrics (s)',
      'Queues',
      'Function',
      'Alarms',
    ],
  },
])('the CloudWatch dashboard and the widget description: $name', ({ context, titles }) => {
  let s: Synthesized;

  beforeAll(() => {
    s = synthesize(context);
  });

  afterAll(() => s?.cleanup());

  it('shows exactly the described widgets, in the described order, sizes and alarm thresholds', () => {
    // Prepare
    const described = describedFor(s.config);

    // Act
    const deployed = deployedWidgets(s.template).map(shapeOf);

    // Assess
    expect(deployed.map((w) => w.title)).toEqual(titles);
    expect(deployed).toEqual(described.map(describedShapeOf));
  });

  it('draws each alarm threshold of the rules it deploys on the graph of the series the alarm reads', () => {
    // Prepare
    const described = describedFor(s.config);
    const ratio = described.find((w) => w.id === 'ratio-5xx');
    const kpis = described.find((w) => w.id === 'kpi-ratios');

    // Act
    const thresholds = [ratio, kpis].map((w) => w?.thresholds?.map((t) => t.label) ?? null);

    // Assess
    expect(thresholds).toEqual([
      ['alarm above 5 % in 3 periods', 'alarm above 10 % in one period of ≥ 200'],
      s.config.kpiMetrics ? ['ISA alarm above 20 %', 'SER alarm below 50 %'] : null,
    ]);
  });
});

describe('the widget description itself', () => {
  const base = {
    spikeAlarms: DEFAULT_SPIKE_ALARM_SETTINGS,
    spikeRules: buildAllSpikeAlarmRules(DEFAULT_SPIKE_ALARM_SETTINGS, []),
    kpiRules: [],
  };

  it('lays the widgets out in rows of 24 columns, as CloudWatch and the page grid place them', () => {
    // Prepare
    const widgets = dashboardWidgets({ ...base, conditions: REPORT_CONDITIONS });

    // Act
    const rows = widgetRows(widgets).map((row) => row.map((w) => `${w.id}:${w.width}`));

    // Assess
    expect(rows).toEqual([
      ['intro:24'],
      ['responses-by-class:24'],
      ['ratio-5xx:12', 'ratio-6xx:12'],
      ['status-codes:24'],
      ['methods:24'],
      ['peers-5xx:8', 'peers-6xx:8', 'peers-all:8'],
      ['kpi-ratios:12', 'kpi-delays:12'],
      ['files:8', 'bytes:8', 'lag:8'],
      ['queues:12', 'function:12'],
      ['alarms:24'],
    ]);
  });

  it('gives the report every breakdown but none of the pipeline widgets a file scan cannot fill', () => {
    // Prepare, Act
    const ids = reportWidgets(base).map((w) => w.id);

    // Assess
    expect(ids).toEqual([
      'intro',
      'responses-by-class',
      'ratio-5xx',
      'ratio-6xx',
      'status-codes',
      'methods',
      'peers-5xx',
      'peers-6xx',
      'peers-all',
      'kpi-ratios',
      'kpi-delays',
      'files',
      'alarms',
    ]);
  });
});
