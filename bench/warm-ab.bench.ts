/**
 * Two builds' warm scans side by side, by the host's clock (issues 15 and 17): whole processes of the two taking
 * turns, which `npm run bench` (one build against other tools) does not do, and the host's own time, which
 * `bench:instructions` (cachegrind) does not count (docs/performance.md, twenty-second session).
 *
 * Each round starts one child process per build, the two in turn (the order swapped every round); a child scans FILE
 * SCANS times from memory, as bench:instructions' does (without the CLI's young-generation setting), and reports
 * each scan's milliseconds. Per child, the median
 * and the fastest of the scans after the first WARM_UP; per build, the medians of those over its children. Both
 * builds loaded in one process and scanning in turn looked cheaper, but whichever build ran first moved that A/B by
 * ~10 % for the same code; separate processes do not share that.
 *
 * Run: npm run bench:ab -- DIR_A DIR_B [--rounds N] [--kpis on|off] [--file FILE]
 * A DIR is a checkout with its `dist` built (`npm run build`; `.` for this one). Default: 10 rounds, KPIs on, the
 * first 20 MB of the bench trace (~1 min). Run it with `. .` first: what two runs of one build differ by is the
 * host's noise at the time (two such runs in the twenty-second session: −15.2 and −0.6 % in the medians, +2.0 and
 * −5.3 % in the fastest); a change smaller than that is not seen.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchSlice, chunksOf } from './bench-slice.js';
import { median } from './measure.js';

const CHILD = '--child';
const SCANS = 12;
/** Scans a child makes before the ones it reports on: the interpreter, compiling, first allocations. */
const WARM_UP = 4;

/** What a child reports: each scan's milliseconds. */
type ScanTimes = number[];

/** The child: imports DIR's built engine and scans `file` SCANS times, printing each scan's milliseconds as JSON. */
const child = async (dir: string, file: string, kpis: boolean): Promise<void> => {
  const engine: { scan: typeof import('../lambda/engine/index.js').scan } = await import(
    pathToFileURL(resolve(dir, 'dist/lambda/engine/index.js')).href
  );
  const detail: { CLI_DEFAULT_DETAIL: typeof import('../lambda/cli/result-detail.js').CLI_DEFAULT_DETAIL } =
    await import(pathToFileURL(resolve(dir, 'dist/lambda/cli/result-detail.js')).href);
  const bytes = readFileSync(file);
  const times: ScanTimes = [];
  for (let i = 0; i < SCANS; i++) {
    const start = process.hrtime.bigint();
    await engine.scan(chunksOf(bytes), { kpis, detail: detail.CLI_DEFAULT_DETAIL });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  process.stdout.write(`${JSON.stringify(times)}\n`);
};

const runChild = (dir: string, file: string, kpis: boolean): Promise<ScanTimes> =>
  new Promise((done, fail) => {
    const args = [fileURLToPath(import.meta.url), CHILD, dir, file, kpis ? 'on' : 'off'];
    execFile(process.execPath, args, (error, stdout, stderr) => {
      if (error !== null) {
        fail(new Error(`${dir}: ${stderr || error.message}`));
        return;
      }
      try {
        done(JSON.parse(stdout) as ScanTimes);
      } catch {
        fail(new Error(`${dir}: the child printed no scan times: ${stdout.slice(0, 200)}`));
      }
    });
  });

/** One build's children: each one's median and fastest warm scan. */
interface BuildRuns {
  readonly dir: string;
  readonly medians: number[];
  readonly fastest: number[];
}

const report = (b: BuildRuns): string =>
  `${b.dir}: warm scan ${median(b.medians).toFixed(1)} ms (median of ${b.medians.length} children's medians), ` +
  `${median(b.fastest).toFixed(1)} ms (median of their fastest)`;

const [first, ...rest] = process.argv.slice(2);
if (first === CHILD) {
  const [dir = '.', file = '', kpis = 'on'] = rest;
  await child(dir, file, kpis === 'on');
} else {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '10' },
      kpis: { type: 'string', default: 'on' },
      file: { type: 'string' },
    },
  });
  if (positionals.length !== 2)
    throw new Error('usage: npm run bench:ab -- DIR_A DIR_B [--rounds N] [--kpis on|off] [--file FILE]');
  if (values.kpis !== 'on' && values.kpis !== 'off') throw new Error(`--kpis is on or off, not ${values.kpis}`);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds is a whole number of at least 1, not ${values.rounds}`);
  const file = values.file ?? benchSlice();
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const builds: BuildRuns[] = positionals.map((dir) => ({ dir, medians: [], fastest: [] }));
  for (let r = 0; r < rounds; r++) {
    // the order swapped every round: a drift of the host hits both builds alike
    const order = r % 2 === 0 ? builds : [...builds].reverse();
    for (const b of order) {
      const warm = (await runChild(b.dir, file, values.kpis === 'on')).slice(WARM_UP);
      b.medians.push(median(warm));
      b.fastest.push(Math.min(...warm));
    }
  }
  const [a, b] = builds as [BuildRuns, BuildRuns];
  const change = (pick: (x: BuildRuns) => number[]): string => {
    const c = (median(pick(b)) / median(pick(a)) - 1) * 100;
    return `${c >= 0 ? '+' : ''}${c.toFixed(1)} %`;
  };
  process.stdout.write(
    `warm scans of ${file}, KPIs ${values.kpis}, ${rounds} children per build, ${SCANS - WARM_UP} warm scans each:\n` +
      `${report(a)}\n${report(b)}\n` +
      `${b.dir} against ${a.dir}: ${change((x) => x.medians)} (medians), ${change((x) => x.fastest)} (fastest)\n`,
  );
}
