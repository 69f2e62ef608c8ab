import type { ScanResult } from '../../engine/tally.js';
import { RESPONSE_CLASSES } from '../../engine/types.js';
import { rankPeers } from './format-peers.js';

const COLUMN = 9;

const cell = (n: number): string => n.toLocaleString('en-US').padStart(COLUMN);

/** Peers shown under each minute with `--by peer`; the rest are summed in one row. */
export const PEERS_PER_MINUTE = 5;

/** `--by peer --per-minute`: the minute's senders, worst first, indented under the minute's row. */
const minutePeerRows = (byPeer: ScanResult['series'][number]['byPeer']): string[] => {
  const ranked = rankPeers(
    Object.fromEntries(
      Object.entries(byPeer).map(([peer, byClass]) => [
        peer,
        { responses: RESPONSE_CLASSES.reduce((n, c) => n + byClass[c], 0), byClass },
      ]),
    ),
  );
  const rows = ranked
    .slice(0, PEERS_PER_MINUTE)
    .map(
      ([peer, c]) =>
        `    ${peer.slice(0, 22).padEnd(24)}${RESPONSE_CLASSES.map((k) => cell(c.byClass[k])).join('')}${cell(c.responses)}`,
    );
  const rest = ranked.slice(PEERS_PER_MINUTE);
  if (rest.length > 0) {
    const n = rest.reduce((sum, [, c]) => sum + c.responses, 0);
    rows.push(`    ${`${rest.length} more peers`.padEnd(24)}${' '.repeat(COLUMN * 6)}${cell(n)}`);
  }
  return rows;
};

/**
 * `scan --per-minute` without `--json`: the per-minute series as a table, one row per minute of log time (UTC),
 * responses by class and their total. Responses without a time are in the file's totals only; a last row says
 * how many, so the rows add up to the file's total.
 */
export const formatPerMinute = (r: ScanResult, byPeer = false): string => {
  const lines = [
    `  per minute (log time, UTC)${RESPONSE_CLASSES.map((c) => c.padStart(COLUMN)).join('')}${'total'.padStart(COLUMN)}`,
  ];
  for (const m of r.series) {
    const total = RESPONSE_CLASSES.reduce((n, c) => n + m.byClass[c], 0);
    const minute = m.minute.slice(0, 16).replace('T', ' ');
    lines.push(`  ${minute.padEnd(26)}${RESPONSE_CLASSES.map((c) => cell(m.byClass[c])).join('')}${cell(total)}`);
    if (byPeer) lines.push(...minutePeerRows(m.byPeer));
  }
  if (r.series.length === 0) lines.push('  none: no response in this log carries a time');
  const untimed = r.responses - r.timedResponses;
  if (untimed > 0 && r.series.length > 0)
    lines.push(`  ${'without a time'.padEnd(26)}${' '.repeat(COLUMN * 6)}${cell(untimed)}`);
  return lines.join('\n');
};
