import { kpiRatios } from '../../engine/kpis.js';
import type { ClassCounts, ScanResult } from '../../engine/tally.js';
import { RESPONSE_CLASSES } from '../../engine/types.js';

/** Rows the peer table shows at most (the rest are summed in one line). */
export const TOP_PEERS = 20;

const failures = (c: ClassCounts): number => c['5xx'] + c['6xx'];

const pct = (n: number, total: number): string => (total === 0 ? '-' : `${((100 * n) / total).toFixed(1)}%`);

/** Peers, worst first: by 5xx+6xx, then by volume, then by name (also the local stack's top-peers order). */
export const rankPeers = <P extends { readonly responses: number; readonly byClass: ClassCounts }>(
  byPeer: Readonly<Record<string, P>>,
): [string, P][] =>
  Object.entries(byPeer).sort(
    (a, b) =>
      failures(b[1].byClass) - failures(a[1].byClass) || b[1].responses - a[1].responses || a[0].localeCompare(b[0]),
  );

const ratio = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)}%`);

/** A peer's RFC 6076 columns: INVITE transactions it answered, SER, SEER, ISA. */
const kpiCells = (r: ScanResult, peer: string): string => {
  const k = r.kpis.byPeer[peer];
  if (k === undefined || k.inviteTransactions === 0)
    return `${'0'.padStart(8)}${'-'.padStart(8)}${'-'.padStart(8)}${'-'.padStart(8)}`;
  const { ser, seer, isa } = kpiRatios(k);
  return `${String(k.inviteTransactions).padStart(8)}${ratio(ser).padStart(8)}${ratio(seer).padStart(8)}${ratio(isa).padStart(8)}`;
};

/**
 * `--by peer`: one row per peer (the party that sent the responses), worst first, with the RFC 6076 KPIs of the
 * INVITE transactions it answered (a transaction belongs to the sender of its responses).
 */
export const formatPeerTable = (r: ScanResult): string => {
  const ranked = rankPeers(r.byPeer);
  const width = Math.max(4, ...ranked.slice(0, TOP_PEERS).map(([p]) => p.length));
  const lines = [
    `  by peer (sender)`,
    `    ${'peer'.padEnd(width)}  responses  ${RESPONSE_CLASSES.map((c) => c.padStart(7)).join('')}     5xx%    6xx%   INVITEs     SER    SEER     ISA`,
  ];
  for (const [peer, c] of ranked.slice(0, TOP_PEERS)) {
    const classes = RESPONSE_CLASSES.map((k) => String(c.byClass[k]).padStart(7)).join('');
    lines.push(
      `    ${peer.padEnd(width)}  ${String(c.responses).padStart(9)}  ${classes}  ${pct(c.byClass['5xx'], c.responses).padStart(7)} ${pct(c.byClass['6xx'], c.responses).padStart(7)}  ${kpiCells(r, peer)}`,
    );
  }
  if (ranked.length > TOP_PEERS) {
    const rest = ranked.slice(TOP_PEERS).reduce((n, [, c]) => n + c.responses, 0);
    lines.push(`    ... ${ranked.length - TOP_PEERS} more peers with ${rest} responses (all of them in --json)`);
  }
  if (ranked.length === 0) lines.push('    none');
  return lines.join('\n');
};
