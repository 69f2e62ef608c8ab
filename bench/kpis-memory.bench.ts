/**
 * Memory of the RFC 6076 KPI tracker with a million open INVITE transactions (never answered):
 * the tracker must stay within its bound (MAX_TRACKED_TRANSACTIONS) and say how many it forgot.
 * Run: npm run build && node --expose-gc dist/bench/kpis-memory.bench.js
 */
import { KpiTracker, MAX_TRACKED_TRANSACTIONS } from '../lambda/engine/kpis.js';

const OPEN_TRANSACTIONS = 1_000_000;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
gc();
/** JS heap plus typed-array memory: the transaction table keeps its fields in typed arrays, outside the heap. */
const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const before = used();
const tracker = new KpiTracker();
let peak = 0;
for (let i = 0; i < OPEN_TRANSACTIONS; i++) {
  tracker.observe(
    {
      kind: 'request',
      method: 'INVITE',
      cseqNumber: 1,
      cseqMethod: 'INVITE',
      callId: `${i.toString(16).padStart(8, '0')}-bench@198.51.100.7`,
      topVia: `SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-${i}`,
    },
    { transport: 'udp', timeMs: 1_700_000_000_000 + i },
  );
  if (i % 50_000 === 0) peak = Math.max(peak, used() - before);
}
gc();
const d = tracker.toData();
const after = used() - before;
const mb = (n: number): string => (n / 2 ** 20).toFixed(1);
process.stdout.write(
  `${JSON.stringify({
    openTransactions: OPEN_TRANSACTIONS,
    bound: MAX_TRACKED_TRANSACTIONS,
    remembered: tracker.size,
    reportedOpen: d.openTransactions,
    evicted: d.evicted,
    inviteTransactions: d.inviteTransactions,
    peakMB: mb(peak),
    afterMB: mb(after),
  })}\n`,
);
if (d.inviteTransactions !== OPEN_TRANSACTIONS || d.openTransactions + d.evicted !== OPEN_TRANSACTIONS) {
  throw new Error('KPI bench: counts do not add up');
}
