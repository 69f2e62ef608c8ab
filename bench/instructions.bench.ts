/**
 * Instructions, not seconds: what a warm scan costs with the RFC 6076 KPIs on and off, counted by valgrind's
 * cachegrind (issues 15 and 17). On a shared host one wall-clock figure moves by ±25 %, so a change worth 2 % of a
 * scan cannot be seen in a handful of timed runs; with V8 run `--single-threaded --predictable-gc-schedule` (its
 * compiler and GC on the main thread, in a fixed order), the input scanned from memory in fixed chunks (see
 * scanRepeatedly) and the fewest of two children per count (see measure), two runs of one build agreed to ~0.1 %.
 * It counts V8's code as it runs under valgrind, whose optimisations can differ from the host's: a change it does not
 * count may still save time on the host, or the other way round (docs/performance.md, twenty-second session).
 *
 * For each of KPIs on and off, processes scan FILE 3 times and 11 times (as `sip-metrics scan` does: the detail it
 * prints by default); the difference over 8 is one warm scan's instructions, and what the 3 scans cost beyond 3 warm
 * ones is the cold part (the interpreter, compiling, first allocations).
 *
 * Run: npm run bench:instructions [-- FILE]   (default: the first 20 MB of the bench's text trace; ~3 min)
 * Needs valgrind (Debian: apt-get install -y valgrind). A/B: run it from each build's own folder.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLI_DEFAULT_DETAIL } from '../lambda/cli/result-detail.js';
import { scan } from '../lambda/engine/index.js';
import { benchSlice, chunksOf } from './bench-slice.js';

const CHILD = '--child';
const FEW_SCANS = 3;
const MANY_SCANS = 11;
/** Children per count: the fewest instructions of them is taken (see `measure`). */
const RUNS_PER_COUNT = 2;
const V8_FLAGS = ['--single-threaded', '--predictable-gc-schedule'];

/**
 * The child: scans `file` `times` times in one process, from memory in fixed chunks. Read from the file as the
 * command reads it, where each read ended depended on the thread pool's timing, and so did how far the scan had got
 * when V8 optimised its loop: the three-scan child compiled it 4 times in some runs and 10 in others, which moved a
 * warm scan's figure by 0.2 G. From memory the scan meets the bytes in the same order every run.
 */
const scanRepeatedly = async (file: string, kpis: boolean, times: number): Promise<void> => {
  const bytes = readFileSync(file);
  for (let i = 0; i < times; i++) await scan(chunksOf(bytes), { kpis, detail: CLI_DEFAULT_DETAIL });
};

/** Instructions of one child process under cachegrind (its `I refs` line). */
const instructions = (file: string, kpis: boolean, times: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const args = [
      '--tool=cachegrind',
      '--cache-sim=no',
      '--cachegrind-out-file=/dev/null',
      process.execPath,
      ...V8_FLAGS,
      fileURLToPath(import.meta.url),
      CHILD,
      file,
      kpis ? 'on' : 'off',
      String(times),
    ];
    execFile('valgrind', args, { maxBuffer: 1 << 24 }, (error, _stdout, stderr) => {
      if (error !== null) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(new Error(missing ? 'valgrind is not installed (Debian: apt-get install -y valgrind)' : stderr));
        return;
      }
      const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr)?.[1];
      if (refs === undefined) reject(new Error(`no instruction count in valgrind's output:\n${stderr}`));
      else resolve(Number(refs.replaceAll(',', '')));
    });
  });

/** The fewest instructions of RUNS_PER_COUNT children that scan `times` times (two at a time, side by side). */
const fewest = async (file: string, kpis: boolean, times: number): Promise<number> => {
  const runs: number[] = [];
  while (runs.length < Math.max(1, RUNS_PER_COUNT))
    runs.push(...(await Promise.all([instructions(file, kpis, times), instructions(file, kpis, times)])));
  return Math.min(...runs);
};

/**
 * Warm instructions per scan and the cold part, for KPIs on or off. Children of one build fall into modes ~0.4–0.5 G
 * apart (with the KPIs on, on the twenty-second session's host: how often V8 deoptimises and recompiles a large
 * function on the main thread), so one child per count could put a mode's difference into the warm figure, ±0.1 G
 * a scan with 3 and 7 scans. The fewest of two children per count makes a mixed pair less likely, and 8 scans apart
 * a mixed pair costs ~0.05 G a scan, not 0.1 (two runs of one build agreed to ~0.1 %).
 */
const measure = async (file: string, kpis: boolean): Promise<{ warm: number; cold: number }> => {
  const few = await fewest(file, kpis, FEW_SCANS);
  const many = await fewest(file, kpis, MANY_SCANS);
  const warm = (many - few) / (MANY_SCANS - FEW_SCANS);
  return { warm, cold: few - FEW_SCANS * warm };
};

const [first, ...rest] = process.argv.slice(2);
if (first === CHILD) {
  const [file = '', kpis, times = '1'] = rest;
  await scanRepeatedly(file, kpis === 'on', Number(times));
} else {
  const file = first ?? benchSlice();
  const on = await measure(file, true);
  const off = await measure(file, false);
  const g = (n: number): string => `${(n / 1e9).toFixed(3)} G`;
  process.stdout.write(
    `instructions (cachegrind, V8 ${V8_FLAGS.join(' ')}), ${file}:\n` +
      `KPIs on:  warm scan ${g(on.warm)}, cold part ${g(on.cold)}\n` +
      `KPIs off: warm scan ${g(off.warm)}, cold part ${g(off.cold)}\n` +
      `KPIs: +${(((on.warm - off.warm) / off.warm) * 100).toFixed(1)} % of a warm scan's instructions ` +
      `(issue 15 allows the scan 10 % slower), cold part +${g(on.cold - off.cold)}\n`,
  );
}
