import { createReadStream } from 'node:fs';
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTION_V8_FLAGS } from '../lambda/contract/index.js';
import type { ChildReport } from './bench-child.js';
import { CAPTURE_SEED, generateCapture } from './generate-capture.js';
import { generateTrace, gzipTrace, TRACE_SEED } from './generate-trace.js';
import { compareCounts, type GroundTruth, readTruth } from './ground-truth.js';
import { ensureTshark, median, type RunResult, runChild, runTool, type ToolRun } from './measure.js';
import { markdownTable, plainTable, type ResultRow } from './report-table.js';
import { compareSipStat, parseSipStat } from './tshark-stat.js';

/**
 * `npm run bench`: speed and peak memory of the engine on a 200 MiB text trace (five log formats),
 * its gzip, and a 200 MiB capture, next to grep, a naive line counter, bare zlib and tshark.
 * Generates the data on first use (bench/data/, gitignored) with its ground truth, and fails only
 * when the engine's counts differ from that truth, never because a run was slow (STYLE.md,
 * "Benchmarks are not tests").
 *
 * Environment: BENCH_MIB (default 200) sets the size of each file, BENCH_RUNS (default 5) the
 * runs per tool, BENCH_STARTUP_RUNS (default 25) those of the start-up row; tshark always runs once, it is slow.
 */

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_MIB ?? 200);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
/**
 * Runs of the start-up row (alternating the CLI with `node -e 0`): ~0.1 s each, where this host's noise between two
 * runs is ~0.03 s, so five medians moved more than a change did.
 */
const STARTUP_RUNS = Math.max(1, Number(process.env.BENCH_STARTUP_RUNS ?? 25));
const DATA_DIR = fileURLToPath(new URL('../../bench/data/', import.meta.url));
/** Engine throughput / grep throughput on text, whole processes (issue 17's target, then the later one). */
const TEXT_TARGET_RATIO = { now: 0.25, later: 0.6 } as const;
/** Engine throughput / bare inflate throughput on gzip. */
const GZIP_TARGET_RATIO = { now: 0.9, later: 0.95 } as const;
/** tshark's time / the engine's on the capture. */
const CAPTURE_TARGET_SPEEDUP = { now: 10, later: 30 } as const;
const RSS_TARGET_MIB = 150;
/** Whole-process time of a CLI scan of a 100 KB file. */
const STARTUP_TARGET_SECONDS = 0.1;
const STARTUP_FILE_BYTES = 100 * 1000;
/** The package's bin (package.json "bin"): the bundle scripts/bundle-cli.ts writes, as an installed command runs it. */
const CLI_SCRIPT = fileURLToPath(new URL('../lambda/cli/bundle/sip-metrics.cjs', import.meta.url));

const gc = (): void => {
  // --expose-gc (npm run bench passes it) keeps the parent's own heap small between children
  const g: unknown = Reflect.get(globalThis, 'gc');
  if (typeof g === 'function') g();
};

const fileSize = async (path: string): Promise<number | null> => {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
};

/** The truth of an existing file made with these settings, or null when it must be (re)generated. */
const freshTruth = async (path: string, seed: number, targetBytes: number): Promise<GroundTruth | null> => {
  const truth = await readTruth(path);
  if (truth === null || truth.seed !== seed || truth.targetBytes !== targetBytes) return null;
  return (await fileSize(path)) === truth.bytes ? truth : null;
};

/** A data file of the bench and its ground truth. */
interface BenchFile {
  readonly path: string;
  readonly truth: GroundTruth;
}

interface BenchData {
  readonly text: BenchFile;
  readonly gzip: BenchFile;
  readonly capture: BenchFile;
}

