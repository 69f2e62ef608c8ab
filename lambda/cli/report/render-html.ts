/**
 * Draws a ReportModel as one self-contained HTML page: inline CSS and hand-drawn inline SVG, no script needed, no
 * network, so the file opens anywhere (a mail attachment, a ticket) and stays small: the charts are drawn from the
 * per-minute series, at most MAX_COLUMNS columns, never per message. The widgets and their order come from
 * infra/dashboard-widgets.ts, the list the CloudWatch dashboard is built from (the caller picks the widgets: the
 * report's, or the deployed stack's for the local page). The live page of `npm start` is the
 * same page plus a few lines of script that fetch a fresh `<main>` every second.
 * Pure: strings in, a string out.
 */
import { RESPONSE_CLASSES, type ResponseClass, ratioPercent } from '../../../infra/alarm-rules.js';
import { type DashboardWidgetSpec, widgetRows } from '../../../infra/dashboard-widgets.js';
import type { MinuteCounts } from '../../../infra/evaluate-alarms.js';
import type { DelaySummary } from '../../engine/delay-histogram.js';
import {
  type AlarmView,
  type KpiAlarmView,
  kpiPeriodValues,
  type PeerView,
  type ReportModel,
  type SpikeAlarmView,
} from './report-model.js';
import { columnEndOf, columnOf, columnStartMs, GAP_MINUTES, type TimeAxis, timeAxisOf } from './time-axis.js';

const MS_PER_MINUTE = 60_000;

const CLASS_COLORS: Readonly<Record<ResponseClass, string>> = {
  '1xx': '#9aa5b1',
  '2xx': '#2f9e44',
  '3xx': '#1c7ed6',
  '4xx': '#f59f00',
  '5xx': '#e03131',
  '6xx': '#9c36b5',
};

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
/** Every text from a log (methods, peers, file names) goes through this: a report must not run a log's markup. */
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const int = (n: number): string => n.toLocaleString('en-US');
const pct = (n: number | null | undefined, digits = 1): string =>
  n === null || n === undefined ? '–' : `${n.toFixed(digits)} %`;
const share = (n: number, total: number): string => (total === 0 ? '–' : pct((100 * n) / total));
const ms = (n: number | null): string => (n === null ? '–' : `${n.toLocaleString('en-US')} ms`);

/** 1,234,567 bytes as "1.2 MB" (the local view's units). */
const bytesText = (n: number): string => {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(0)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
};

const isoMinute = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
const hhmm = (t: number): string => new Date(t).toISOString().slice(11, 16);

const sumOf = (c: Partial<Record<ResponseClass, number>>): number =>
  RESPONSE_CLASSES.reduce((n, cls) => n + (c[cls] ?? 0), 0);

/** The smallest of 1, 2, 2.5, 5 × 10^k at or above `v` (a readable axis maximum). */
const niceCeil = (v: number): number => {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
};

/**
 * Tick labels under a chart: a round step giving at most `maxTicks` of them, HH:MM, with the date where it changes
 * and at each stretch after a break.
 */
const xTicks = (axis: TimeAxis, maxTicks: number): string => {
  const spanMinutes = axis.columns * axis.binMinutes;
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10_080, 43_200];
  const step = steps.find((st) => spanMinutes / st <= maxTicks) ?? Math.ceil(spanMinutes / maxTicks);
  const stepMs = step * MS_PER_MINUTE;
  const binMs = axis.binMinutes * MS_PER_MINUTE;
  const out: string[] = [];
  let lastDay = '';
  let lastLeft = Number.NEGATIVE_INFINITY;
  for (const seg of axis.segments) {
    const endMs = seg.startMs + seg.columns * binMs;
    let firstOfSegment = seg.firstColumn > 0;
    for (let t = Math.ceil(seg.startMs / stepMs) * stepMs; t < endMs; t += stepMs) {
      const left = (100 * (seg.firstColumn + (t - seg.startMs) / binMs)) / axis.columns;
      // labels closer than about 60 % of a step would overlap (at a break, the next stretch's first one yields)
      if (left - lastLeft < 60 / maxTicks) continue;
      const day = new Date(t).toISOString().slice(5, 10);
      const label = day === lastDay && !firstOfSegment ? hhmm(t) : `${day} ${hhmm(t)}`;
      lastDay = day;
      lastLeft = left;
      firstOfSegment = false;
      out.push(`<span style="left:${left.toFixed(2)}%">${label}</span>`);
    }
  }
  return `<div class="x">${out.join('')}</div>`;
};

/** A dashed vertical line at every break of the axis (a long gap without responses left out). */
const breakLines = (axis: TimeAxis, height: number): string =>
  axis.segments
    .slice(1)
    .map(
      (seg) =>
        `<line class="gap" x1="${seg.firstColumn}" x2="${seg.firstColumn}" y1="0" y2="${height}" vector-effect="non-scaling-stroke"/>`,
    )
    .join('');

const yTicks = (max: number, unit: string, extra = ''): string =>
  `<div class="y">${[1, 0.5, 0]
    .map((f) => `<span style="bottom:${f * 100}%">${int(Math.round(max * f * 100) / 100)}${unit}</span>`)
    .join('')}${extra}</div>`;

