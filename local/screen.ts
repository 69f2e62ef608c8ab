import { RESPONSE_CLASSES, type ResponseClass, type SpikeAlarmRule } from '../infra/alarm-rules.js';
import type { AlarmState } from '../infra/evaluate-alarms.js';
import { type AlarmStatus, isKpiRule, type LocalAlarmRule } from './alarm-status.js';
import { FINAL_STATES, type FileStatus } from './file-status.js';
import type { LocalEvent } from './local-events.js';
import type { LocalSnapshot } from './local-stack.js';
import type { ClassTotals } from './loopback-cloudwatch.js';
import { type KpiLine, type PeerTotals, RECENT_MINUTES } from './metrics-view.js';

/** What the header says about the running stack. */
export interface StackInfo {
  readonly s3Url: string;
  readonly dynamoDbUrl: string;
  readonly cloudWatchUrl: string;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly dataDir: string;
  readonly dropDir: string | undefined;
  readonly handlerLogFile: string;
  readonly startupMs: number;
  /** The local dashboard's address (absent with --no-web). */
  readonly webUrl?: string;
}

/** ANSI styling, or none (not a terminal). */
export interface Paint {
  alarm(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/** Plain text. */
export const NO_PAINT: Paint = { alarm: (t) => t, dim: (t) => t, bold: (t) => t };
/** Red for ALARM, dim for hints, bold for titles. */
export const ANSI_PAINT: Paint = {
  alarm: (t) => `\x1b[1;31m${t}\x1b[0m`,
  dim: (t) => `\x1b[2m${t}\x1b[0m`,
  bold: (t) => `\x1b[1m${t}\x1b[0m`,
};

const int = (n: number): string => n.toLocaleString('en-US');

/** 1,234,567 bytes as "1.2 MB". */
export const formatBytes = (n: number): string => {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(0)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
};

/** A minute of log time as "HH:MM" (UTC), with the date when `withDate`. */
export const formatMinute = (ms: number, withDate = false): string => {
  const iso = new Date(ms).toISOString();
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
};

const percent = (n: number, total: number): string => (total === 0 ? '-' : `${((100 * n) / total).toFixed(1)} %`);

const sumOf = (c: Partial<Record<ResponseClass, number>>): number =>
  RESPONSE_CLASSES.reduce((n, cls) => n + (c[cls] ?? 0), 0);

/** Shortens from the middle, keeping the end of a key (the file name) readable. */
const shortenMiddle = (s: string, width: number): string =>
  s.length <= width
    ? s.padEnd(width)
    : `${s.slice(0, Math.ceil(width / 2) - 1)}…${s.slice(s.length - Math.floor(width / 2))}`;

const bar = (fraction: number, width: number): string => {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
};

/** The endpoints, the folders and an upload command for any S3 client. */
export const renderHeader = (info: StackInfo, paint: Paint): string[] => {
  const s3Port = new URL(info.s3Url).port;
  const lines = [
    paint.bold('sip-metrics local stack') +
      paint.dim(` · started in ${(info.startupMs / 1000).toFixed(1)} s · 127.0.0.1 only, no AWS account used`),
    `  S3 (s3rver)          ${info.s3Url}   bucket ${info.bucket}, notifies keys under ${info.keyPrefix}`,
    `  DynamoDB (dynalite)  ${info.dynamoDbUrl}   ledger table`,
    `  CloudWatch (local)   ${info.cloudWatchUrl}   PutMetricData, datums kept in ${info.dataDir}/cloudwatch/`,
    `  data ${info.dataDir}/   handler log ${info.handlerLogFile}`,
  ];
  if (info.webUrl !== undefined)
    lines.splice(1, 0, `  Dashboard (web)      ${info.webUrl}   the CloudWatch dashboard's widgets, live`);
  lines.push(
    info.dropDir === undefined
      ? 'Upload SIP logs with any S3 client, for example:'
      : `Drop SIP logs into ${info.dropDir}/ or upload them with any S3 client, for example:`,
    `  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REQUEST_CHECKSUM_CALCULATION=when_required \\`,
    `    aws s3 cp --endpoint-url http://127.0.0.1:${s3Port} trace.pcap s3://${info.bucket}/${info.keyPrefix}`,
  );
  return lines;
};

const classSummary = (c: Partial<Record<ResponseClass, number>>): string =>
  RESPONSE_CLASSES.map((cls) => `${cls} ${int(c[cls] ?? 0)}`).join(' · ');

/**
 * The anomalies the engine recorded in a file (a truncated body, a resynchronisation, a line too long, ...), as
 * "  anomalies: truncated-body 1, line-too-long 2"; empty when there are none. They mean the counts may miss
 * messages, so they are on the file's line and not only in the handler's JSON log.
 */
export const renderAnomalies = (anomalies: Readonly<Record<string, number | undefined>>, paint: Paint): string => {
  const parts = Object.entries(anomalies)
    .filter((e): e is [string, number] => (e[1] ?? 0) > 0)
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .map(([kind, n]) => `${kind} ${int(n)}`);
  return parts.length === 0 ? '' : paint.alarm(`  anomalies: ${parts.join(', ')}`);
};

/** One line about a file: its state, size and what the handler counted. */
export const renderFileLine = (f: FileStatus, paint: Paint, keyWidth = 46): string => {
  const state = f.state.padEnd(13);
  const head = `${f.state === 'failed' || f.state === 'dead-letter' ? paint.alarm(state) : state}${shortenMiddle(f.key, keyWidth)} ${formatBytes(f.size).padStart(9)}`;
  switch (f.state) {
    case 'processing': {
      if (f.bytesRead === undefined || f.size === 0) return `${head}  attempt ${f.receiveCount}`;
      const fraction = f.bytesRead / f.size;
      return `${head}  ${bar(fraction, 20)} ${Math.floor(100 * fraction)} %`;
    }
    case 'done':
    case 'duplicate': {
      const s = f.summary;
      if (s === undefined) return `${head}  ${f.state === 'duplicate' ? 'already counted: the ledger skipped it' : ''}`;
      const restamped =
        s.restampedResponses > 0 ? paint.alarm(`  ${int(s.restampedResponses)} restamped to processing time`) : '';
      const untimed = s.untimedResponses ?? 0;
      const atUpload = untimed > 0 ? paint.alarm(`  ${int(untimed)} untimed (at the upload minute)`) : '';
      const what =
        f.state === 'duplicate' ? 'already counted, skipped by the ledger' : `${(s.durationMs / 1000).toFixed(1)} s`;
      return `${head}  ${int(s.responses).padStart(9)} responses  ${paint.dim(what)}${atUpload}${restamped}${renderAnomalies(s.anomalies, paint)}`;
    }
    case 'retrying':
    case 'failed':
    case 'dead-letter':
    case 'skipped':
    case 'not-notified':
      return `${head}  ${[f.errorCode, f.reason].filter((x) => x !== undefined).join(': ')}`;
    default:
      return head;
  }
};

/** The per-class detail of a finished file, for line output. */
export const renderFileDetail = (f: FileStatus): string | undefined =>
  f.state === 'done' && f.summary !== undefined
    ? `            ${classSummary(f.summary.responsesByClass)}${withSeparator(kpiText(f.summary.kpis))}`
    : undefined;

const pct = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)} %`);

/** "406 INVITEs: SER 37.82 % · SEER 57.51 % · ISA 11.08 % · SCR 35.96 %", or nothing without INVITEs. */
export const kpiText = (k: KpiLine | undefined): string =>
  k === undefined || k.inviteTransactions === 0
    ? ''
    : `${int(k.inviteTransactions)} INVITEs: SER ${pct(k.ser)} · SEER ${pct(k.seer)} · ISA ${pct(k.isa)} · SCR ${pct(k.scr)}`;

const withSeparator = (text: string): string => (text === '' ? '' : `  ·  ${text}`);

/** Counts of files per state, in pipeline order. */
export const renderFileCounts = (files: readonly FileStatus[]): string => {
  const order = [
    'done',
    'duplicate',
    'processing',
    'queued',
    'uploading',
    'retrying',
    'failed',
    'dead-letter',
    'skipped',
    'not-notified',
  ] as const;
  const parts = order
    .map((s) => [s, files.filter((f) => f.state === s).length] as const)
    .filter(([s, n]) => n > 0 || s === 'done' || s === 'failed');
  return parts.map(([s, n]) => `${int(n)} ${s}`).join(' · ');
};

const row = (label: string, c: Partial<Record<ResponseClass, number>>, labelWidth: number): string => {
  const total = sumOf(c);
  const cells = RESPONSE_CLASSES.map((cls) => int(c[cls] ?? 0).padStart(9)).join('');
  return `  ${label.padEnd(labelWidth)}${cells}${int(total).padStart(11)}${percent(c['5xx'] ?? 0, total).padStart(9)}${percent(c['6xx'] ?? 0, total).padStart(9)}`;
};

/** Responses by class per recent minute of log time, over the last minutes and in total, with the 5xx/6xx ratios. */
export const renderCounts = (snap: LocalSnapshot, paint: Paint): string[] => {
  const labelWidth = 18;
  const header = `  ${''.padEnd(labelWidth)}${RESPONSE_CLASSES.map((c) => c.padStart(9)).join('')}${'total'.padStart(11)}${'5xx'.padStart(9)}${'6xx'.padStart(9)}`;
  const totals: ClassTotals = snap.totals;
  if (sumOf(totals) === 0) return [paint.bold('Responses by class'), '  none yet'];
  const lines = [
    paint.bold('Responses by class') + paint.dim(' (minutes of log time, UTC; from the local CloudWatch store)'),
    paint.dim(header),
  ];
  for (const m of snap.recentMinutes) lines.push(row(formatMinute(m.minuteStartMs, true), m.counts, labelWidth));
  lines.push(row(`last ${RECENT_MINUTES} min`, snap.recentTotals, labelWidth));
  lines.push(paint.bold(row('total', totals, labelWidth)));
  const kpis = kpiText(snap.kpis);
  if (kpis !== '') lines.push(`  ${'call KPIs'.padEnd(labelWidth)}${kpis}`);
  return [...lines, ...renderTopPeers(snap.peers, paint, labelWidth)];
};

/** Peers shown under the class table. */
export const TOP_PEERS_SHOWN = 5;

/** The peers answering the most 5xx and 6xx (then the busiest), when the function publishes per-peer metrics. */
const renderTopPeers = (peers: readonly PeerTotals[], paint: Paint, labelWidth: number): string[] => {
  if (peers.length === 0) return [];
  const lines = [
    '',
    paint.bold('Top peers by 5xx+6xx') +
      paint.dim(` (senders; ${int(peers.length)} published, from Responses by Peer)`),
  ];
  for (const p of peers.slice(0, TOP_PEERS_SHOWN))
    lines.push(row(shortenMiddle(p.peer, labelWidth - 1), p.totals, labelWidth));
  return lines;
};

const describeRule = (rule: LocalAlarmRule): string =>
  isKpiRule(rule)
    ? `${rule.kpi.toUpperCase()} ${rule.comparison === 'GreaterThanThreshold' ? '>' : '<'} ${rule.thresholdPercent} % of ≥ ${int(rule.minTransactionsPerPeriod)} INVITE transactions per ${rule.periodSeconds} s, ` +
      `${rule.datapointsToAlarm} of ${rule.evaluationPeriods} periods`
    : describeSpikeRuleLine(rule);

const describeSpikeRuleLine = (rule: SpikeAlarmRule): string =>
  `${rule.responseClass}${rule.peer === undefined ? '' : ` from ${rule.peer}`} > ${rule.thresholdPercent} % of ≥ ${int(rule.minResponsesPerPeriod)} ${rule.peer === undefined ? '' : 'of its '}responses per ${rule.periodSeconds} s, ` +
  `${rule.datapointsToAlarm} of ${rule.evaluationPeriods} periods`;

const paintState = (state: AlarmState, paint: Paint): string =>
  state === 'ALARM' ? paint.alarm(state.padEnd(17)) : state.padEnd(17);

/** The alarm states at the data clock, and with `replay` every change of state the data would have caused. */
export const renderAlarms = (snap: LocalSnapshot, paint: Paint, replay: boolean): string[] => {
  const { clock, alarms } = snap.judgement;
  const lines = [
    paint.bold('Alarms') + paint.dim(' (the deployed spike alarms, from cdk.json through infra/config.ts)'),
  ];
  lines.push(
    clock === null
      ? '  no responses yet: states are INSUFFICIENT_DATA'
      : `  judged at ${formatMinute(clock.nowMs, true)} UTC = the end of the newest minute in the data (log time), not the wall clock`,
  );
  // a peer's rule id (`ServerErrorSpike-carrier-a`) is longer than the global ones
  const idWidth = Math.max(20, ...alarms.map((a) => a.rule.id.length + 2));
  for (const a of alarms) {
    const e = a.evaluation;
    const since = lastChange(a, clock?.nowMs);
    lines.push(
      `  ${a.rule.id.padEnd(idWidth)}${paintState(e.state, paint)}${String(e.breachingPeriods).padStart(3)} of ${e.evaluationPeriods} periods breaching (ALARM at ${e.datapointsToAlarm})` +
        `${since === undefined ? '' : `, since ${formatMinute(since)}`}`,
    );
    lines.push(paint.dim(`  ${''.padEnd(idWidth)}${describeRule(a.rule)}`));
    if (replay && clock !== null) {
      const changes = a.transitions.map(
        (t) => `${formatMinute(t.atMs)} ${t.from} → ${t.to}${t.atMs > clock.nowMs ? ' (after the data ends)' : ''}`,
      );
      lines.push(`  ${''.padEnd(idWidth)}replayed: ${changes.length === 0 ? 'no change' : changes.join(' · ')}`);
    }
  }
  return lines;
};

const lastChange = (a: AlarmStatus, nowMs: number | undefined): number | undefined => {
  if (nowMs === undefined) return undefined;
  const past = a.transitions.filter((t) => t.atMs <= nowMs);
  return past[past.length - 1]?.atMs;
};

/** A line for an event, stamped with the wall clock; undefined for events not worth a line. */
export const renderEventLine = (e: LocalEvent, atMs: number, paint: Paint): string | undefined => {
  const at = new Date(atMs).toISOString().slice(11, 19);
  switch (e.kind) {
    case 'alarm': {
      const arrow = `${e.from} → ${e.to}`;
      const line =
        `${at}  ${e.rule.id}: ${arrow}  (${e.evaluation.breachingPeriods} of ${e.evaluation.evaluationPeriods} periods breaching, ` +
        `judged at ${formatMinute(e.dataNowMs, true)} UTC log time)`;
      return e.to === 'ALARM' ? paint.alarm(line) : line;
    }
    case 'warning':
      return `${at}  warning: ${e.message}`;
    case 'file':
      return FINAL_STATES.has(e.file.state) || e.file.state === 'retrying'
        ? `${at}  ${renderFileLine(e.file, paint)}`
        : undefined;
  }
};

/** The whole live screen. */
export const renderScreen = (
  info: StackInfo,
  snap: LocalSnapshot,
  events: readonly string[],
  paint: Paint,
  rows: number,
): string => {
  const lines = [...renderHeader(info, paint), ''];
  const active = snap.files.filter((f) => !FINAL_STATES.has(f.state));
  const finished = snap.files.filter((f) => FINAL_STATES.has(f.state));
  lines.push(`${paint.bold('Files')}  ${renderFileCounts(snap.files)}`);
  // the newest finished files, then everything still moving, within what the terminal can show
  const room = Math.max(3, rows - 32 - Math.min(events.length, 6));
  const shownActive = active.slice(-Math.min(active.length, room));
  const shownFinished = finished.slice(-Math.max(0, room - shownActive.length));
  for (const f of [...shownFinished, ...shownActive]) lines.push(`  ${renderFileLine(f, paint)}`);
  if (snap.files.length === 0) lines.push('  none yet');
  lines.push('', ...renderCounts(snap, paint), '', ...renderAlarms(snap, paint, false));
  if (events.length > 0) lines.push('', paint.bold('Events'), ...events.slice(-6).map((l) => `  ${l}`));
  lines.push('', paint.dim('Ctrl-C stops everything (the data folder is kept).'));
  return lines.join('\n');
};

/** The summary printed by `--once`, at the end of line output, and after Ctrl-C. */
export const renderSummary = (snap: LocalSnapshot, paint: Paint): string =>
  [...renderCounts(snap, paint), '', ...renderAlarms(snap, paint, true)].join('\n');
