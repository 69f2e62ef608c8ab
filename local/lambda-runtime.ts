import { type ChildProcess, fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQSBatchResponse } from 'aws-lambda';
import { LocalStackError } from './errors.js';
import type { InvokeRequest, WorkerMessage } from './handler-worker.js';

/** The real handler in its own process, as Lambda runs it in its own container. */
export interface LambdaRuntime {
  /** Runs one invocation; rejects when the handler throws, crashes or runs past the function timeout. */
  invoke(event: unknown): Promise<SQSBatchResponse | undefined>;
  /** Ends the process (and with it any invocation under way); nothing is left running. */
  stop(): Promise<void>;
  /** The first function process's id while it runs. */
  pid(): number | undefined;
  /** The ids of every function process running (one per container). */
  pids(): number[];
}

/** How the runtime is started. */
export interface LambdaRuntimeOptions {
  /** The function's environment (endpoints, LEDGER_TABLE, ...); AWS_* variables of this shell are not passed on. */
  readonly env: Readonly<Record<string, string>>;
  /** The handler's stdout and stderr (its JSON logs) are appended here. */
  readonly logFile: string;
  /** The function timeout (cdk.json `functionTimeoutSeconds`). */
  readonly timeoutMs: number;
  /** Invocations at once, each in a process of its own. @default 1 */
  readonly concurrency?: number;
}

/** Time the worker gets to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 3_000;

// Run from source (tests, tsx) the worker is a .ts file that needs tsx's loader; built, it is plain JavaScript.
const SELF_EXTENSION = extname(fileURLToPath(import.meta.url));
const WORKER = fileURLToPath(new URL(`./handler-worker${SELF_EXTENSION}`, import.meta.url));
const WORKER_EXEC_ARGV = SELF_EXTENSION === '.ts' ? ['--import', 'tsx'] : [];

/**
 * The environment of the function process: this shell's variables without AWS_* ones (a profile or real keys
 * must never reach the local handler), then the function's own.
 */
const functionEnvironment = (env: Readonly<Record<string, string>>): NodeJS.ProcessEnv => {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return { ...inherited, ...env };
};

interface Pending {
  readonly resolve: (r: SQSBatchResponse | undefined) => void;
  readonly reject: (e: unknown) => void;
  readonly timer: NodeJS.Timeout;
  /** The process it was sent to: only that process's end fails it. */
  readonly child: ChildProcess;
}

