/**
 * The Lambda runtime of the local stack: a Node process that imports lambda/handler.ts once (its cold start, with
 * the environment the function would get) and runs each invocation the parent sends over IPC. Its stdout and
 * stderr (the handler's JSON logs) go to the log file the parent opened, as CloudWatch Logs would hold them.
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse } from 'aws-lambda';

/** Parent to worker. */
export interface InvokeRequest {
  readonly kind: 'invoke';
  readonly id: number;
  readonly event: unknown;
  /** The function timeout: the handler sizes its ledger lease from the remaining time. */
  readonly timeoutMs: number;
}

/** Worker to parent. */
export type WorkerMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'init-error'; readonly message: string }
  | { readonly kind: 'result'; readonly id: number; readonly result: SQSBatchResponse | null }
  | { readonly kind: 'error'; readonly id: number; readonly name: string; readonly message: string };

const send = (m: WorkerMessage): Promise<void> =>
  new Promise<void>((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(m, undefined, {}, () => resolve());
  });

const contextFor = (timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'sip-metrics-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sip-metrics-local',
    memoryLimitInMB: '1769',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/sip-metrics-local',
    logStreamName: `local/[$LATEST]${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

const isInvokeRequest = (m: unknown): m is InvokeRequest =>
  typeof m === 'object' &&
  m !== null &&
  (m as { kind?: unknown }).kind === 'invoke' &&
  typeof (m as { id?: unknown }).id === 'number' &&
  typeof (m as { timeoutMs?: unknown }).timeoutMs === 'number';

// the parent gone (a crash, kill -9) closes the IPC channel: never outlive it
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the parent decides when this process ends (it sends SIGTERM)
process.on('SIGINT', () => undefined);

let handler: typeof import('../lambda/handler.js').handler;
try {
  ({ handler } = await import('../lambda/handler.js'));
} catch (e) {
  await send({ kind: 'init-error', message: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}

process.on('message', (m: unknown) => {
  if (!isInvokeRequest(m)) return;
  handler(m.event, contextFor(m.timeoutMs)).then(
    (result) => send({ kind: 'result', id: m.id, result: result ?? null }),
    (e: unknown) =>
      send({
        kind: 'error',
        id: m.id,
        name: e instanceof Error ? e.name : typeof e,
        message: e instanceof Error ? e.message : String(e),
      }),
  );
});
await send({ kind: 'ready' });
