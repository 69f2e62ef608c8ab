import { CLASS_LABELS } from '../../contract/classes.js';
import { type KpiReport, toKpiReport } from '../../engine/kpis.js';
import type { ScanResult } from '../../engine/tally.js';
import { RESPONSE_CLASSES } from '../../engine/types.js';

/** How many status codes the table lists. */
export const TOP_CODES = 10;

const pct = (n: number, total: number): string =>
  total === 0 ? '    -' : `${((100 * n) / total).toFixed(1).padStart(5)}%`;

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

/** Human-readable report of one scanned file. */
export const formatTable = (file: string, r: ScanResult, seconds: number): string => {
  const lines: string[] = [];
  const rate = seconds > 0 ? `${(r.bytes / 1e6 / seconds).toFixed(1)} MB/s` : '-';
  lines.push(`${file}`);
  lines.push(`  format   ${r.formats.join(', ') || 'none'}   ${mb(r.bytes)} in ${seconds.toFixed(2)} s (${rate})`);
  const accounted = r.accountedResponses > 0 ? ` (${r.accountedResponses} from accounting records)` : '';
  lines.push(`  messages ${r.messages}   requests ${r.requests}   responses ${r.responses}${accounted}`);
  lines.push('  class     responses        %');
  for (const c of RESPONSE_CLASSES) {
    lines.push(`  ${c}  ${String(r.byClass[c]).padStart(12)}  ${pct(r.byClass[c], r.responses)}  ${CLASS_LABELS[c]}`);
  }
  lines.push(...kpiLines(toKpiReport(r.kpis)));
  const codes = Object.entries(r.byCode)
    .sort((a, b) => b[1] - a[1] || Number(a[0]) - Number(b[0]))
    .slice(0, TOP_CODES);
  if (codes.length > 0) lines.push(`  top codes  ${codes.map(([c, n]) => `${c} ×${n}`).join(', ')}`);
  const methods = Object.entries(r.byMethod).sort(
    (a, b) => sum(Object.values(b[1])) - sum(Object.values(a[1])) || a[0].localeCompare(b[0]),
  );
  if (methods.length > 0) {
    lines.push('  by CSeq method');
    for (const [m, byCode] of methods) {
      const detail = Object.entries(byCode)
        .map(([c, n]) => `${c} ×${n}`)
        .join(', ');
      lines.push(`    ${m.padEnd(10)} ${String(sum(Object.values(byCode))).padStart(8)}   ${detail}`);
    }
  }
  lines.push(`  retransmissions  requests ${r.retransmissions.requests}, responses ${r.retransmissions.responses}`);
  const anomalies = Object.entries(r.anomalies);
  lines.push(`  anomalies  ${anomalies.length === 0 ? 'none' : anomalies.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`  unrecognised bytes  ${r.unrecognizedBytes}`);
  const untimed = r.responses - r.timedResponses;
  if (untimed > 0) {
    // what the function publishes as UntimedResponses: these land on the upload minute, not their own
    const where = r.timedResponses === 0 ? 'no per-minute series' : 'not in the per-minute series';
    lines.push(
      `  untimed  ${untimed} of ${r.responses} responses carry no time (${where}; published at the upload minute)`,
    );
  }
  return lines.join('\n');
};

const ratio = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)}%`);
const delay = (name: string, d: KpiReport['srdMs']): string =>
  d.count === 0 ? `${name} -` : `${name} n=${d.count} mean ${d.mean} p50 ${d.p50} p90 ${d.p90} p99 ${d.p99} ms`;

/** RFC 6076 KPI lines, shown under the classes. */
const kpiLines = (k: KpiReport): string[] => [
  `  KPIs     INVITE transactions ${k.inviteTransactions}   SER ${ratio(k.ser)}   SEER ${ratio(k.seer)}   ISA ${ratio(k.isa)}   SCR ${ratio(k.scr)}`,
  `  delays   ${delay('SRD', k.srdMs)}; ${delay('SDD', k.sddMs)}; ${delay('RRD', k.rrdMs)}`,
];

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
