/**
 * What the RFC 6076 KPIs cost a text scan (issue 15: at most 10 %): scans one file again and again, KPIs on and off
 * in turn, and prints the CPU time (user + system, GC threads included) of each scan: the fastest and the median of
 * each, and their ratio. CPU time, not wall time: on a shared machine the wall clock measures the neighbours.
 * Run: npm run build && node dist/bench/kpis-cost.bench.js FILE [ROUNDS]
 *   e.g. head -c 60000000 bench/data/sip-trace-200MiB.txt > /tmp/slice.txt; node dist/bench/kpis-cost.bench.js /tmp/slice.txt 7
 */
import { createReadStream } from 'node:fs';
import { scan } from '../lambda/engine/index.js';

const [file, rounds = '5'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: node dist/bench/kpis-cost.bench.js FILE [ROUNDS]');

const cpuSeconds = async (kpis: boolean): Promise<number> => {
  const before = process.cpuUsage();
  await scan(createReadStream(file, { highWaterMark: 1 << 20 }), { kpis });
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
};

const on: number[] = [];
const off: number[] = [];
for (let i = 0; i < Number(rounds); i++) {
  on.push(await cpuSeconds(true));
  off.push(await cpuSeconds(false));
}
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
const row = (xs: readonly number[]): string => `min ${Math.min(...xs).toFixed(3)} s, median ${median(xs).toFixed(3)} s`;
process.stdout.write(
  `KPIs on:  ${row(on)}\nKPIs off: ${row(off)}\n` +
    `on/off: ${(Math.min(...on) / Math.min(...off)).toFixed(3)} (min), ${(median(on) / median(off)).toFixed(3)} (median)\n`,
);
