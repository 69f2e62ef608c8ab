#!/usr/bin/env node
/**
 * `npm start`: the whole pipeline on this machine, with no AWS account. s3rver, dynalite and the local CloudWatch
 * on 127.0.0.1; files dropped into a folder or uploaded with any S3 client reach the real handler as SQS events of
 * the deployed shape; a live view shows the counts and the spike alarms as cdk.json configures them.
 * `npm start -- --once FILE...` runs the same pipeline over the given files, prints the summary and exits.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { CONTEXT_PREFIX, readStackConfig, type StackConfig } from '../infra/config.js';
import { listFilesBelow } from '../lambda/cli/list-files.js';
import { SipMetricsError } from '../lambda/errors.js';
import { EXIT } from '../lambda/exit-codes.js';
import { DEFAULT_PORTS, type LocalPorts } from './emulators.js';
import { LocalStackError } from './errors.js';
import { FINAL_STATES } from './file-status.js';
import type { LocalEvent } from './local-events.js';
import { type LocalStack, startLocalStack } from './local-stack.js';
import {
  ANSI_PAINT,
  NO_PAINT,
  type Paint,
  renderEventLine,
  renderFileDetail,
  renderHeader,
  renderScreen,
  renderSummary,
  type StackInfo,
} from './screen.js';
import { DEFAULT_WEB_PORT, startWebDashboard, type WebDashboard } from './web-dashboard.js';

/** Command line options of `npm start -- ...`. */
interface StartOptions {
  readonly once?: string[];
  readonly dataDir?: string;
  readonly dropDir: string;
  readonly s3Port?: number;
  readonly dynamodbPort?: number;
  readonly cloudwatchPort?: number;
  readonly context: string[];
  readonly examples: boolean;
  readonly plain: boolean;
  /** False with --no-web: no local dashboard. */
  readonly web: boolean;
  readonly webPort?: number;
}

// The SDK's notice that future releases need Node 22 would break the live screen at every start; the function
// process gets the same setting through lambdaEnvironment().
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `npm start -- --once ... | head` closes stdout early: stop writing, but finish and clean up as usual
let stdoutClosed = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  stdoutClosed = true;
});

/** Writes one line to stdout unless the reader has gone. */
const out = (s: string): void => {
  if (!stdoutClosed) process.stdout.write(`${s}\n`);
};

const REDRAW_MS = 250;
/** After stopping, a handle still open would keep the process alive: give up waiting after this long. */
const EXIT_WATCHDOG_MS = 5_000;
const DEFAULT_DATA_DIR = '.local';
const DEFAULT_DROP_DIR = 'drop';

/** The repository root (cdk.json, examples/): the nearest folder above this module holding a package.json. */
const packageRoot = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above local/start');
    dir = up;
  }
  return dir;
};

const parsePort = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535)
    throw new InvalidArgumentError('expected a port from 0 (any free one) to 65535');
  return n;
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * The deployed stack's configuration: cdk.json's context, overridden by `-c key=value` as `cdk -c` would, validated
 * by infra/config.ts, so that the local alarms use the thresholds `cdk deploy` would deploy.
 */
