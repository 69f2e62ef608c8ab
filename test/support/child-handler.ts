import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./handler-process.ts', import.meta.url));

/** A handler running in a child process (see handler-process.ts). */
export interface ChildHandler {
  readonly process: ChildProcess;
  /** Resolves with everything the child wrote to stdout, once it exits (killed or not). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
}

/** Starts the real handler in a fresh Node process (a cold start) with `env` and delivers `event` to it. */
export const spawnHandler = (event: unknown, env: Readonly<Record<string, string>>): ChildHandler => {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout })),
  );
  child.stdin?.end(JSON.stringify(event));
  return { process: child, exited };
};