/** Columns of per-class sums (bins of several minutes add up). */
const binClasses = (axis: TimeAxis, minutes: readonly MinuteCounts[]): Partial<Record<ResponseClass, number>>[] => {
  const cols: Partial<Record<ResponseClass, number>>[] = Array.from({ length: axis.columns }, () => ({}));
  for (const m of minutes) {
    const col = cols[columnOf(axis, m.minuteStartMs)];
    if (col === undefined) continue;
    for (const c of RESPONSE_CLASSES) {
      const n = m.counts[c];
      if (n !== undefined && n > 0) col[c] = (col[c] ?? 0) + n;
    }
  }
  return cols;
};

/** Shaded columns: the periods an alarm rule breached, or the time an alarm was in ALARM. */
const shadeColumns = (axis: TimeAxis, fromMs: number, toMs: number, height: number, cls: string): string => {
  const a = Math.max(0, columnOf(axis, fromMs));
  const b = Math.min(axis.columns, Math.max(a + 1, columnEndOf(axis, toMs)));
  if (a >= axis.columns || b <= 0) return '';
  return `<rect class="${cls}" x="${a}" y="0" width="${b - a}" height="${height}"/>`;
};

/** Intervals an alarm spent in ALARM (replayed), the last one open when the alarm never came back. */
const alarmIntervals = (alarm: AlarmView): [number, number][] => {
  const out: [number, number][] = [];
  let since: number | undefined;
  for (const t of alarm.transitions) {
    if (t.to === 'ALARM') since = t.atMs;
    else if (since !== undefined) {
      out.push([since, t.atMs]);
      since = undefined;
    }
  }
  if (since !== undefined) out.push([since, Number.POSITIVE_INFINITY]);
  return out;
};

const chart = (svgBody: string, columns: number, height: number, yAxis: string, xAxis: string, label: string): string =>
  `<div class="chart">${yAxis}<div class="plot"><svg viewBox="0 0 ${columns} ${height}" preserveAspectRatio="none" ` +
  `role="img" aria-label="${esc(label)}">${svgBody}</svg>${xAxis}</div></div>`;

const noTimes = (m: ReportModel): string =>
  `<p class="empty">No response carries a time${m.responses > 0 ? ` (all ${int(m.responses)} are in the totals only)` : ''}.</p>`;

const spikeAlarmsOf = (m: ReportModel): SpikeAlarmView[] =>
  m.alarms.filter((a): a is SpikeAlarmView => a.kind === 'spike');

const responsesChart = (m: ReportModel, axis: TimeAxis): string => {
  const cols = binClasses(axis, m.minutes);
  const max = niceCeil(Math.max(1, ...cols.map(sumOf)));
  // one path per class, a sub-path per column, stacked from the bottom; y grows downwards in SVG
  const paths = RESPONSE_CLASSES.map((c) => {
    const d: string[] = [];
    cols.forEach((col, i) => {
      const n = col[c] ?? 0;
      if (n === 0) return;
      const below = RESPONSE_CLASSES.slice(0, RESPONSE_CLASSES.indexOf(c)).reduce((s, k) => s + (col[k] ?? 0), 0);
      d.push(`M${i} ${max - below - n}h1v${n}h-1z`);
    });
    return d.length === 0 ? '' : `<path fill="${CLASS_COLORS[c]}" d="${d.join('')}"/>`;
  }).join('');
  const marks = spikeAlarmsOf(m)
    .flatMap((a) =>
      a.breachedPeriodStartsMs.map((t) =>
        shadeColumns(axis, t, t + a.periodSeconds * 1000, max * 0.04, `breach b${a.responseClass}`),
      ),
    )
    .join('');
  const tips = cols
    .map((col, i) => {
      const total = sumOf(col);
      if (total === 0) return '';
      const t = columnStartMs(axis, i);
      const when = axis.binMinutes === 1 ? isoMinute(t) : `${isoMinute(t)} + ${axis.binMinutes} min`;
      const parts = RESPONSE_CLASSES.filter((c) => (col[c] ?? 0) > 0).map((c) => `${c} ${int(col[c] ?? 0)}`);
      return `<rect x="${i}" y="0" width="1" height="${max}"><title>${when} UTC · ${int(total)} responses · ${parts.join(' · ')}</title></rect>`;
    })
    .join('');
  const legend = RESPONSE_CLASSES.map(
    (c) =>
      `<span><i style="background:${CLASS_COLORS[c]}"></i>${c} <b data-metric="class-${c}">${int(m.byClass[c])}</b></span>`,
  ).join('');
  const binNote =
    (axis.binMinutes === 1
      ? 'one bar per minute'
      : `one bar per ${axis.binMinutes} minutes (the sum of their minutes)`) +
    (axis.segments.length > 1
      ? `; dashed lines: ${axis.segments.length - 1} break(s) where more than ${GAP_MINUTES / 60} hours passed without a response`
      : '');
  const breachNote = spikeAlarmsOf(m).some((a) => a.breachedPeriodStartsMs.length > 0)
    ? ' · marks on top: periods above an alarm threshold'
    : '';
  return `${chart(
    `${paths}<g class="marks">${marks}</g>${breakLines(axis, max)}<g class="tips">${tips}</g>`,
    axis.columns,
    max,
    yTicks(max, ''),
    xTicks(axis, 8),
    'responses per minute by class',
  )}<p class="legend">${legend}</p><p class="note">Log time, UTC; ${binNote}${breachNote}.</p>`;
};

