import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAllSpikeAlarmRules } from '../../infra/alarm-rules.js';
import { dashboardWidgets as widgetSpecs } from '../../infra/dashboard-widgets.js';
import { dashboardWidgets } from './dashboard-body.js';
import { type Synthesized, synthesize } from './synth.js';

// The local page and the HTML report render infra/dashboard-widgets.ts; the deployed dashboard must show the widgets
// they share in the same order, or the local view would not preview it faithfully.
describe('the widget description and the CloudWatch dashboard', () => {
  let s: Synthesized;

  beforeAll(() => {
    // detail 'code' adds the status-code widget, so one synthesis covers every shared widget but the methods one;
    // M = 1 makes the spike rules look like the burst rules in all but their kind
    s = synthesize({ 'sipMetrics:metricDetail': 'code', 'sipMetrics:alarmDatapointsToAlarm': '1' });
  });

  afterAll(() => s?.cleanup());

  it('lists the deployed dashboard’s response widgets in the dashboard’s own order', () => {
    // Prepare
    // every rule the local stack judges: one ratio graph per class all the same
    const specs = widgetSpecs(buildAllSpikeAlarmRules(s.config.spikeAlarms, s.config.peerAlarms));
    const shared = new Map(specs.flatMap((w) => (w.cloudWatchTitle === undefined ? [] : [[w.cloudWatchTitle, w.id]])));

    // Act
    const deployed = dashboardWidgets(s.template)
      .map((w) => w.properties.title)
      .flatMap((t) => (t !== undefined && shared.has(t) ? [shared.get(t)] : []));

    // Assess
    expect(deployed).toEqual(['responses-by-class', 'ratio-5xx', 'ratio-6xx', 'status-codes', 'files', 'alarms']);
    expect(deployed).toEqual(specs.map((w) => w.id).filter((id) => deployed.includes(id)));
  });
});
