import { describe, expect, it } from 'vitest';
import { buildSpikeAlarmRules, DEFAULT_SPIKE_ALARM_SETTINGS } from '../../../../infra/alarm-rules.js';
import { reportWidgets } from '../../../../infra/dashboard-widgets.js';
import { renderReportHtml } from '../../../../lambda/cli/report/render-html.js';
import { reportModelFromScans } from '../../../../lambda/cli/report/report-model.js';
import { MAX_COLUMNS } from '../../../../lambda/cli/report/time-axis.js';
import type { ScanResult } from '../../../../lambda/engine/tally.js';
import { scanText } from '../../../support/collect.js';

const MS_PER_MINUTE = 60_000;
const rules = buildSpikeAlarmRules();
const widgets = reportWidgets({ spikeAlarms: DEFAULT_SPIKE_ALARM_SETTINGS, spikeRules: rules, kpiRules: [] });

/** A scan result with only what the report reads, over `minutes` minutes of 190 responses (+ 20 5xx in some). */
const longResult = async (minutes: number): Promise<ScanResult> => {
  const base = await scanText('SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n');
  const start = Date.UTC(2026, 10, 1);
  const series = Array.from({ length: minutes }, (_, i) => ({
    minute: new Date(start + i * MS_PER_MINUTE).toISOString(),
    byClass: { '1xx': 0, '2xx': 190, '3xx': 0, '4xx': 0, '5xx': i % 500 < 4 ? 20 : 0, '6xx': 0 },
    byCode: {},
    byMethod: {},
    retransmittedByClass: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 },
    byPeer: {},
  }));
  return { ...base, series, responses: minutes * 200, timedResponses: minutes * 200 };
};

describe('renderReportHtml', () => {
  it('draws two weeks of minutes in at most 1,440 columns and stays far under 2 MB', async () => {
    // Prepare: 20,160 minutes, each a column's worth of data had it not been binned
    const result = await longResult(20_160);

    // Act
    const model = reportModelFromScans([{ name: 'two-weeks.log', result, seconds: 1 }], rules, 0);
    const html = renderReportHtml(model, widgets);

    // Assess: 14 minutes a bar, 1,440 bars; 41 spikes of 4 minutes, each breaching 4 periods of the 5xx rule
    expect(model.minutes.length).toBe(20_160);
    expect(model.alarms.map((a) => [a.id, a.breachedPeriodStartsMs.length])).toEqual([
      ['ServerErrorSpike', 41 * 4],
      ['GlobalFailureSpike', 0],
    ]);
    expect(html).toContain('one bar per 14 minutes');
    expect(html.match(/<title>/g)?.length).toBe(1 + MAX_COLUMNS); // the page's and one tooltip per bar
    expect(Buffer.byteLength(html)).toBeLessThan(600_000);
  });

  it('breaks the time axis at a gap of more than two hours, so logs days apart both stay readable', async () => {
    // Prepare: 40 minutes on 1 November and 10 minutes ten days later
    const result = await longResult(40);
    const later = Date.UTC(2026, 10, 11, 6, 0);
    const tail = Array.from({ length: 10 }, (_, i) => ({
      ...(result.series[0] as ScanResult['series'][number]),
      minute: new Date(later + i * MS_PER_MINUTE).toISOString(),
    }));
    const both: ScanResult = { ...result, series: [...result.series, ...tail] };

    // Act
    const html = renderReportHtml(
      reportModelFromScans([{ name: 'two-days.log', result: both, seconds: 1 }], rules, 0),
      widgets,
    );

    // Assess: 40 + 30 columns (a 10-minute stretch is drawn on half an hour), one break line on each of the 3 charts
    expect(html).toContain('viewBox="0 0 70 ');
    expect(html.match(/<line class="gap" x1="40"/g)?.length).toBe(3);
    expect(html).toContain('1 break(s) where more than 2 hours passed without a response');
    // the later stretch starts at column 40 of 70, 10 minutes before its data (centred in its half hour), dated
    expect(html).toContain('<span style="left:57.14%">11-11 05:50</span><span style="left:71.43%">06:00</span>');
  });

  it('escapes the text a log controls: CSeq methods, peers and file names', async () => {
    // Prepare: markup where a method and a peer name go (the engine keeps such tokens out, but the page must not
    // rely on that: the report is opened by people who did not write the log)
    const scanned = await scanText('SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n');
    const result: ScanResult = {
      ...scanned,
      byMethod: { '<img/src/onerror=alert(1)>': { '200': 1 } },
      byPeer: { '<i>peer</i>': { responses: 1, byClass: scanned.byClass, byCode: { '200': 1 } } },
    };

    // Act
    const html = renderReportHtml(
      reportModelFromScans([{ name: '<b>x</b>.log', result, seconds: 1 }], rules, 0),
      widgets,
    );

    // Assess
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<i>peer');
    expect(html).toContain('&lt;i&gt;peer&lt;/i&gt;');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&lt;img/src/onerror=alert(1)&gt;');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;.log');
  });

  it('says there is no time axis when no response carries a time, and judges no alarm', async () => {
    // Prepare
    const result = await scanText('SIP/2.0 503 Service Unavailable\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n');

    // Act
    const model = reportModelFromScans([{ name: 'bare.sip', result, seconds: 1 }], rules, 0);
    const html = renderReportHtml(model, widgets);

    // Assess
    expect([model.judgedAtMs, model.alarms.map((a) => a.state)]).toEqual([
      null,
      ['INSUFFICIENT_DATA', 'INSUFFICIENT_DATA'],
    ]);
    expect(html).toContain('No response carries a time (all 1 are in the totals only).');
    expect(html).not.toContain('<svg');
  });
});