/** What {@link periodChart} draws: one alarm's value per period, its threshold, and when it breached. */
interface PeriodChart {
  readonly alarm: AlarmView;
  /** The rule's own expression per period, by period start. */
  readonly values: ReadonlyMap<number, number>;
  readonly color: string;
  /** The y axis' top (percent). */
  readonly max: number;
  /** `highest`: a bin of several periods shows its highest value (a spike), `lowest` its lowest (a SER dip). */
  readonly pick: 'highest' | 'lowest';
  /** CSS class of the breached columns. */
  readonly breachClass: string;
  readonly label: string;
}

/** One alarm's value per period as a line, with the threshold, the breached periods and the time in ALARM. */
const periodChart = (axis: TimeAxis, c: PeriodChart): string => {
  const { alarm } = c;
  const periodMs = alarm.periodSeconds * 1000;
  const values: (number | undefined)[] = Array.from({ length: axis.columns }, () => undefined);
  for (const [start, v] of c.values) {
    const i = columnOf(axis, start);
    if (i < 0 || i >= axis.columns) continue;
    const was = values[i];
    values[i] = was === undefined ? v : c.pick === 'highest' ? Math.max(was, v) : Math.min(was, v);
  }
  const { max } = c;
  let d = '';
  let drawing = false;
  // the line does not cross a break of the axis
  const breaks = new Set(axis.segments.map((seg) => seg.firstColumn));
  values.forEach((v, i) => {
    if (breaks.has(i)) drawing = false;
    if (v === undefined) {
      drawing = false;
      return;
    }
    const y = (max - v).toFixed(3);
    // a lone period is a short flat segment, still visible
    d += drawing ? `L${i + 0.5} ${y}` : `M${i} ${y}L${i + 0.5} ${y}`;
    drawing = true;
    if (values[i + 1] === undefined || breaks.has(i + 1)) d += `L${i + 1} ${y}`;
  });
  const inAlarm = alarmIntervals(alarm)
    .map(([a, b]) => shadeColumns(axis, a, b, max, 'inalarm'))
    .join('');
  const breached = alarm.breachedPeriodStartsMs
    .map((t) => shadeColumns(axis, t, t + periodMs, max, `breach ${c.breachClass}`))
    .join('');
  const threshold = max - alarm.thresholdPercent;
  const body =
    `<g>${inAlarm}</g><g class="marks pmarks">${breached}</g>` +
    `${breakLines(axis, max)}<line class="threshold" x1="0" x2="${axis.columns}" y1="${threshold}" y2="${threshold}" vector-effect="non-scaling-stroke"/>` +
    `<path class="ratio" stroke="${c.color}" d="${d}" vector-effect="non-scaling-stroke"/>`;
  const direction = alarm.kind === 'kpi' && alarm.comparison === 'LessThanThreshold' ? 'below' : 'above';
  const thresholdLabel = `<span class="tlabel" style="bottom:${((100 * alarm.thresholdPercent) / max).toFixed(2)}%">alarm ${direction} ${alarm.thresholdPercent} %</span>`;
  return chart(body, axis.columns, max, yTicks(max, ' %', thresholdLabel), xTicks(axis, 4), c.label);
};

/** Per period: the class's share of all responses, as the spike rule computes it. */
const ratioValues = (m: ReportModel, alarm: SpikeAlarmView): Map<number, number> => {
  const periodMs = alarm.periodSeconds * 1000;
  const periods = new Map<number, { cls: number; total: number }>();
  for (const minute of m.minutes) {
    const start = Math.floor(minute.minuteStartMs / periodMs) * periodMs;
    const p = periods.get(start) ?? { cls: 0, total: 0 };
    p.cls += minute.counts[alarm.responseClass] ?? 0;
    p.total += sumOf(minute.counts);
    periods.set(start, p);
  }
  const out = new Map<number, number>();
  for (const [start, p] of periods) {
    const v = ratioPercent(alarm, p.cls, p.total);
    if (v !== undefined) out.set(start, v);
  }
  return out;
};

const ratioChart = (m: ReportModel, axis: TimeAxis, alarm: SpikeAlarmView): string => {
  // the value per column is the rule's own expression per period (0 below the minimum volume), the highest in a bin
  const values = ratioValues(m, alarm);
  const highest = Math.max(0, ...values.values());
  return (
    periodChart(axis, {
      alarm,
      values,
      color: CLASS_COLORS[alarm.responseClass],
      max: niceCeil(Math.max(alarm.thresholdPercent * 2, highest * 1.1)),
      pick: 'highest',
      breachClass: `b${alarm.responseClass}`,
      label: `${alarm.responseClass} share of responses`,
    }) +
    `<p class="note">${alarm.responseClass} % of the responses of each ${alarm.periodSeconds} s period, 0 below ` +
    `${int(alarm.minResponsesPerPeriod)} responses (the alarm's own expression)${axis.binMinutes > 1 ? ', highest period of each bar' : ''}. ` +
    `Red columns: periods above ${alarm.thresholdPercent} % (<b data-metric="breached-${alarm.responseClass}">${int(alarm.breachedPeriodStartsMs.length)}</b>); ` +
    `shaded: time the alarm would have been in ALARM.</p>`
  );
};