const readConfig = async (root: string, overrides: readonly string[]): Promise<StackConfig> => {
  const cdkJson = JSON.parse(await readFile(join(root, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const context: Record<string, unknown> = { ...(cdkJson.context ?? {}) };
  for (const pair of overrides) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`-c expects key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    context[key.includes(':') ? key : `${CONTEXT_PREFIX}${key}`] = pair.slice(eq + 1);
  }
  return readStackConfig(context);
};

const displayPath = (p: string): string => {
  const rel = relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
};

const infoOf = (stack: LocalStack): StackInfo => ({
  s3Url: stack.services.s3.url,
  dynamoDbUrl: stack.services.dynamoDb.url,
  cloudWatchUrl: stack.services.cloudWatch.url,
  bucket: stack.bucket,
  keyPrefix: stack.keyPrefix,
  dataDir: displayPath(stack.dataDir),
  dropDir: stack.dropDir === undefined ? undefined : displayPath(stack.dropDir),
  handlerLogFile: displayPath(stack.handlerLogFile),
  startupMs: Math.round(process.uptime() * 1000),
});

const ports = (o: StartOptions, fallback: LocalPorts): LocalPorts => ({
  s3: o.s3Port ?? fallback.s3,
  dynamoDb: o.dynamodbPort ?? fallback.dynamoDb,
  cloudWatch: o.cloudwatchPort ?? fallback.cloudWatch,
});

const waitForSignal = (): Promise<NodeJS.Signals> =>
  new Promise((resolveSignal) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      // a second Ctrl-C while stopping means "now"
      process.once('SIGINT', () => process.exit(130));
      resolveSignal(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });

/** The live view: a redrawn screen on a terminal, one line per event otherwise. */
const runLive = async (o: StartOptions, config: StackConfig, root: string): Promise<number> => {
  const stack = await startLocalStack({
    dataDir: resolve(o.dataDir ?? DEFAULT_DATA_DIR),
    dropDir: resolve(o.dropDir),
    ports: ports(o, DEFAULT_PORTS),
    config,
    ...(o.examples ? { examplesDir: join(root, 'examples') } : {}),
  });
  let web: WebDashboard | undefined;
  if (o.web) {
    try {
      web = await startWebDashboard({
        stack,
        port: o.webPort ?? DEFAULT_WEB_PORT,
        config,
        banner: `sip-metrics local stack · S3 ${stack.services.s3.url} bucket ${stack.bucket} · drop files into ${displayPath(stack.dropDir ?? '')}/ · updates every second`,
      });
    } catch (e) {
      await stack.stop();
      throw e;
    }
  }
  const info = { ...infoOf(stack), ...(web === undefined ? {} : { webUrl: web.url }) };
  const tty = process.stdout.isTTY === true && !o.plain;
  const paint: Paint = tty ? ANSI_PAINT : NO_PAINT;
  const events: string[] = [];
  let summaryTimer: NodeJS.Timeout | undefined;
  const onEvent = (e: LocalEvent): void => {
    const line = renderEventLine(e, Date.now(), paint);
    if (line === undefined) return;
    if (tty) {
      // the file list shows every file; the events list keeps what must not scroll away
      if (e.kind !== 'file' || e.file.state === 'failed' || e.file.state === 'dead-letter') events.push(line);
      if (events.length > 50) events.shift();
      return;
    }
    out(line);
    const detail = e.kind === 'file' ? renderFileDetail(e.file) : undefined;
    if (detail !== undefined) out(detail);
    scheduleSummary();
  };
  /** Once the pipeline is quiet, one summary of the counts and alarm states (line output). */
  const scheduleSummary = (): void => {
    clearTimeout(summaryTimer);
    summaryTimer = setTimeout(() => {
      if (stack.snapshot().files.every((f) => FINAL_STATES.has(f.state)))
        out(`\n${renderSummary(stack.snapshot(), paint)}\n`);
    }, 500);
  };
  stack.onEvent(onEvent);

  // listen before saying "Ctrl-C stops everything": a signal sent as soon as that line is read must find the
  // listener, or the default action kills the process with the stack still running
  const stopSignal = waitForSignal();
  let redraw: NodeJS.Timeout | undefined;
  const restoreTerminal = (): void => {
    process.stdout.write('\x1b[?25h\x1b[?1049l');
  };
  if (tty) {
    // the alternate screen keeps the user's scrollback intact; restored on every way out
    process.stdout.write('\x1b[?1049h\x1b[?25l');
    process.once('exit', restoreTerminal);
    const draw = (): void => {
      const screen = renderScreen(info, stack.snapshot(), events, paint, process.stdout.rows ?? 40);
      process.stdout.write(`\x1b[H${screen.split('\n').join('\x1b[K\n')}\x1b[K\x1b[J`);
    };
    draw();
    redraw = setInterval(draw, REDRAW_MS);
  } else {
    for (const line of renderHeader(info, paint)) out(line);
    out('Ctrl-C stops everything (the data folder is kept).');
    if (stack.firstStart && o.examples)
      out(`first start: processing the sample logs in ${displayPath(join(root, 'examples'))}/`);
    // a restart continues from the data folder: its counts and alarm states are said even if no file comes
    else if (!stack.firstStart) scheduleSummary();
  }

  const signal = await stopSignal;
  clearInterval(redraw);
  clearTimeout(summaryTimer);
  if (tty) {
    restoreTerminal();
    process.off('exit', restoreTerminal);
  }
  out(`${signal}: stopping the handler process, S3, DynamoDB and CloudWatch...`);
  const last = stack.snapshot();
  await web?.close();
  await stack.stop();
  // line output printed this summary already when the pipeline went quiet; the terminal's screen is gone now
  if (tty) out(`\n${renderSummary(last, NO_PAINT)}\n`);
  out(`stopped; nothing is left running. Data kept in ${info.dataDir}/ (delete it to start afresh).`);
  return 0;
};

/** Files named on the command line (a folder stands for every file below it), and the names that do not exist. */
const expandInputs = async (inputs: readonly string[]): Promise<{ files: string[]; missing: string[] }> => {
  const files: string[] = [];
  const missing: string[] = [];
  for (const input of inputs) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(input);
    } catch {
      missing.push(input);
      continue;
    }
    if (s.isDirectory()) {
      files.push(...(await listFilesBelow(input)));
    } else {
      files.push(input);
    }
  }
  // with nothing to process there is no point in starting the stack; otherwise the others are processed and the
  // missing ones reported at the end, as `sip-metrics scan` does
  if (files.length === 0 && missing.length > 0) {
    throw new LocalStackError('INPUT_NOT_FOUND', `no such file: ${missing.join(', ')}`, { missing });
  }
  return { files, missing };
};

/** `--once FILE...`: the same pipeline on free ports and a temporary data folder, then a summary; 1 if a file failed. */
const runOnce = async (inputs: readonly string[], o: StartOptions, config: StackConfig): Promise<number> => {
  const { files, missing } = await expandInputs(inputs);
  const temporary = o.dataDir === undefined;
  const dataDir = temporary
    ? await mkdtemp(join(tmpdir(), 'sip-metrics-once-'))
    : resolve(o.dataDir ?? DEFAULT_DATA_DIR);
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({ dataDir, ports: ports(o, { s3: 0, dynamoDb: 0, cloudWatch: 0 }), config });
    const running = stack;
    out(
      `${files.length} file(s)${missing.length > 0 ? ` (of ${files.length + missing.length}: ${missing.length} not found, listed at the end)` : ''} through s3rver → S3 notification → SQS event → lambda/handler.ts → local CloudWatch ` +
        `(127.0.0.1; ${temporary ? 'a temporary data folder, removed at exit' : `data in ${displayPath(dataDir)}`})`,
    );
    running.onEvent((e) => {
      if (e.kind === 'alarm') return; // the summary replays every change of state
      const line = renderEventLine(e, Date.now(), NO_PAINT);
      if (line !== undefined) out(line);
      const detail = e.kind === 'file' ? renderFileDetail(e.file) : undefined;
      if (detail !== undefined) out(detail);
    });
    const keys: string[] = [];
    for (const file of files) {
      let key = `${running.keyPrefix}${basename(file)}`;
      // two inputs of the same name must not overwrite each other in the bucket
      for (let n = 2; keys.includes(key); n++) key = `${running.keyPrefix}${n}-${basename(file)}`;
      keys.push(key);
      await running.uploadFile(file, key);
    }
    await running.settled();
    const snap = running.snapshot();
    out(`\n${renderSummary(snap, NO_PAINT)}`);
    // an empty file is skipped, not failed, as the Lambda skips a zero-byte object and `scan` an empty file
    const bad = keys.filter((k) => {
      const state = snap.files.find((f) => f.key === k)?.state;
      return state !== 'done' && state !== 'duplicate' && state !== 'skipped';
    });
    const total = keys.length + missing.length;
    if (bad.length > 0) out(`\n${bad.length} of ${total} file(s) not counted: ${bad.join(', ')}`);
    if (missing.length > 0) {
      out(`${missing.length} of ${total} file(s) not found: ${missing.join(', ')}`);
      process.stderr.write(`npm start: no such file: ${missing.join(', ')} [INPUT_NOT_FOUND]\n`);
    }
    return bad.length > 0 || missing.length > 0 ? EXIT.INPUT_FAILED : EXIT.OK;
  } finally {
    await stack?.stop();
    if (temporary) await rm(dataDir, { recursive: true, force: true });
  }
};

const program = new Command()
  .name('npm start --')
  .description(
    'Run the whole sip-metrics pipeline on this machine (S3, DynamoDB and CloudWatch emulated on 127.0.0.1, the real ' +
      'Lambda handler), with a live view of the counts and of the spike alarms configured in cdk.json.',
  )
  .option('--once <files...>', 'process these files (or folders) through the same pipeline, print the summary, exit')
  .option(
    '--data-dir <dir>',
    `data folder: S3 objects, ledger, metrics, handler log (default ${DEFAULT_DATA_DIR}; --once: a temporary one)`,
  )
  .option('--drop-dir <dir>', 'watched folder: files dropped here are uploaded under the key prefix', DEFAULT_DROP_DIR)
  .option('--s3-port <port>', `S3 port (default ${DEFAULT_PORTS.s3}; --once: a free one)`, parsePort)
  .option('--dynamodb-port <port>', `DynamoDB port (default ${DEFAULT_PORTS.dynamoDb}; --once: a free one)`, parsePort)
  .option(
    '--cloudwatch-port <port>',
    `CloudWatch port (default ${DEFAULT_PORTS.cloudWatch}; --once: a free one)`,
    parsePort,
  )
  .option(
    '-c, --context <key=value>',
    'override a cdk.json setting as `cdk -c` does, e.g. -c serverErrorThresholdPercent=2 (repeatable)',
    collect,
    [],
  )
  .option('--no-examples', 'do not process examples/ on the first start')
  .option('--plain', 'line output even on a terminal', false)
  .option('--web-port <port>', `port of the local dashboard on 127.0.0.1 (default ${DEFAULT_WEB_PORT})`, parsePort)
  .option('--no-web', 'do not serve the local dashboard')
  .showHelpAfterError()
  // a wrong command line is not a failed input: exit 2, as `sip-metrics scan` does (lambda/exit-codes.ts)
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
  });

program.action(async (o: StartOptions) => {
  const root = packageRoot();
  let code: number;
  try {
    const config = await readConfig(root, o.context);
    code = o.once === undefined ? await runLive(o, config, root) : await runOnce(o.once, o, config);
  } catch (e) {
    if (!(e instanceof LocalStackError || e instanceof SipMetricsError || e instanceof InvalidArgumentError)) throw e;
    process.stderr.write(`npm start: ${e.message}${'code' in e ? ` [${String(e.code)}]` : ''}\n`);
    // an invalid -c value (or cdk.json setting) is a wrong command line; anything else stopped the run
    const usage = e instanceof InvalidArgumentError || (e instanceof SipMetricsError && e.code === 'CONFIG');
    code = usage ? EXIT.USAGE : EXIT.INPUT_FAILED;
  }
  process.exitCode = code;
  // everything is stopped: the process ends on its own; if a handle were left open, say so instead of hanging
  setTimeout(() => {
    process.stderr.write('npm start: a handle was left open after stopping; exiting anyway\n');
    process.exit(code);
  }, EXIT_WATCHDOG_MS).unref();
});

await program.parseAsync(process.argv);
