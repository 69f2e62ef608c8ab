// The handler bench's local AWS (s3rver, dynalite, the loopback CloudWatch) in a child process, as the Lambda
// function sees AWS: on the other side of a socket, its CPU not the function's. Run in the bench's own process the
// emulators' work (s3rver reading and sending the object, dynalite's writes) shares the main thread with the handler
// and is counted as the handler's.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ObjectEventInput } from '../test/support/s3-event.js';

export type EmulatorRequest =
  | { readonly id: number; readonly op: 'put'; readonly key: string; readonly path: string; readonly bytes: number }
  | { readonly id: number; readonly op: 'reset' | 'accepted' | 'stop' }
  | { readonly id: number; readonly op: 'sum'; readonly metric: string };

export type EmulatorReply =
  | { readonly id: number; readonly env: Readonly<Record<string, string>> }
  | { readonly id: number; readonly value: number | ObjectEventInput }
  | { readonly id: number; readonly error: string };

type Request = EmulatorRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** The emulators in their child process, driven over IPC. */
export interface EmulatorProcess {
  /** The environment the Lambda function would get, pointing at the emulators. */
  readonly env: Readonly<Record<string, string>>;
  /** Uploads a file; returns what the S3 notification would say about it. */
  put(key: string, path: string, bytes: number): Promise<ObjectEventInput>;
  /** Forgets the recorded metrics. */
  reset(): Promise<void>;
  /** Sum of a metric's recorded values. */
  sum(metric: string): Promise<number>;
  /** PutMetricData calls accepted since the last reset. */
  accepted(): Promise<number>;
  stop(): Promise<void>;
}

export const startEmulatorProcess = async (bucket: string, table: string): Promise<EmulatorProcess> => {
  const child: ChildProcess = fork(fileURLToPath(new URL('./emulators-child.js', import.meta.url)), [bucket, table], {
    // the SDK's Node 20 notice would interleave with the bench's table
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const pending = new Map<number, { resolve: (r: EmulatorReply) => void; reject: (e: Error) => void }>();
  let exited: Error | undefined;
  child.on('message', (reply: EmulatorReply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    p?.resolve(reply);
  });
  child.on('exit', (code, signal) => {
    exited = new Error(`the emulator process exited (${signal ?? code})`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });
  let next = 0;
  const ask = (req: Request): Promise<EmulatorReply> =>
    new Promise((resolve, reject) => {
      if (exited !== undefined) return reject(exited);
      const id = ++next;
      pending.set(id, { resolve, reject });
      child.send({ ...req, id });
    });
  const value = async (req: Request): Promise<number | ObjectEventInput> => {
    const reply = await ask(req);
    if ('error' in reply) throw new Error(`emulators: ${req.op}: ${reply.error}`);
    if (!('value' in reply)) throw new Error(`emulators: ${req.op}: no value`);
    return reply.value;
  };
  const number = async (req: Request): Promise<number> => {
    const v = await value(req);
    if (typeof v !== 'number') throw new Error(`emulators: ${req.op}: not a number`);
    return v;
  };
  const ready = await new Promise<EmulatorReply>((resolve, reject) => {
    pending.set(0, { resolve, reject });
  });
  if (!('env' in ready)) throw new Error('emulators: no environment');
  return {
    env: ready.env,
    async put(key, path, bytes) {
      const v = await value({ op: 'put', key, path, bytes });
      if (typeof v === 'number') throw new Error('emulators: put: no object');
      return v;
    },
    async reset() {
      await number({ op: 'reset' });
    },
    sum: (metric) => number({ op: 'sum', metric }),
    accepted: () => number({ op: 'accepted' }),
    async stop() {
      if (exited === undefined) await number({ op: 'stop' });
    },
  };
};