const KPI_COLORS: Readonly<Record<KpiAlarmView['kpi'], string>> = { isa: '#e8590c', ser: '#2f9e44' };

/** A KPI alarm's chart: ISA or SER per period by the rule's own expression, the threshold, the breached periods. */
const kpiAlarmChart = (m: ReportModel, axis: TimeAxis, alarm: KpiAlarmView): string => {
  const values = kpiPeriodValues(alarm.rule, m.kpiMinutes);
  const name = alarm.kpi.toUpperCase();
  const gate =
    alarm.kpi === 'isa'
      ? `0 below ${int(alarm.minTransactionsPerPeriod)} INVITE transactions`
      : `100 below ${int(alarm.minTransactionsPerPeriod)} INVITE transactions not redirected`;
  return (
    `<h3>${esc(alarm.id)}: ${name} ${alarm.comparison === 'LessThanThreshold' ? 'below' : 'above'} ${alarm.thresholdPercent} %</h3>` +
    periodChart(axis, {
      alarm,
      values,
      color: KPI_COLORS[alarm.kpi],
      max: 100,
      // a bin shows the period nearest to breaching
      pick: alarm.comparison === 'LessThanThreshold' ? 'lowest' : 'highest',
      breachClass: 'bkpi',
      label: `${name} per period`,
    }) +
    `<p class="note">${name} % of the INVITE transactions of each ${alarm.periodSeconds} s period, by the minute of each ` +
    `INVITE, ${gate} (the alarm's own expression). Red columns: periods ${alarm.comparison === 'LessThanThreshold' ? 'below' : 'above'} ` +
    `${alarm.thresholdPercent} % (<b data-metric="breached-${alarm.id}">${int(alarm.breachedPeriodStartsMs.length)}</b>); ` +
    'shaded: time the alarm would have been in ALARM.</p>'
  );
};

const badge = (state: string): string => `<span class="badge s-${state}">${state}</span>`;

/** "5xx above 5 %", "SER below 50 %". */
const ruleShort = (a: AlarmView): string =>
  a.kind === 'spike'
    ? `${a.responseClass} above ${a.thresholdPercent} %`
    : `${a.kpi.toUpperCase()} ${a.comparison === 'LessThanThreshold' ? 'below' : 'above'} ${a.thresholdPercent} %`;

const intro = (m: ReportModel): string => {
  const first = m.minutes[0];
  const last = m.minutes[m.minutes.length - 1];
  const range =
    first === undefined || last === undefined
      ? 'no timed responses'
      : `${isoMinute(first.minuteStartMs)} – ${isoMinute(last.minuteStartMs + MS_PER_MINUTE)} UTC`;
  const tile = (label: string, value: string, key: string, sub = ''): string =>
    `<div class="tile"><span>${label}</span><b data-metric="${key}">${value}</b>${sub === '' ? '' : `<small>${sub}</small>`}</div>`;
  const alarms = m.alarms.map((a) => tile(a.id, badge(a.state), `state-${a.id}`, ruleShort(a))).join('');
  return (
    `<div class="tiles">${tile('Responses', int(m.responses), 'responses', `${int(m.timedResponses)} with a time`)}` +
    `${tile('5xx', share(m.byClass['5xx'], m.responses), 'share-5xx', `${int(m.byClass['5xx'])} responses`)}` +
    `${tile('6xx', share(m.byClass['6xx'], m.responses), 'share-6xx', `${int(m.byClass['6xx'])} responses`)}` +
    `${tile('Files', int(m.files.length), 'files', bytesText(m.files.reduce((s, f) => s + f.bytes, 0)))}${alarms}</div>` +
    `<p class="note">${esc(m.title)}: ${esc(m.source)}. Log time ${range}.</p>`
  );
};

const classCells = (c: Readonly<Record<ResponseClass, number>>): string =>
  RESPONSE_CLASSES.map((k) => `<td class="n">${int(c[k])}</td>`).join('');

const peerTable = (rows: readonly PeerView[], key: string): string => {
  if (rows.length === 0) return '<p class="empty">None.</p>';
  const body = rows
    .map(
      (p) =>
        `<tr data-peer="${esc(p.peer)}"><th>${esc(p.peer)}</th><td class="n">${int(p.responses)}</td>${classCells(p.byClass)}` +
        `<td class="n">${share(p.byClass['5xx'], p.responses)}</td><td class="n">${share(p.byClass['6xx'], p.responses)}</td></tr>`,
    )
    .join('');
  return (
    `<div class="scroll"><table data-table="${key}"><thead><tr><th>peer</th><th class="n">responses</th>` +
    `${RESPONSE_CLASSES.map((c) => `<th class="n">${c}</th>`).join('')}<th class="n">5xx %</th><th class="n">6xx %</th></tr></thead><tbody>${body}</tbody></table></div>`
  );
};

const peers = (m: ReportModel, ranking: DashboardWidgetSpec['peerRanking']): string => {
  const p = m.peers;
  if (p === undefined) return `<p class="empty">${esc(m.notes['top-peers'] ?? 'No per-peer counts.')}</p>`;
  const rows = ranking === '5xx' ? p.by5xx : ranking === '6xx' ? p.by6xx : p.byVolume;
  const what = ranking === '5xx' || ranking === '6xx' ? `by ${ranking} (peers with none left out)` : 'by volume';
  return `<p class="note">${int(p.count)} peers (the sender of each response); top ${rows.length} ${what}:</p>${peerTable(rows, `peers-${ranking ?? 'all'}`)}`;
};

