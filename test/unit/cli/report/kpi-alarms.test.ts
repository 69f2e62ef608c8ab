import { describe, expect, it } from 'vitest';
import { buildKpiAlarmRules, DEFAULT_SPIKE_ALARM_SETTINGS } from '../../../../infra/alarm-rules.js';
import { reportWidgets } from '../../../../infra/dashboard-widgets.js';
import { renderReportHtml } from '../../../../lambda/cli/report/render-html.js';
import { type KpiAlarmView, reportModelFromScans } from '../../../../lambda/cli/report/report-model.js';
import { scanText } from '../../../support/collect.js';
import { spikeTrace } from '../../../support/spike-trace.js';

const MS_PER_MINUTE = 60_000;

// The KPI alarms of scan --html: ISA above and SER below their thresholds, judged by evaluateKpiAlarm on the
// INVITE transactions per minute of the scanned file, with every breaching period marked on the KPI graph.
describe('the KPI alarms of the HTML report', () => {
  it('lists ISA above 10 % and SER below 80 % with their replayed changes and marks the breaching minutes', async () => {
    // Prepare: 4 hours of INVITEs; carrier A answers 503 to a third of its calls in minutes 90-100 (ISA about 17 %,
    // SER about 72 %), carrier B 603 to its calls in minutes 170-171 (SER about 72 %, not ineffective)
    const start = Date.UTC(2026, 10, 24, 9, 0);
    const trace = spikeTrace(start, 240, [90, 100], [170, 171]);
    const result = await scanText(trace.text);
    const kpiRules = buildKpiAlarmRules({
      namespace: 'SIP',
      periodSeconds: 60,
      evaluationPeriods: 68,
      datapointsToAlarm: 3,
      minTransactionsPerPeriod: 30,
      isaThresholdPercent: 10,
      serThresholdPercent: 80,
    });

    // Act
    const model = reportModelFromScans([{ name: 'spike.ngrep.txt', result, seconds: 1 }], kpiRules, 0);
    const html = renderReportHtml(
      model,
      reportWidgets({ spikeAlarms: DEFAULT_SPIKE_ALARM_SETTINGS, spikeRules: [], kpiRules }),
    );

    // Assess
    const at = (m: number): number => start + m * MS_PER_MINUTE;
    const minutes = (from: number, to: number): number[] =>
      Array.from({ length: to - from + 1 }, (_, i) => at(from + i));
    const views = model.alarms as KpiAlarmView[];
    expect(
      views.map((a) => [a.id, a.state, a.breachedPeriodStartsMs, a.transitions.map((t) => [t.atMs, t.to])]),
    ).toEqual([
      [
        'IneffectiveSessionAttempts',
        'OK',
        minutes(90, 100),
        [
          [at(0), 'OK'],
          [at(93), 'ALARM'],
          [at(167), 'OK'],
        ],
      ],
      [
        'LowSessionEstablishment',
        'OK',
        [...minutes(90, 100), ...minutes(170, 171)],
        [
          [at(0), 'OK'],
          [at(93), 'ALARM'],
          [at(167), 'OK'],
        ],
      ],
    ]);
    expect(html).toContain('<b data-metric="breached-IneffectiveSessionAttempts">11</b>');
    expect(html).toContain('<b data-metric="breached-LowSessionEstablishment">13</b>');
    // one red column per breaching minute on the KPI graph (one bar per minute over 4 hours)
    expect(html.match(/<rect class="breach bkpi"/g)?.length).toBe(11 + 13);
    expect(html).toContain('<td class="rule">ISA &gt; 10 % of ≥ 30 INVITE transactions per 60 s, 3 of 68 periods</td>');
    expect(html).toContain('<td class="rule">SER &lt; 80 % of ≥ 30 INVITE transactions per 60 s, 3 of 68 periods</td>');
  });
});