const prepareData = async (): Promise<BenchData> => {
  await mkdir(DATA_DIR, { recursive: true });
  const target = SIZE_MIB * MIB;
  const textPath = join(DATA_DIR, `sip-trace-${SIZE_MIB}MiB.txt`);
  const gzPath = `${textPath}.gz`;
  const capturePath = join(DATA_DIR, `sip-capture-${SIZE_MIB}MiB.pcap`);
  const started = performance.now();
  let generated = false;

  let text = await freshTruth(textPath, TRACE_SEED, target);
  if (text === null) {
    console.log(`generating ${textPath} (${SIZE_MIB} MiB of text logs) ...`);
    text = await generateTrace(textPath, { seed: TRACE_SEED, targetBytes: target });
    console.log(`  done in ${text.generationSeconds.toFixed(1)} s`);
    generated = true;
  }
  let gzip = await freshTruth(gzPath, TRACE_SEED, target);
  // zlib inflates on the thread pool, so the gzip copy is made while the capture is generated
  const gzipping =
    gzip === null || gzip.responses !== text.responses || gzip.messages !== text.messages
      ? gzipTrace(textPath, text, gzPath)
      : null;
  if (gzipping !== null) console.log(`compressing it to ${gzPath} (zlib level 6) ...`);
  let capture = await freshTruth(capturePath, CAPTURE_SEED, target);
  if (capture === null) {
    console.log(`generating ${capturePath} (${SIZE_MIB} MiB libpcap capture) ...`);
    capture = await generateCapture(capturePath, { seed: CAPTURE_SEED, targetBytes: target });
    console.log(`  done in ${capture.generationSeconds.toFixed(1)} s`);
    generated = true;
  }
  if (gzipping !== null) {
    gzip = await gzipping;
    console.log(`  gzip done in ${gzip.generationSeconds.toFixed(1)} s`);
    generated = true;
  }
  if (gzip === null) throw new Error('bug: gzip truth missing after generation');
  if (generated) console.log(`data ready in ${((performance.now() - started) / 1000).toFixed(1)} s (wall clock)\n`);
  return {
    text: { path: textPath, truth: text },
    gzip: { path: gzPath, truth: gzip },
    capture: { path: capturePath, truth: capture },
  };
};