const classOfCode = (code: string): string => `${code.slice(0, 1)}xx`;

/** Rows a "Top 10" widget shows, as many as the CloudWatch graph of the same title draws. */
const TOP_ROWS = 10;

/**
 * The first {@link TOP_ROWS} rows in the widget's table (`key`), and every row in a `<details>` below it (`key-all`):
 * the widget shows what its CloudWatch twin graphs, the report keeps the whole breakdown one click away, no script.
 */
const topTable = (key: string, head: string, rows: readonly string[], what: string): string => {
  const table = (k: string, body: readonly string[]): string =>
    `<div class="scroll"><table data-table="${k}"><thead>${head}</thead><tbody>${body.join('')}</tbody></table></div>`;
  return (
    table(key, rows.slice(0, TOP_ROWS)) +
    (rows.length <= TOP_ROWS
      ? ''
      : `<details><summary>All ${int(rows.length)} ${what}</summary>${table(`${key}-all`, rows)}</details>`)
  );
};

const statusCodes = (m: ReportModel): string => {
  if (m.byCode === undefined) return `<p class="empty">${esc(m.notes['status-codes'] ?? 'No status codes.')}</p>`;
  const rows = Object.entries(m.byCode).sort(([a, x], [b, y]) => y - x || Number(a) - Number(b));
  if (rows.length === 0) return '<p class="empty">No responses.</p>';
  const total = rows.reduce((s, [, n]) => s + n, 0);
  return topTable(
    'status-codes',
    '<tr><th>code</th><th>class</th><th class="n">responses</th><th class="n">share</th></tr>',
    rows.map(
      ([code, n]) =>
        `<tr data-code="${esc(code)}"><th>${esc(code)}</th><td><i class="dot" style="background:${CLASS_COLORS[classOfCode(code) as ResponseClass] ?? '#000'}"></i>${classOfCode(code)}</td>` +
        `<td class="n">${int(n)}</td><td class="n">${share(n, total)}</td></tr>`,
    ),
    'status codes',
  );
};

const methods = (m: ReportModel): string => {
  if (m.byMethod === undefined) return `<p class="empty">${esc(m.notes.methods ?? 'No CSeq methods.')}</p>`;
  const rows = Object.entries(m.byMethod).map(([method, codes]) => {
    const c: Record<ResponseClass, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
    for (const [code, n] of Object.entries(codes)) {
      const k = classOfCode(code) as ResponseClass;
      if (k in c) c[k] += n;
    }
    return { method, c, total: sumOf(c) };
  });
  rows.sort((a, b) => b.total - a.total || (a.method < b.method ? -1 : 1));
  if (rows.length === 0) return '<p class="empty">No responses.</p>';
  return topTable(
    'methods',
    `<tr><th>CSeq method</th><th class="n">responses</th>${RESPONSE_CLASSES.map((c) => `<th class="n">${c}</th>`).join('')}</tr>`,
    rows.map(
      (r) =>
        `<tr data-method="${esc(r.method)}"><th>${esc(r.method)}</th><td class="n">${int(r.total)}</td>${classCells(r.c)}</tr>`,
    ),
    'CSeq methods',
  );
};

const delays = (d: DelaySummary): string =>
  `<td class="n">${int(d.count)}</td><td class="n">${ms(d.p50)}</td><td class="n">${ms(d.p90)}</td><td class="n">${ms(d.p99)}</td>`;

const noKpis = (m: ReportModel): string | undefined => {
  if (m.kpis === undefined) return `<p class="empty">${esc(m.notes.kpis ?? 'No KPIs.')}</p>`;
  if (m.kpis.length === 0) return '<p class="empty">No INVITE transaction: no KPIs.</p>';
  return undefined;
};

const kpiRatios = (m: ReportModel, axis: TimeAxis | null): string => {
  const charts = m.alarms
    .filter((a): a is KpiAlarmView => a.kind === 'kpi')
    .map((a) => (axis === null ? '' : kpiAlarmChart(m, axis, a)))
    .join('');
  const none = noKpis(m);
  if (none !== undefined) return charts + none;
  const body = (m.kpis ?? [])
    .map(
      ({ file, kpis: k }) =>
        `<tr data-file="${esc(file)}"><th>${esc(file)}</th><td class="n">${int(k.inviteTransactions)}</td><td class="n">${pct(k.ser, 2)}</td>` +
        `<td class="n">${pct(k.seer, 2)}</td><td class="n">${pct(k.isa, 2)}</td><td class="n">${pct(k.scr, 2)}</td></tr>`,
    )
    .join('');
  return (
    charts +
    '<div class="scroll"><table data-table="kpi-ratios"><thead><tr><th>file</th><th class="n">INVITE transactions</th>' +
    `<th class="n">SER</th><th class="n">SEER</th><th class="n">ISA</th><th class="n">SCR</th></tr></thead><tbody>${body}</tbody></table></div>` +
    '<p class="note">RFC 6076 §4: SER = 200 / (INVITEs − 3xx), SEER = (200, 480, 486, 600, 603) / (INVITEs − 3xx), ' +
    'ISA = (408, 500, 503, 504) / INVITEs, SCR = completed calls / INVITEs. Per file: a transaction never spans two files.</p>'
  );
};

