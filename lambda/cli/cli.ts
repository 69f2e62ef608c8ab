#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { PeerMap } from '../engine/peers.js';
import type { ResultDetail, ScanResult } from '../engine/tally.js';
import { isTimeZone } from '../engine/time-zone.js';
import { partialResultOf, SipMetricsError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { emptyOr } from './empty-input.js';
import { type FileInput, resolveInputs } from './file-source.js';
import { readPeerMapFile } from './peer-map-file.js';
import { formatPeerTable } from './report/format-peers.js';
import { formatPerMinute } from './report/format-per-minute.js';
import { formatTable } from './report/format-table.js';
import { createProgress } from './report/progress.js';
import type { ScannedFile } from './report/report-model.js';
import { toJsonReport } from './report/to-json-line.js';
import { detailFor } from './result-detail.js';
import { parseS3Url, s3Input } from './s3-input.js';
import { AUTO_MIN_CORES, scanWithThreads, THREADS, type Threads, TWO_CORE_MIN_BYTES } from './scan-threads.js';
import { keepYoungGenerationSmallFor, scannedLargeInput } from './young-generation.js';

// The README supports Node 20; the SDK's notice that its future releases need Node 22 would print nine lines
// into every `scan s3://...` (the SDK reads this when a client is built, after these imports have run).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `sip-metrics scan ... | head` closes the pipe once the reader has what it wants: stop quietly, as grep and cat
// do, instead of dying with an unhandled EPIPE stack trace
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(EXIT.OK);
});

/**
 * `sip-metrics scan FILE|DIR|- ...`: the same engine as the Lambda function, on local files.
 * Exit codes: lambda/exit-codes.ts (0 all counted or empty, 1 an input failed, 2 a usage error).
 */

interface ScanCliOptions {
  readonly json: boolean;
  readonly perMinute: boolean;
  readonly progress: boolean;
  readonly peers?: PeerMap;
  readonly byPeer: boolean;
  /** IANA zone of the logs' local times. */
  readonly timeZone: string;
  /** --reference-time: completes dates the logs leave out (default: each file's mtime). */
  readonly referenceMs?: number;
  /** --threads: one thread, two (a worker scans, the main thread counts), or two for large local files. */
  readonly threads: Threads;
  /** What the scan keeps beyond its totals: what the options above (and --html) print. */
  readonly detail: ResultDetail;
}

/** Bytes in a MiB, for the help text. */
const MIB = 1024 * 1024;