interface Worker {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/**
 * Starts the function processes and waits for the first one's cold start (a bad configuration rejects here). Each
 * process runs one invocation at a time, as a Lambda container does: a second invocation while the first runs gets
 * a container of its own (started then, up to `concurrency`), so one invocation's logger context, memory and timeout
 * never touch another's.
 */
export const startLambdaRuntime = async (o: LambdaRuntimeOptions): Promise<LambdaRuntime> => {
  /** A container: its runtime once its cold start is done (`ready`), and whether an invocation holds it. */
  interface Container {
    readonly ready: Promise<LambdaRuntime>;
    runtime?: LambdaRuntime;
    busy: boolean;
  }
  const open = (busy: boolean): Container => {
    const c: Container = { ready: startContainer(o), busy };
    void c.ready.then(
      (r) => {
        c.runtime = r;
      },
      () => containers.splice(containers.indexOf(c), 1),
    );
    return c;
  };
  const containers: Container[] = [open(false)];
  await containers[0]?.ready;
  const waiting: (() => void)[] = [];
  let stopping = false;

  /** An idle container, a new one while under the limit, or the first to finish. */
  const take = async (): Promise<Container> => {
    for (;;) {
      const idle = containers.find((c) => !c.busy && c.runtime !== undefined);
      if (idle !== undefined) {
        idle.busy = true;
        return idle;
      }
      if (containers.length < (o.concurrency ?? 1)) {
        const c = open(true);
        containers.push(c);
        try {
          await c.ready;
        } catch (e) {
          // its cold start failed: the room it took is free again for whoever waits
          waiting.shift()?.();
          throw e;
        }
        return c;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };

  return {
    invoke: async (event) => {
      if (stopping) throw new LocalStackError('STACK_STOPPED', 'the local stack is stopping');
      const c = await take();
      try {
        return await (await c.ready).invoke(event);
      } finally {
        c.busy = false;
        waiting.shift()?.();
      }
    },
    pid: () => containers[0]?.runtime?.pid(),
    pids: () => containers.flatMap((c) => c.runtime?.pids() ?? []),
    stop: async () => {
      stopping = true;
      // a container still in its cold start is stopped once it is up: nothing is left running
      await Promise.all(
        containers.map((c) =>
          c.ready.then(
            (r) => r.stop(),
            () => undefined,
          ),
        ),
      );
    },
  };
};

/** One container: the function process, started again after a crash or a timeout (Lambda starts a new one then). */
const startContainer = async (o: LambdaRuntimeOptions): Promise<LambdaRuntime> => {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let stopping = false;
  let worker: Worker | undefined;
  let starting: Promise<Worker> | undefined;

  /** Fails the invocations sent to `child` (every one when undefined). */
  const failAll = (error: LocalStackError, child?: ChildProcess): void => {
    for (const [id, p] of pending) {
      if (child !== undefined && p.child !== child) continue;
      clearTimeout(p.timer);
      pending.delete(id);
      p.reject(error);
    }
  };

  const spawnWorker = (): Promise<Worker> =>
    new Promise<Worker>((resolve, reject) => {
      const log = openSync(o.logFile, 'a');
      const child = fork(WORKER, [], {
        env: functionEnvironment(o.env),
        execArgv: WORKER_EXEC_ARGV,
        stdio: ['ignore', log, log, 'ipc'],
      });
      // the child holds its own copy of the descriptor
      closeSync(log);
      let ready = false;
      const exited = new Promise<void>((done) => {
        child.once('exit', (code, signal) => {
          if (worker?.child === child) worker = undefined;
          const how = signal === null ? `exit code ${code}` : signal;
          if (!ready) {
            reject(
              new LocalStackError(
                'HANDLER_CRASHED',
                `the handler process ended during its cold start (${how}); see ${o.logFile}`,
              ),
            );
          } else if (!stopping) {
            failAll(
              new LocalStackError('HANDLER_CRASHED', `the handler process ended (${how}); see ${o.logFile}`),
              child,
            );
          }
          done();
        });
      });
      child.on('message', (raw: unknown) => {
        const m = raw as WorkerMessage;
        if (m.kind === 'ready') {
          ready = true;
          const w = { child, exited };
          worker = w;
          resolve(w);
        } else if (m.kind === 'init-error') {
          reject(new LocalStackError('HANDLER_CRASHED', `the handler failed its cold start: ${m.message}`));
        } else {
          const p = pending.get(m.id);
          if (p === undefined) return;
          pending.delete(m.id);
          clearTimeout(p.timer);
          if (m.kind === 'result') p.resolve(m.result ?? undefined);
          else p.reject(Object.assign(new Error(m.message), { name: m.name }));
        }
      });
    });

  /** The running worker, or a new one after a crash or a timeout (Lambda starts a new container then). */
  const ensureWorker = async (): Promise<Worker> => {
    if (worker !== undefined) return worker;
    starting ??= spawnWorker().finally(() => {
      starting = undefined;
    });
    return starting;
  };

  const stopWorker = async (w: Worker): Promise<void> => {
    w.child.kill('SIGTERM');
    const grace = setTimeout(() => w.child.kill('SIGKILL'), STOP_GRACE_MS);
    await w.exited;
    clearTimeout(grace);
  };

  await ensureWorker();

  return {
    invoke: async (event) => {
      if (stopping) throw new LocalStackError('STACK_STOPPED', 'the local stack is stopping');
      const w = await ensureWorker();
      const id = nextId++;
      return new Promise<SQSBatchResponse | undefined>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(
            new LocalStackError(
              'HANDLER_TIMEOUT',
              `the invocation ran past the function timeout of ${o.timeoutMs / 1000} s`,
            ),
          );
          // Lambda ends a timed-out container, and the next invocation there cold-starts
          // the next invocation cold-starts a new process rather than being sent to the one being stopped
          if (worker === w) worker = undefined;
          void stopWorker(w);
        }, o.timeoutMs);
        pending.set(id, { resolve, reject, timer, child: w.child });
        const request: InvokeRequest = { kind: 'invoke', id, event, timeoutMs: o.timeoutMs };
        w.child.send(request);
      });
    },
    pid: () => worker?.child.pid,
    pids: () => (worker?.child.pid === undefined ? [] : [worker.child.pid]),
    stop: async () => {
      stopping = true;
      failAll(new LocalStackError('STACK_STOPPED', 'the local stack stopped during this invocation'));
      const w = worker ?? (starting === undefined ? undefined : await starting.catch(() => undefined));
      if (w !== undefined) await stopWorker(w);
    },
  };
};