const kpiDelays = (m: ReportModel): string => {
  const none = noKpis(m);
  if (none !== undefined) return none;
  const head =
    '<tr><th rowspan="2">file</th><th colspan="4">SRD (setup delay)</th><th colspan="4">SDD (disconnect delay)</th>' +
    '<th colspan="4">RRD (registration delay)</th></tr><tr>' +
    '<th class="n">n</th><th class="n">p50</th><th class="n">p90</th><th class="n">p99</th>'.repeat(3) +
    '</tr>';
  const body = (m.kpis ?? [])
    .map(
      ({ file, kpis: k }) =>
        `<tr data-file="${esc(file)}"><th>${esc(file)}</th>${delays(k.srdMs)}${delays(k.sddMs)}${delays(k.rrdMs)}</tr>`,
    )
    .join('');
  return `<div class="scroll"><table data-table="kpi-delays"><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
};

const anomalies = (m: ReportModel): string => {
  const rows = Object.entries(m.anomalies).filter(([, n]) => n > 0);
  rows.sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  const untimed = m.responses - m.timedResponses;
  const untimedLine =
    `<p>Responses without a time: <b data-metric="untimed">${int(untimed)}</b>` +
    `${untimed > 0 ? ' (in the totals and tables, not in the charts or the alarms)' : ''}.</p>`;
  if (rows.length === 0) return `${untimedLine}<p class="empty" data-metric="anomalies-none">No anomaly recorded.</p>`;
  return (
    `${untimedLine}<div class="scroll"><table data-table="anomalies"><thead><tr><th>anomaly</th><th class="n">count</th></tr></thead><tbody>` +
    rows.map(([k, n]) => `<tr data-anomaly="${esc(k)}"><th>${esc(k)}</th><td class="n">${int(n)}</td></tr>`).join('') +
    '</tbody></table></div>'
  );
};

const files = (m: ReportModel): string => {
  // CloudWatch's Files graph counts the parse anomalies too: the same widget lists them here
  if (m.files.length === 0) return `<p class="empty">No file yet.</p>${anomalies(m)}`;
  const body = m.files
    .map((f) => {
      const speed = f.seconds !== undefined && f.seconds > 0 ? `${(f.bytes / 1e6 / f.seconds).toFixed(1)} MB/s` : '–';
      const err =
        f.error === undefined ? '' : `<br><small class="err">${esc(f.error.message)} [${esc(f.error.code)}]</small>`;
      return (
        `<tr data-file="${esc(f.name)}"><th>${esc(f.name)}${err}</th><td>${badge(f.state)}</td><td>${esc(f.formats.join(', ') || '–')}</td>` +
        `<td class="n">${bytesText(f.bytes)}</td><td class="n">${f.responses === undefined ? '–' : int(f.responses)}</td>` +
        `<td class="n">${f.seconds === undefined ? '–' : `${f.seconds.toFixed(2)} s`}</td><td class="n">${speed}</td></tr>`
      );
    })
    .join('');
  return (
    '<div class="scroll"><table data-table="files"><thead><tr><th>file</th><th>state</th><th>formats</th><th class="n">size</th>' +
    `<th class="n">responses</th><th class="n">time</th><th class="n">speed</th></tr></thead><tbody>${body}</tbody></table></div>` +
    anomalies(m)
  );
};

/** Tiles of one widget about the pipeline (bytes, lag, queues, function), each with its `data-metric`. */
const tiles = (items: readonly [label: string, value: string, key: string][], note: string): string =>
  `<div class="tiles">${items.map(([label, value, key]) => `<div class="tile"><span>${label}</span><b data-metric="${key}">${value}</b></div>`).join('')}</div>` +
  `<p class="note">${note}</p>`;

const FINISHED = new Set(['done', 'failed', 'dead-letter', 'skipped', 'duplicate']);

const bytesWidget = (m: ReportModel): string => {
  const done = m.files.filter((f) => f.state === 'done');
  return tiles(
    [
      ['bytes processed', bytesText(done.reduce((s, f) => s + f.bytes, 0)), 'bytes-processed'],
      ['files processed', int(done.length), 'files-processed'],
    ],
    'The files the handler finished (CloudWatch: BytesProcessed).',
  );
};

const lagWidget = (m: ReportModel): string => {
  const seconds = m.files
    .filter((f) => f.state === 'done' && f.seconds !== undefined)
    .map((f) => f.seconds ?? 0)
    .sort((a, b) => a - b);
  const median = seconds.length === 0 ? undefined : seconds[Math.floor((seconds.length - 1) / 2)];
  const max = seconds.at(-1);
  const s = (v: number | undefined): string => (v === undefined ? '–' : `${v.toFixed(2)} s`);
  return tiles(
    [
      ['max', s(max), 'lag-max'],
      ['median', s(median), 'lag-median'],
    ],
    'Locally a file reaches the function as soon as it is dropped: the time from upload to metrics is the ' +
      "handler's run (CloudWatch: ProcessingLagSeconds, which adds the queue's wait).",
  );
};

const queuesWidget = (m: ReportModel): string => {
  const q = m.queue;
  if (q === undefined) return '<p class="empty">No queue.</p>';
  return tiles(
    [
      ['waiting', int(q.waiting), 'queue-waiting'],
      ['in flight', int(q.inFlight), 'queue-in-flight'],
      ['in DLQ', int(q.deadLetters), 'queue-dlq'],
    ],
    'The local notification queue and its dead-letter queue, now.',
  );
};

const functionWidget = (m: ReportModel): string => {
  const finished = m.files.filter((f) => FINISHED.has(f.state));
  const failed = finished.filter((f) => f.state === 'failed' || f.state === 'dead-letter');
  return tiles(
    [
      ['files handled', int(finished.length), 'function-files'],
      ['failed', int(failed.length), 'function-failed'],
    ],
    'The handler process of the local stack (CloudWatch: invocations, errors, throttles, duration).',
  );
};

const ruleText = (a: AlarmView): string =>
  a.kind === 'spike'
    ? `${a.responseClass} &gt; ${a.thresholdPercent} % of ≥ ${int(a.minResponsesPerPeriod)} responses`
    : `${a.kpi.toUpperCase()} ${a.comparison === 'LessThanThreshold' ? '&lt;' : '&gt;'} ${a.thresholdPercent} % of ≥ ${int(a.minTransactionsPerPeriod)} INVITE transactions`;

const alarms = (m: ReportModel): string => {
  const judged =
    m.judgedAtMs === null
      ? 'not judged: no response carries a time'
      : `judged at ${isoMinute(m.judgedAtMs)} UTC, the end of the newest minute in the data (log time)`;
  const rows = m.alarms
    .map((a) => {
      const replay =
        a.transitions.length === 0
          ? '–'
          : a.transitions.map((t) => `${isoMinute(t.atMs)} ${t.from} → ${t.to}`).join('<br>');
      return (
        `<tr data-alarm="${a.id}"><th>${a.id}</th><td>${badge(a.state)}</td>` +
        `<td class="rule">${ruleText(a)} per ${a.periodSeconds} s, ` +
        `${a.datapointsToAlarm} of ${a.evaluationPeriods} periods</td>` +
        `<td class="n">${int(a.breachingPeriods)} of ${int(a.evaluationPeriods)}</td><td class="n">${int(a.breachedPeriodStartsMs.length)}</td><td><small>${replay}</small></td></tr>`
      );
    })
    .join('');
  return (
    `<p class="note">The spike and KPI alarms as deployed (infra/alarm-rules.ts), evaluated with CloudWatch's rules ` +
    `(infra/evaluate-alarms.ts); ${judged}. Replayed: the changes of state had the data arrived on time.</p>` +
    '<div class="scroll"><table data-table="alarms"><thead><tr><th>alarm</th><th>state</th><th>rule</th><th class="n">breaching now</th>' +
    `<th class="n">periods above threshold</th><th>replayed changes (UTC)</th></tr></thead><tbody>${rows}</tbody></table></div>`
  );
};

