import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildMode, ChildReport } from './bench-child.js';

/**
 * Runs the things being timed, each in a process of its own: our Node children (engine, naive
 * counter, bare inflate) report their own clock and peak RSS; external tools (grep, tshark) are
 * timed from outside, with GNU time giving their peak RSS when it is installed.
 */

/** One timed run. */
export interface RunResult {
  readonly seconds: number;
  readonly maxRssMiB: number | null;
}

/** A run of an external command, with what it printed. */
export interface ToolRun extends RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
}

const CHILD_SCRIPT = fileURLToPath(new URL('./bench-child.js', import.meta.url));
const GNU_TIME = '/usr/bin/time';

const collect = (
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string; exitCode: number | null; seconds: number }> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode,
        seconds: (performance.now() - started) / 1000,
      });
    });
  });

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

const parseReport = (text: string): ChildReport | null => {
  const last = text.trim().split('\n').pop() ?? '';
  let x: unknown;
  try {
    x = JSON.parse(last);
  } catch {
    return null;
  }
  if (!isRecord(x) || typeof x.seconds !== 'number' || typeof x.maxRssMiB !== 'number') return null;
  // fields checked above; the rest is our own child's output
  return x as unknown as ChildReport;
};

/**
 * Node flags of the engine's children: those the `sip-metrics` command starts with, so the bench's peak RSS is the
 * CLI's. None: the bin's shebang is a plain `#!/usr/bin/env node`, since BusyBox's env (Alpine) has no `-S` to pass
 * flags; the command keeps its young generation small at run time instead, and so does the child when it is given
 * no flags (lambda/cli/young-generation.ts).
 */
export const ENGINE_NODE_FLAGS: readonly string[] = [];

/** Runs one bench child (engine, naive or inflate) on `file`; `flags`: Node flags (by default the CLI's for the engine). */
export const runChild = async (
  mode: ChildMode,
  file: string,
  flags: readonly string[] = mode.startsWith('engine') ? ENGINE_NODE_FLAGS : [],
): Promise<ChildReport> => {
  const r = await collect(process.execPath, [...flags, CHILD_SCRIPT, mode, file], process.env);
  const report = parseReport(r.stdout);
  if (report !== null) return { ...report, processSeconds: r.seconds };
  const why = r.stderr.trim().split('\n').slice(-3).join(' | ');
  return { seconds: r.seconds, maxRssMiB: 0, error: `child exited ${r.exitCode}: ${why}` };
};

/** Runs an external command; its wall time includes its start-up (as a user would see it). */
export const runTool = async (
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ToolRun> => {
  if (!existsSync(GNU_TIME)) {
    const r = await collect(cmd, args, env);
    return { ...r, maxRssMiB: null };
  }
  // GNU time prints the peak RSS (KiB) as the last line of stderr
  const r = await collect(GNU_TIME, ['-f', '%M', cmd, ...args], env);
  const lines = r.stderr.trimEnd().split('\n');
  const kib = Number(lines.pop());
  return { ...r, stderr: lines.join('\n'), maxRssMiB: Number.isFinite(kib) ? kib / 1024 : null };
};

/** The median of a non-empty list. */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** Whether a command can be started. */
export const hasCommand = (cmd: string, versionArg = '--version'): boolean => {
  const r = spawnSync(cmd, [versionArg], { stdio: 'ignore' });
  return r.error === undefined;
};

/**
 * Makes tshark available if it can be done without asking anyone: as root in a non-interactive
 * session, `apt-get install -y tshark`. Returns why it is missing otherwise, or null when present.
 */
export const ensureTshark = (): string | null => {
  if (hasCommand('tshark')) return null;
  const root = process.getuid?.() === 0;
  const interactive = process.stdin.isTTY === true;
  if (!root || interactive) {
    return `tshark is not installed (${root ? 'interactive session' : 'not root'}; install it with: apt-get install -y tshark)`;
  }
  console.log('tshark is missing: running apt-get install -y tshark');
  const r = spawnSync('apt-get', ['install', '-y', 'tshark'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || !hasCommand('tshark')) return 'tshark is not installed and apt-get install -y tshark failed';
  return null;
};
