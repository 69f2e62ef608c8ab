#!/usr/bin/env node
import { Command } from 'commander';
import { type FileInput, resolveInputs } from './adapters/file-source.js';
import { scanFileInParallel } from './adapters/parallel-file-scan.js';
import { parseS3Url, s3Input } from './adapters/s3-input.js';
import { scan } from './engine/index.js';
import type { ScanResult } from './engine/tally.js';
import { SipMetricsError } from './errors.js';
import { formatTable } from './report/format-table.js';
import { createProgress } from './report/progress.js';
import { toJsonReport } from './report/to-json-line.js';

/**
 * `sip-metrics scan FILE|DIR|- ...`: the same engine as the Lambda function, on local files.
 * Exit code 0 when every input was read; 1 when any input failed (after printing what was read).
 */

interface ScanCliOptions {
  readonly json: boolean;
  readonly perMinute: boolean;
  readonly progress: boolean;
  readonly twoCores: boolean;
}

const partialOf = (e: unknown): ScanResult | undefined => {
  if (!(e instanceof SipMetricsError)) return undefined;
  const p = e.context.partial;
  return typeof p === 'object' && p !== null ? (p as ScanResult) : undefined;
};

const scanOne = async (input: FileInput, opts: ScanCliOptions): Promise<boolean> => {
  const started = process.hrtime.bigint();
  const progress = opts.progress ? createProgress(input.name, input.size) : undefined;
  let result: ScanResult | undefined;
  let error: SipMetricsError | undefined;
  try {
    const onProgress = progress ? (n: number) => progress.update(n) : undefined;
    // with --two-cores a large plain text file is split over two cores; anything else is read
    // sequentially. The bytes say whether it is plain text (a .gz name holding text is text).
    const parallel =
      opts.twoCores && input.path !== undefined && input.size !== undefined
        ? await scanFileInParallel(input.path, input.size, onProgress)
        : null;
    result = parallel ?? (await scan(input.chunks(), { onProgress }));
  } catch (e) {
    if (!(e instanceof SipMetricsError)) throw e;
    error = e;
    result = partialOf(e);
  } finally {
    progress?.stop();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result) {
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify(toJsonReport(input.name, result, seconds, { perMinute: opts.perMinute, error }))}\n`,
      );
    } else if (!error || result.messages > 0) {
      process.stdout.write(`${formatTable(input.name, result, seconds)}\n\n`);
    }
  } else if (opts.json && error) {
    process.stdout.write(
      `${JSON.stringify({ file: input.name, error: { code: error.code, message: error.message } })}\n`,
    );
  }
  if (error) {
    process.stderr.write(`sip-metrics: ${input.name}: ${error.message} [${error.code}]\n`);
    return false;
  }
  return true;
};

/** Builds the command line program (exported for tests). */
export const buildProgram = (): Command => {
  const program = new Command()
    .name('sip-metrics')
    .description('Count SIP responses (1xx..6xx, by code and CSeq method) in SIP logs and packet captures.')
    .showHelpAfterError();
  program
    .command('scan')
    .description(
      'scan files, directories (recursively) or standard input (-); formats: pcap, pcapng, ngrep, SIPp, ' +
        'Asterisk pjsip/chan_sip, FreeSWITCH, Kamailio sipdump and acc, tcpdump -A, bare SIP; any of them gzipped',
    )
    .argument('<inputs...>', 'files, directories, s3://bucket/key objects, or - for stdin')
    .option('--json', 'one JSON object per file, one per line (JSON Lines)', false)
    .option('--per-minute', 'with --json: add a per-minute series from the log timestamps', false)
    .option('--no-progress', 'never show a progress bar (it shows only when stderr is a terminal)')
    .option('--two-cores', 'scan plain text logs of 64 MB or more with a worker thread taking the second half', false)
    .action(
      async (inputs: string[], o: { json: boolean; perMinute: boolean; progress: boolean; twoCores: boolean }) => {
        let ok = true;
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
            continue;
          }
          for (const f of files) {
            ok =
              (await scanOne(f, {
                json: o.json,
                perMinute: o.perMinute,
                progress: showProgress,
                twoCores: o.twoCores,
              })) && ok;
          }
        }
        if (!ok) process.exitCode = 1;
      },
    );
  return program;
};

await buildProgram().parseAsync(process.argv);