const widgetBody = (w: DashboardWidgetSpec, m: ReportModel, axis: TimeAxis | null): string => {
  switch (w.kind) {
    case 'intro':
      return intro(m);
    case 'responses-by-class':
      return axis === null ? noTimes(m) : responsesChart(m, axis);
    case 'class-ratio': {
      const alarm = spikeAlarmsOf(m).find((a) => a.id === w.rule?.id);
      if (alarm === undefined) return '<p class="empty">No such alarm.</p>';
      return axis === null ? noTimes(m) : ratioChart(m, axis, alarm);
    }
    case 'status-codes':
      return statusCodes(m);
    case 'methods':
      return methods(m);
    case 'top-peers':
      return peers(m, w.peerRanking);
    case 'kpi-ratios':
      return kpiRatios(m, axis);
    case 'kpi-delays':
      return kpiDelays(m);
    case 'files':
      return files(m);
    case 'bytes':
      return bytesWidget(m);
    case 'lag':
      return lagWidget(m);
    case 'queues':
      return queuesWidget(m);
    case 'function':
      return functionWidget(m);
    case 'alarms':
      return alarms(m);
  }
};

/**
 * The `<main>` of the page: the given widgets of the dashboard description, in order (the live page swaps this).
 * Each widget's heading is its title in the description, the one the CloudWatch dashboard shows.
 */