/** The first 100 KB of the text trace, cut after a line: the CLI start-up's input. */
const writeStartupFile = async (textPath: string): Promise<BenchFile> => {
  const path = join(DATA_DIR, 'sip-trace-100KB.txt');
  const handle = await open(textPath, 'r');
  try {
    const head = Buffer.alloc(STARTUP_FILE_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const cut = head.subarray(0, head.lastIndexOf(0x0a, bytesRead - 1) + 1);
    await writeFile(path, cut);
    const truth: GroundTruth = { ...(await readTruthOrThrow(textPath)), bytes: cut.length };
    return { path, truth };
  } finally {
    await handle.close();
  }
};

/** The `responses` of a `scan --json` line, or '?'. */
const responsesIn = (jsonLine: string): string => {
  try {
    const x: unknown = JSON.parse(jsonLine);
    if (typeof x === 'object' && x !== null && 'responses' in x) return String(x.responses);
  } catch {
    // not JSON: say so with '?'
  }
  return '?';
};

const readTruthOrThrow = async (path: string): Promise<GroundTruth> => {
  const t = await readTruth(path);
  if (t === null) throw new Error(`bug: no ground truth beside ${path}`);
  return t;
};

/** Reads a file once so that every tool, the first one too, reads it from the page cache. */
const warmCache = async (path: string): Promise<void> => {
  for await (const _ of createReadStream(path, { highWaterMark: 4 * MIB })) {
    // nothing: reading is the point
  }
};

/** The engine's runs on one file: timings, and the verdict on its counts. */
interface EngineOutcome {
  readonly reports: ChildReport[];
  readonly verdict: string;
  readonly failed: boolean;
  readonly notes: string[];
}

const UNSUPPORTED = /not supported yet/;

const judgeEngine = (label: string, reports: readonly ChildReport[], truth: GroundTruth): EngineOutcome => {
  const notes: string[] = [];
  const errored = reports.find((r) => r.error !== undefined);
  if (errored?.error !== undefined) {
    if (UNSUPPORTED.test(errored.error)) {
      return {
        reports: [],
        verdict: `${label}: not supported yet`,
        failed: false,
        notes: [`${label}: ${errored.error}`],
      };
    }
    return { reports: [], verdict: 'ERROR', failed: true, notes: [`${label}: engine failed: ${errored.error}`] };
  }
  for (const [i, r] of reports.entries()) {
    if (r.counts === undefined) continue;
    const diffs = compareCounts(r.counts, truth);
    if (diffs.length > 0) {
      notes.push(
        `${label}: engine counts differ from the ground truth (run ${i + 1}):`,
        ...diffs.map((d) => `    ${d}`),
      );
      return { reports: [...reports], verdict: `WRONG (${diffs.length} differences)`, failed: true, notes };
    }
  }
  const c = reports[0]?.counts;
  if (c !== undefined) {
    const anomalies = Object.entries(c.anomalies)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    notes.push(
      `${label}: engine saw ${c.messages} messages (${c.responses} responses, ${c.retransmissions.responses} resent), formats ${c.formats.join('+')}, ` +
        `unrecognised bytes ${c.unrecognizedBytes}, anomalies ${anomalies === '' ? 'none' : anomalies}`,
    );
  }
  return { reports: [...reports], verdict: 'ok', failed: false, notes };
};

/** Median whole-process seconds (a child's own clock only when the parent did not time it). */
const seconds = (runs: readonly { readonly seconds: number; readonly processSeconds?: number }[]): number | null =>
  runs.length === 0 ? null : median(runs.map((r) => r.processSeconds ?? r.seconds));

/** Median seconds of the work alone, measured inside each child. */
const workSeconds = (runs: readonly { readonly seconds: number }[]): number | null =>
  runs.length === 0 ? null : median(runs.map((r) => r.seconds));

const peakRss = (runs: readonly { readonly maxRssMiB: number | null }[]): number | null => {
  const xs = runs.map((r) => r.maxRssMiB).filter((x): x is number => x !== null && x > 0);
  return xs.length === 0 ? null : Math.max(...xs);
};

const ratioText = (ratio: number, reference: string, min: { readonly now: number; readonly later: number }): string =>
  `${ratio.toFixed(2)}x ${reference} (>= ${min.now}: ${ratio >= min.now ? 'met' : 'MISSED'}; later >= ${min.later})`;

const mib = (bytes: number): number => bytes / MIB;

/** The tool name of the engine's rows. */
const ENGINE_TOOL = 'engine scan()';
const FUNCTION_FLAGS_TOOL = `engine scan(), node ${FUNCTION_V8_FLAGS.join(' ')} (as the Lambda)`;
/** The two-core scan (lambda/threads: a worker thread scans, the main thread counts; `scan --threads 2`). */
const TWO_CORES_TOOL = 'scanInWorker() (two cores)';

/** A row of the results table: one tool's runs on one bench file, as the median time and the peak RSS of the runs. */
const resultRow = (
  data: BenchFile,
  tool: string,
  runs: readonly RunResult[],
  vsReference: string,
  counts: string,
): ResultRow => ({
  file: data.path.slice(DATA_DIR.length),
  sizeMiB: mib(data.truth.bytes),
  tool,
  runs: runs.length,
  seconds: seconds(runs),
  maxRssMiB: peakRss(runs),
  vsReference,
  counts,
});

/** The generator's counts, for the notes under the table. */
const truthText = (truth: GroundTruth): string =>
  `truth ${truth.responses} responses (${truth.retransmissions.responses} resent) in ${truth.messages} messages`;

/** How the generator cut its TCP streams into segments, for the notes under the table. */
const tcpText = (truth: GroundTruth): string => {
  const tcp = truth.tcp ?? {};
  return (
    `${tcp.splitMessages ?? 0} of ${tcp.tcpMessages ?? 0} messages split over segments, ` +
    `${tcp.mergedSegments ?? 0} segments carrying two messages.`
  );
};

/**
 * Runs the engine once per run, each time followed by the baselines (so that a drift of the
 * machine hits all of them alike); stops running the engine when it cannot read the file at all.
 */
const engineRuns = async (path: string, runs: number, baselines?: () => Promise<void>): Promise<ChildReport[]> => {
  const out: ChildReport[] = [];
  let stopped = false;
  for (let i = 0; i < runs; i++) {
    gc();
    if (!stopped) {
      const r = await runChild('engine', path);
      out.push(r);
      stopped = r.error !== undefined;
    }
    await baselines?.();
  }
  return out;
};

const main = async (): Promise<number> => {
  console.log(
    `sip-metrics bench: ${SIZE_MIB} MiB per file, ${RUNS} runs per tool (tshark: 1, start-up: ${STARTUP_RUNS}), Node ${process.version}, ` +
      `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}\n`,
  );
  const data = await prepareData();
  // the machine may be shared: a load above the core count means the timings below are pessimistic
  const loadBefore = loadavg()[0] ?? 0;
  for (const f of [data.text, data.gzip, data.capture]) await warmCache(f.path);
  const tsharkMissing = ensureTshark();

  const rows: ResultRow[] = [];
  const notes: string[] = [];
  let failed = false;
  /** Judges the engine's runs on one file and keeps the verdict and its notes. */
  const judge = (label: string, reports: readonly ChildReport[], truth: GroundTruth): EngineOutcome => {
    const judged = judgeEngine(label, reports, truth);
    failed ||= judged.failed;
    notes.push(...judged.notes);
    const work = workSeconds(judged.reports);
    if (work !== null)
      notes.push(`${label}: engine work alone (inside the child, no start-up) ${work.toFixed(3)} s median`);
    return judged;
  };

  /**
   * The row of another way of running the engine on a file (`what` names it in the notes): judged on the same truth,
   * since its counts must equal it too.
   */
  const variantRow = (
    file: Parameters<typeof resultRow>[0],
    tool: string,
    what: string,
    reports: readonly ChildReport[],
    truth: GroundTruth,
  ) => {
    const label = `${file.path.slice(DATA_DIR.length)}, ${what}`;
    const judged = judgeEngine(label, reports, truth);
    failed ||= judged.failed;
    notes.push(...judged.notes.filter((n) => !n.includes('engine saw')));
    return { label, row: resultRow(file, tool, judged.reports, '-', judged.verdict) };
  };

  /** The engine as the Lambda function runs it (its V8 flags, FUNCTION_V8_FLAGS). */
  const functionFlagsRow = (
    file: Parameters<typeof resultRow>[0],
    reports: readonly ChildReport[],
    truth: GroundTruth,
  ) => variantRow(file, FUNCTION_FLAGS_TOOL, "the function's V8 flags", reports, truth).row;

  /** The two-core scan's row, its CPU time in the notes. */
  const twoCoresRow = (file: Parameters<typeof resultRow>[0], reports: readonly ChildReport[], truth: GroundTruth) => {
    const { label, row } = variantRow(file, TWO_CORES_TOOL, 'two cores', reports, truth);
    const cpu = reports.flatMap((r) => (r.cpuSeconds === undefined ? [] : [r.cpuSeconds]));
    if (cpu.length > 0) notes.push(`${label}: CPU (user + sys, both threads) ${median(cpu).toFixed(2)} s median`);
    return row;
  };

  // text: engine, grep and the naive counter take turns, so drifts of the machine hit all of them
  {
    const { path, truth } = data.text;
    const grep: ToolRun[] = [];
    const naive: ChildReport[] = [];
    const noKpis: ChildReport[] = [];
    const twoCores: ChildReport[] = [];
    const withFunctionFlags: ChildReport[] = [];
    const engine = await engineRuns(path, RUNS, async () => {
      twoCores.push(await runChild('engine-two-cores', path));
      withFunctionFlags.push(await runChild('engine', path, FUNCTION_V8_FLAGS));
      grep.push(await runTool('grep', ['-c', '^SIP/2.0 ', path], { ...process.env, LC_ALL: 'C' }));
      naive.push(await runChild('naive', path));
      // the same scan with the RFC 6076 KPIs off (issue 15: they may cost at most 10 % of the text scan)
      noKpis.push(await runChild('engine-no-kpis', path));
    });
    const judged = judge('text', engine, truth);
    const judgedNoKpis = judgeEngine('text, KPIs off', noKpis, truth);
    failed ||= judgedNoKpis.failed;
    notes.push(...judgedNoKpis.notes.filter((n) => !n.includes('engine saw')));
    const kpisOn = workSeconds(judged.reports);
    const kpisOff = workSeconds(judgedNoKpis.reports);
    if (kpisOn !== null && kpisOff !== null) {
      notes.push(
        `text: KPIs cost ${(((kpisOn - kpisOff) / kpisOff) * 100).toFixed(1)} % of the scan (work alone, medians: ` +
          `${kpisOn.toFixed(3)} s on, ${kpisOff.toFixed(3)} s off with scan option kpis: false; issue 15 allows 10 %)`,
      );
    }
    const tEngine = seconds(judged.reports);
    const tGrep = seconds(grep);
    const tNaive = seconds(naive);
    rows.push(
      resultRow(
        data.text,
        ENGINE_TOOL,
        judged.reports,
        tEngine !== null && tGrep !== null ? ratioText(tGrep / tEngine, 'grep', TEXT_TARGET_RATIO) : '-',
        judged.verdict,
      ),
    );
    rows.push(resultRow(data.text, `${ENGINE_TOOL}, KPIs off`, judgedNoKpis.reports, '-', judgedNoKpis.verdict));
    rows.push(functionFlagsRow(data.text, withFunctionFlags, truth));
    rows.push(twoCoresRow(data.text, twoCores, truth));
    const grepCount = Number(grep[0]?.stdout.trim());
    rows.push(
      resultRow(
        data.text,
        "LC_ALL=C grep -c '^SIP/2.0 '",
        grep,
        'reference',
        Number.isFinite(grepCount) ? `${grepCount} lines` : '-',
      ),
    );
    rows.push(
      resultRow(
        data.text,
        'naive readline + regex',
        naive,
        tNaive !== null && tGrep !== null ? `${(tGrep / tNaive).toFixed(2)}x grep` : '-',
        naive[0]?.value !== undefined ? `${naive[0].value} lines` : (naive[0]?.error ?? '-'),
      ),
    );
    const shares = Object.entries(truth.formats ?? {})
      .map(([f, sh]) => `${f} ${sh.blocks} blocks ${mib(sh.bytes).toFixed(1)} MiB`)
      .join(', ');
    notes.push(`text: ${shares}; ngrep TCP: ${tcpText(truth)}`);
    notes.push(
      `text: ${truthText(truth)}; ` +
        `${truth.statusLinesInsideBodies} status lines sit inside bodies. The line counters count those too, and miss ` +
        'status lines a TCP segment boundary cut (ngrep prints segments): their counts are not response counts.',
    );
  }

  gc();
  // gzip: the engine inflates and scans; the reference only inflates, with the same zlib settings
  {
    const { path, truth } = data.gzip;
    const inflate: ChildReport[] = [];
    const twoCores: ChildReport[] = [];
    const withFunctionFlags: ChildReport[] = [];
    const engine = await engineRuns(path, RUNS, async () => {
      inflate.push(await runChild('inflate', path));
      twoCores.push(await runChild('engine-two-cores', path));
      withFunctionFlags.push(await runChild('engine', path, FUNCTION_V8_FLAGS));
    });
    const judged = judge('gzip', engine, truth);
    const tEngine = seconds(judged.reports);
    const tInflate = seconds(inflate);
    rows.push(
      resultRow(
        data.gzip,
        ENGINE_TOOL,
        judged.reports,
        tEngine !== null && tInflate !== null ? ratioText(tInflate / tEngine, 'inflate', GZIP_TARGET_RATIO) : '-',
        judged.verdict,
      ),
    );
    rows.push(functionFlagsRow(data.gzip, withFunctionFlags, truth));
    rows.push(twoCoresRow(data.gzip, twoCores, truth));
    const out = inflate[0]?.value;
    rows.push(
      resultRow(
        data.gzip,
        'bare gunzip (zlib, drained)',
        inflate,
        'reference',
        out !== undefined ? `${mib(out).toFixed(1)} MiB out` : '-',
      ),
    );
    if (tEngine !== null && tInflate !== null) {
      notes.push(
        `gzip: ${(truth.bytes / data.text.truth.bytes).toFixed(3)} of the text's size; bare inflate produces ` +
          `${(mib(data.text.truth.bytes) / tInflate).toFixed(0)} MiB/s of text, the engine scans ` +
          `${(mib(data.text.truth.bytes) / tEngine).toFixed(0)} MiB/s of it (same text as the .txt row).`,
      );
    }
  }

  gc();
  // capture: the engine in every run; tshark once, it takes minutes
  {
    const { path, truth } = data.capture;
    const twoCores: ChildReport[] = [];
    const withFunctionFlags: ChildReport[] = [];
    const engine = await engineRuns(path, RUNS, async () => {
      twoCores.push(await runChild('engine-two-cores', path));
      withFunctionFlags.push(await runChild('engine', path, FUNCTION_V8_FLAGS));
    });
    const judged = judge('capture', engine, truth);
    notes.push(`capture: ${truthText(truth)}; TCP: ${tcpText(truth)}`);
    let tshark: ToolRun | null = null;
    let tsharkVerdict = tsharkMissing ?? '-';
    if (tsharkMissing === null) {
      tshark = await runTool('tshark', ['-q', '-z', 'sip,stat', '-r', path]);
      const stat = parseSipStat(tshark.stdout);
      if (tshark.exitCode !== 0 || stat === null) {
        tsharkVerdict = `tshark failed (exit ${tshark.exitCode})`;
        notes.push(`capture: tshark failed: ${tshark.stderr.trim().split('\n').slice(-2).join(' | ')}`);
        tshark = null;
      } else {
        const diffs = compareSipStat(stat, truth);
        tsharkVerdict = diffs.length === 0 ? 'agrees with truth' : `DIFFERS (${diffs.length})`;
        if (diffs.length > 0) {
          // a generator problem, not an engine one: say so loudly, but the engine is judged on the truth
          notes.push(
            'capture: WARNING: tshark disagrees with the generator ground truth:',
            ...diffs.map((d) => `    ${d}`),
          );
        } else {
          notes.push(
            `capture: tshark sip,stat agrees with the ground truth (${stat.messages} messages, ${stat.resent} resent, every class).`,
          );
        }
      }
    } else {
      notes.push(`capture: tshark comparison skipped: ${tsharkMissing}`);
    }
    const tEngine = seconds(judged.reports);
    const speedUp = tEngine !== null && tshark !== null ? tshark.seconds / tEngine : null;
    rows.push(
      resultRow(
        data.capture,
        ENGINE_TOOL,
        judged.reports,
        speedUp !== null
          ? `${speedUp.toFixed(1)}x faster than tshark (>= ${CAPTURE_TARGET_SPEEDUP.now}x: ${speedUp >= CAPTURE_TARGET_SPEEDUP.now ? 'met' : 'MISSED'}; later >= ${CAPTURE_TARGET_SPEEDUP.later}x)`
          : '-',
        judged.verdict,
      ),
    );
    rows.push(functionFlagsRow(data.capture, withFunctionFlags, truth));
    rows.push(twoCoresRow(data.capture, twoCores, truth));
    rows.push(
      resultRow(data.capture, 'tshark -q -z sip,stat', tshark === null ? [] : [tshark], 'reference', tsharkVerdict),
    );
  }

  gc();
  // CLI start-up: the installed command on a small file, against Node doing nothing
  {
    const small = await writeStartupFile(data.text.path);
    const cli: ToolRun[] = [];
    const bare: ToolRun[] = [];
    for (let i = 0; i < STARTUP_RUNS; i++) {
      cli.push(await runTool(process.execPath, [CLI_SCRIPT, 'scan', '--json', small.path]));
      bare.push(await runTool(process.execPath, ['-e', '0']));
    }
    const tCli = seconds(cli);
    const tBare = seconds(bare);
    const ok = cli.every((r) => r.exitCode === 0);
    rows.push(
      resultRow(
        small,
        'sip-metrics scan --json (CLI)',
        cli,
        tCli === null
          ? '-'
          : `${tCli.toFixed(3)} s whole (<= ${STARTUP_TARGET_SECONDS}: ${tCli <= STARTUP_TARGET_SECONDS ? 'met' : 'MISSED'})`,
        ok ? `${responsesIn(cli[0]?.stdout ?? '')} responses` : `exit ${cli[0]?.exitCode}`,
      ),
    );
    rows.push(resultRow(small, 'node -e 0', bare, 'reference', tBare === null ? '-' : `${tBare.toFixed(3)} s`));
  }

  /** The files whose rows of this tool peaked above the RSS target, or 'met'. */
  const rssVerdict = (tool: string): string => {
    const over = rows.filter((r) => r.tool === tool && r.maxRssMiB !== null && r.maxRssMiB > RSS_TARGET_MIB);
    return over.length === 0 ? 'met' : `MISSED on ${over.map((r) => r.file).join(', ')}`;
  };
  notes.push(
    `peak RSS target <= ${RSS_TARGET_MIB} MiB (whole engine child process, Node itself included): ` +
      `${rssVerdict(ENGINE_TOOL)}; with the function's V8 flags: ${rssVerdict(FUNCTION_FLAGS_TOOL)}`,
    `load average (1 min) ${loadBefore.toFixed(2)} before the runs, ${(loadavg()[0] ?? 0).toFixed(2)} after, on ${cpus().length} cores.`,
    'MiB = 2^20 bytes; times are medians of the runs, each a whole process as a user sees it (Node or tool start-up ' +
      'included), so the ratios compare whole processes side by side. Speed targets are reported, never enforced.',
  );

  console.log(`\n${plainTable(rows)}\n`);
  for (const n of notes) console.log(n);
  console.log(`\nMarkdown:\n\n${markdownTable(rows)}\n`);
  if (failed) console.log('FAILED: the engine did not count every file exactly (see above).');
  return failed ? 1 : 0;
};

process.exitCode = await main();