/** Scans one input and prints its report; returns what the HTML report needs (`error` set when it failed). */
const scanOne = async (input: FileInput, opts: ScanCliOptions): Promise<ScannedFile> => {
  const started = process.hrtime.bigint();
  const progress = opts.progress ? createProgress(input.name, input.size) : undefined;
  let result: ScanResult | undefined;
  let error: SipMetricsError | undefined;
  try {
    const onProgress = progress ? (n: number) => progress.update(n) : undefined;
    // the bytes say what the input is: a .gz name holding plain text is scanned as text
    // a log is written before it is stored: its mtime completes the dates it leaves out (stdin: now)
    const referenceMs = opts.referenceMs ?? input.modifiedMs ?? Date.now();
    const scanOpts = { onProgress, peers: opts.peers, timeZone: opts.timeZone, referenceMs, detail: opts.detail };
    // the flag the Lambda's NODE_OPTIONS gives its Node, as near as a running process can set it (young-generation.ts)
    await keepYoungGenerationSmallFor(input.size);
    result = await scanWithThreads(opts.threads, input, scanOpts);
  } catch (e) {
    if (!(e instanceof SipMetricsError)) throw e;
    error = e;
    result = partialResultOf(e);
  } finally {
    progress?.stop();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result) {
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify(toJsonReport(input.name, result, seconds, { perMinute: opts.perMinute, byPeer: opts.byPeer, error }))}\n`,
      );
    } else if (!error || result.messages > 0) {
      const peers = opts.byPeer ? `\n${formatPeerTable(result)}` : '';
      const perMinute = opts.perMinute ? `\n${formatPerMinute(result, opts.byPeer)}` : '';
      process.stdout.write(`${formatTable(input.name, result, seconds)}${peers}${perMinute}\n\n`);
    }
  } else if (opts.json && error) {
    process.stdout.write(
      `${JSON.stringify({ file: input.name, error: { code: error.code, message: error.message } })}\n`,
    );
  }
  if (error) process.stderr.write(`sip-metrics: ${input.name}: ${error.message} [${error.code}]\n`);
  return {
    name: input.name,
    result,
    seconds,
    ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
  };
};

/**
 * An empty input is skipped, not failed: the Lambda skips a zero-byte object the same way. `what` says why it is
 * empty, for the table ("0 bytes" for an input, "no files" for a folder without any).
 */
const reportEmpty = (name: string, json: boolean, what = '0 bytes'): void => {
  process.stdout.write(
    json
      ? `${JSON.stringify({ file: name, skipped: 'empty' })}\n`
      : `${name}\n  skipped  empty (${what}): nothing to count\n\n`,
  );
};

/** ISO 8601 with a date, a time and a zone designator: a reference instant must not depend on the machine's zone. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** --tz and --reference-time checked, or the usage error to print. */
const readTimeOptions = (
  tz: string,
  referenceTime: string | undefined,
): { timeZone: string; referenceMs?: number } | string => {
  if (!isTimeZone(tz))
    return `--tz ${tz}: not an IANA time zone or UTC offset (e.g. Europe/Berlin, America/New_York, UTC, +05:30)`;
  if (referenceTime === undefined) return { timeZone: tz };
  const ms = ISO_INSTANT.test(referenceTime) ? Date.parse(referenceTime) : Number.NaN;
  if (!Number.isFinite(ms))
    return `--reference-time ${referenceTime}: expected an ISO 8601 instant with a zone, e.g. 2026-11-24T14:00:00Z`;
  return { timeZone: tz, referenceMs: ms };
};

/**
 * The version in the package.json above this module: this file runs from dist/lambda/cli/, from the bin's bundle
 * (dist/lambda/cli/bundle/) and from the sources, each a different number of folders below it.
 */
const packageVersion = (): string => {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sip-metrics' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here, or not ours: look one folder up
    }
    if (new URL('..', dir).href === dir.href) return 'unknown';
  }
};

/** Builds the command line program (exported for tests). */
export const buildProgram = (): Command => {
  const program = new Command()
    .name('sip-metrics')
    .description('Count SIP responses (1xx..6xx, by code and CSeq method) in SIP logs and packet captures.')
    .version(packageVersion(), '-V, --version', 'print the version of sip-metrics')
    .showHelpAfterError()
    // a wrong command line is not a failed input: exit 2 (help and --version still exit 0)
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
    });
  program
    .command('scan')
    .description(
      'scan files, directories (recursively) or standard input (-); formats: pcap, pcapng, ngrep, sipgrep, SIPp, ' +
        'Asterisk pjsip/chan_sip, FreeSWITCH, Kamailio sipdump, acc and xlog, sngrep, tcpdump -A/-X, bare SIP; ' +
        'through syslog (RFC 3164/5424), journalctl or Docker json-file; any of them gzipped',
    )
    .argument('<inputs...>', 'files, directories, s3://bucket/key objects, or - for stdin')
    .option('--json', 'one JSON object per file, one per line (JSON Lines)', false)
    .option(
      '--per-minute',
      'add the per-minute series from the log timestamps (a table, or "series" with --json)',
      false,
    )
    .option('--peers <file>', 'JSON peer map: {"name": ["CIDR", "IP", "IP:port", ...]}; names the senders in byPeer')
    .option('--by <what>', 'also break the table down by: peer (the sender of each response)')
    .option(
      '--tz <zone>',
      "IANA time zone of the logs' local times, e.g. Europe/Berlin, or a fixed UTC offset, e.g. +05:30",
      'UTC',
    )
    .option(
      '--reference-time <iso8601>',
      "when the logs were complete: completes times printed without a date or year (default: each file's mtime)",
    )
    .option(
      '--threads <n>',
      `threads per input: 2 (one scans, one counts), 1, or auto (2 for local files of ${TWO_CORE_MIN_BYTES / MIB} MiB or more on ${AUTO_MIN_CORES}+ cores)`,
      'auto',
    )
    .option('--no-progress', 'never show a progress bar (it shows only when stderr is a terminal)')
    .option('--html <file>', 'also write one self-contained HTML report (charts, alarms, peers, KPIs) of every input')
    .action(
      async (
        inputs: string[],
        o: {
          json: boolean;
          perMinute: boolean;
          progress: boolean;
          peers?: string;
          by?: string;
          tz: string;
          referenceTime?: string;
          threads: string;
          html?: string;
        },
      ) => {
        if (o.by !== undefined && o.by !== 'peer') {
          process.stderr.write(`sip-metrics: --by ${o.by}: the only breakdown is "peer"\n`);
          process.exitCode = EXIT.USAGE;
          return;
        }
        const threads = THREADS.find((t) => t === o.threads);
        if (threads === undefined) {
          process.stderr.write(`sip-metrics: --threads ${o.threads}: expected 1, 2 or auto\n`);
          process.exitCode = EXIT.USAGE;
          return;
        }
        const time = readTimeOptions(o.tz, o.referenceTime);
        if (typeof time === 'string') {
          process.stderr.write(`sip-metrics: ${time}\n`);
          process.exitCode = EXIT.USAGE;
          return;
        }
        let peers: PeerMap | undefined;
        try {
          peers = o.peers === undefined ? undefined : readPeerMapFile(o.peers);
        } catch (e) {
          if (!(e instanceof SipMetricsError)) throw e;
          process.stderr.write(`sip-metrics: ${e.message} [${e.code}]\n`);
          process.exitCode = EXIT.USAGE;
          return;
        }
        // loaded for --html only, as the report itself is
        const reportProblem =
          o.html === undefined ? undefined : await (await import('./report/report-path.js')).reportPathProblem(o.html);
        if (reportProblem !== undefined) {
          process.stderr.write(
            `sip-metrics: ${o.html}: cannot write the HTML report (${reportProblem}) [UNWRITABLE_REPORT]\n`,
          );
          process.exitCode = EXIT.INPUT_FAILED;
          return;
        }
        let ok = true;
        const scanned: ScannedFile[] = [];
        const showProgress = o.progress && process.stderr.isTTY === true;
        for (const arg of inputs) {
          let files: FileInput[];
          try {
            files = parseS3Url(arg) ? [await s3Input(arg)] : await resolveInputs([arg]);
          } catch (e) {
            if (!(e instanceof SipMetricsError)) throw e;
            process.stderr.write(`sip-metrics: ${e.message} [${e.code}]\n`);
            if (o.json)
              process.stdout.write(`${JSON.stringify({ file: arg, error: { code: e.code, message: e.message } })}\n`);
            ok = false;
            scanned.push({ name: arg, result: undefined, seconds: 0, error: { code: e.code, message: e.message } });
            continue;
          }
          if (files.length === 0) {
            // a folder without files: said, as an empty file is, rather than nothing printed at all
            reportEmpty(arg, o.json, 'no files');
            scanned.push({ name: arg, result: undefined, seconds: 0, skipped: true });
            continue;
          }
          for (const input of files) {
            const f = await emptyOr(input);
            if (f === 'empty') {
              reportEmpty(input.name, o.json);
              scanned.push({ name: input.name, result: undefined, seconds: 0, skipped: true });
              continue;
            }
            const one = await scanOne(f, {
              json: o.json,
              perMinute: o.perMinute,
              progress: showProgress,
              peers,
              byPeer: o.by === 'peer',
              threads,
              detail: detailFor({ perMinute: o.perMinute, byPeer: o.by === 'peer', html: o.html !== undefined }),
              ...time,
            });
            // without --html nothing is kept: a folder of many files scans in the memory of one
            if (o.html !== undefined) scanned.push(one);
            ok = one.error === undefined && ok;
          }
        }
        if (o.html !== undefined) {
          try {
            // loaded for --html only (its alarm rules bring zod and the stack's settings): every other scan starts faster
            const { writeHtmlReport } = await import('./report/write-html-report.js');
            await writeHtmlReport(o.html, scanned);
          } catch (e) {
            if (!(e instanceof SipMetricsError)) throw e;
            process.stderr.write(`sip-metrics: ${e.message} [${e.code}]\n`);
            ok = false;
          }
        }
        process.exitCode = ok ? EXIT.OK : EXIT.INPUT_FAILED;
      },
    );
  return program;
};

/**
 * Ends the process once what it wrote is out. Node 20 can deadlock when a process ends: its shutdown waits for (or
 * joins) V8's background compile threads while one of them waits for a garbage collection only the main thread can
 * run (nodejs/node#54918, #64274). Seen here on about 2 % of scans of a 2 MB log (the JSON complete, the process
 * asleep for ever), with a natural exit and with process.exit alike (3 of 600). After an input of 1 MiB or more (the
 * optimising compiler busy to the end), a collection run on the main thread first releases a job that waits for one
 * and leaves room for one that would ask: 0 of 1,200. A small input's scan skips it (~8 ms of its ~35).
 */
const exitWhenWritten = (): void => {
  process.stdout.write('', () =>
    process.stderr.write('', async () => {
      if (scannedLargeInput()) {
        // loaded here: node:v8 is loaded already after a large input, node:vm by the bin
        const [{ setFlagsFromString }, { runInNewContext }] = await Promise.all([import('node:v8'), import('node:vm')]);
        setFlagsFromString('--expose-gc');
        (runInNewContext('gc') as () => void)();
        // back off before the exit handlers run: the build's training run writes the code cache there, and V8
        // keeps the flags in it (a cache written with --expose-gc is rejected by every run without it)
        setFlagsFromString('--no-expose-gc');
      }
      process.exit();
    }),
  );
};

// no top-level await: the bin runs this file's bundle as a CommonJS script (compile-cache.ts). A failure that is not
// an input's (those set the exit code above) is an unhandled rejection, which ends the process at once with its
// stack and exit code 1, as the rejected top-level await did.
void buildProgram().parseAsync(process.argv).then(exitWhenWritten);