export const renderReportMain = (m: ReportModel, widgets: readonly DashboardWidgetSpec[]): string => {
  const axis = timeAxisOf(m.minutes);
  // a row the list leaves short (the report has no pipeline widgets beside Files) gives the rest to its last widget
  return widgetRows(widgets)
    .flatMap((row) => {
      const spare = 24 - row.reduce((n, w) => n + w.width, 0);
      return row.map((w, i) => ({ w, width: i === row.length - 1 ? w.width + spare : w.width }));
    })
    .map(({ w, width }) => {
      const tag = w.kind === 'intro' ? 'h1' : 'h2';
      return `<section class="w" id="${w.id}" style="--w:${width}"><${tag}>${esc(w.title)}</${tag}>${widgetBody(w, m, axis)}</section>`;
    })
    .join('');
};

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f1f3f5;color:#212529}
main{display:grid;grid-template-columns:repeat(24,minmax(0,1fr));gap:12px;padding:12px;max-width:1680px;margin:0 auto}
.w{grid-column:span var(--w);min-width:0;background:#fff;border:1px solid #dee2e6;border-radius:6px;padding:10px 12px}
@media (max-width:900px){.w{grid-column:1/-1}main{padding:6px;gap:8px}}
@media (max-width:600px){.x span:nth-child(even){display:none}.chart{height:180px}.y{width:48px}}
h1{font-size:18px;margin:0 0 8px;overflow-wrap:anywhere}h2{font-size:15px;margin:0 0 8px}h3{font-size:13px;margin:8px 0 2px}
.tiles{display:flex;flex-wrap:wrap;gap:8px}
.tile{flex:1 1 130px;border:1px solid #e9ecef;border-radius:6px;padding:6px 10px;display:flex;flex-direction:column}
.tile span{color:#495057;font-size:12px}.tile b{font-size:20px;font-variant-numeric:tabular-nums}.tile small{color:#6c757d}
.note{color:#495057;font-size:12px;margin:6px 0}.empty{color:#6c757d}
.chart{display:flex;height:220px;margin:4px 0 22px}
.y{position:relative;width:64px;flex:none;font-size:11px;color:#6c757d}
.y span{position:absolute;right:6px;transform:translateY(50%);white-space:nowrap}
.y .tlabel{color:#c92a2a;right:auto;left:calc(100% + 6px);transform:translateY(-2px);background:#fff8;z-index:1;font-weight:600}
.plot{position:relative;flex:1;min-width:0;border-left:1px solid #adb5bd;border-bottom:1px solid #adb5bd}
.plot svg{display:block;width:100%;height:100%}
.x{position:absolute;left:0;right:0;top:100%;height:20px;font-size:11px;color:#6c757d}
.x span{position:absolute;top:3px;transform:translateX(-50%);white-space:nowrap}
.x span:first-child{transform:none}
.tips rect{fill:transparent}.tips rect:hover{fill:#0001}
.breach{fill:#e03131;opacity:.35}.b6xx{fill:#9c36b5}.bkpi{fill:#e03131}.marks .breach{opacity:.8}.pmarks .breach{opacity:.3}
.inalarm{fill:#ffc9c9;opacity:.6}
.gap{stroke:#868e96;stroke-width:1;stroke-dasharray:3 3}
.threshold{stroke:#c92a2a;stroke-width:1.5;stroke-dasharray:6 4}
.ratio{fill:none;stroke-width:2}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:0;font-size:13px}
.legend i,.dot{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:3px 8px;min-width:3em;border-bottom:1px solid #e9ecef;text-align:left;vertical-align:top}
thead th{font-weight:600;color:#495057;white-space:nowrap;border-bottom:1px solid #adb5bd}
tbody th{font-weight:500;overflow-wrap:anywhere;min-width:10em}
th.n,td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;background:#e9ecef}
.s-OK,.s-done{background:#d3f9d8;color:#2b8a3e}.s-ALARM,.s-failed,.s-dead-letter{background:#ffe3e3;color:#c92a2a}
.s-INSUFFICIENT_DATA{background:#fff3bf;color:#8a6d00}.tile .badge{font-size:15px}
.err{color:#c92a2a}td.rule{min-width:14em}
details{margin-top:6px;font-size:13px}summary{cursor:pointer;color:#1c7ed6}
header.live{max-width:1680px;margin:0 auto;padding:8px 12px 0;color:#495057;font-size:12px}
`;

/** How the live page refreshes itself; absent for the static report. */
export interface LiveOptions {
  /** Path of the `<main>` fragment the page fetches. */
  readonly fragmentPath: string;
  readonly refreshMs: number;
  /** One line above the widgets (the endpoints, the drop folder). */
  readonly banner: string;
}

// swaps <main> only when its HTML changed, so a hover or a scroll position survives a quiet second
const liveScript = (o: LiveOptions): string =>
  `<script>(()=>{const main=document.querySelector('main');let last=main.innerHTML;const tick=async()=>{try{` +
  `const r=await fetch(${JSON.stringify(o.fragmentPath)},{cache:'no-store'});if(r.ok){const h=await r.text();` +
  `if(h!==last){main.innerHTML=h;last=h;}document.body.dataset.updated=String(Date.now());}}catch{}` +
  `setTimeout(tick,${o.refreshMs});};setTimeout(tick,${o.refreshMs});})();</script>`;

/** The whole page: the report of `scan --html`, or with `live` the page `npm start` serves. */
export const renderReportHtml = (m: ReportModel, widgets: readonly DashboardWidgetSpec[], live?: LiveOptions): string =>
  '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width,initial-scale=1">' +
  `<title>${esc(m.title)}</title>` +
  (live === undefined
    ? ''
    : `<noscript><meta http-equiv="refresh" content="${Math.max(1, Math.round(live.refreshMs / 1000) * 5)}"></noscript>`) +
  `<style>${CSS}</style></head><body>` +
  (live === undefined ? '' : `<header class="live">${esc(live.banner)}</header>`) +
  `<main>${renderReportMain(m, widgets)}</main>` +
  `${live === undefined ? '' : liveScript(live)}` +
  `<footer class="note" style="text-align:center;padding:8px">made by sip-metrics at ${isoMinute(m.generatedAtMs)} UTC</footer>` +
  '</body></html>\n';
