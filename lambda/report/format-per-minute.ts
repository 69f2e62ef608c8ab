import type { ScanResult } from '../engine/tally.js';
import { RESPONSE_CLASSES } from '../engine/types.js';

const COLUMN = 9;

const cell = (n: number): string => n.toLocaleString('en-US').padStart(COLUMN);

/**
 * `scan --per-minute` without `--json`: the per-minute series as a table, one row per minute of log time (UTC),
 * responses by class and their total. Responses without a time are in the file's totals only; a last row says
 * how many, so the rows add up to the file's total.
 */
export const formatPerMinute = (r: ScanResult): string => {
  const lines = [
    `  per minute (log time, UTC)${RESPONSE_CLASSES.map((c) => c.padStart(COLUMN)).join('')}${'total'.padStart(COLUMN)}`,
  ];
  for (const m of r.series) {
    const total = RESPONSE_CLASSES.reduce((n, c) => n + m.byClass[c], 0);
    const minute = m.minute.slice(0, 16).replace('T', ' ');
    lines.push(`  ${minute.padEnd(26)}${RESPONSE_CLASSES.map((c) => cell(m.byClass[c])).join('')}${cell(total)}`);
  }
  if (r.series.length === 0) lines.push('  none: no response in this log carries a time');
  const untimed = r.responses - r.timedResponses;
  if (untimed > 0 && r.series.length > 0)
    lines.push(`  ${'without a time'.padEnd(26)}${' '.repeat(COLUMN * 6)}${cell(untimed)}`);
  return lines.join('\n');
};
