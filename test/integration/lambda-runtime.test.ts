import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaRuntime, startLambdaRuntime } from '../../local/lambda-runtime.js';
import { CORPUS_DIR } from '../support/corpus.js';
import { type Emulators, startEmulators } from '../support/emulators.js';
import { s3Event } from '../support/s3-event.js';
import { sqsEvent, sqsRecord } from '../support/sqs-event.js';

/**
 * The local stack's function processes (local/lambda-runtime.ts): the real handler, one invocation at a time in each,
 * as Lambda runs one invocation at a time in a container.
 */

const dir = mkdtempSync(join(tmpdir(), 'sip-metrics-runtime-'));
let emu: Emulators;
let runtime: LambdaRuntime | undefined;

beforeAll(async () => {
  emu = await startEmulators();
});

afterAll(async () => {
  await runtime?.stop();
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local function runtime', () => {
  it('runs two invocations at once in two processes: one timing out does not end the other', async () => {
    // Prepare: the first PutMetricData call never gets its reply, so its invocation runs past the function timeout
    // (4 s); the second invocation starts 2.5 s later and gets its reply 2.5 s after asking, so it is still running
    // when the first one times out
    emu.cloudWatch.setFaults((i) => (i === 0 ? { kind: 'hang' } : { kind: 'slow', ms: 2_500 }));
    runtime = await startLambdaRuntime({
      env: { ...emu.env, PUBLISH_TIMEOUT_MS: '60000', PUBLISH_MAX_ATTEMPTS: '1' },
      logFile: join(dir, 'handler.log'),
      timeoutMs: 4_000,
      concurrency: 2,
    });
    const body = readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`);
    const [a, b] = await Promise.all([emu.put('rt/a.log', body), emu.put('rt/b.log', body)]);

    // Act
    const c = await emu.put('rt/c.log', body);
    const first = runtime.invoke(sqsEvent(sqsRecord(s3Event(a), 'a')));
    // sent the moment the first times out: it must go to a new process, not to the one being stopped
    const afterTimeout = first.then(
      () => undefined,
      () => runtime?.invoke(sqsEvent(sqsRecord(s3Event(c), 'c'))),
    );
    await new Promise((r) => setTimeout(r, 2_500));
    const second = runtime.invoke(sqsEvent(sqsRecord(s3Event(b), 'b')));
    const outcomes = await Promise.allSettled([first, second]);
    const third = await afterTimeout;
    const pids = runtime.pids();

    // Assess: before, both ran in one process, and the timeout that ended it failed the other invocation too
    const codes = outcomes.map((o) =>
      o.status === 'fulfilled' ? JSON.stringify(o.value) : (o.reason as { code?: string }).code,
    );
    expect(codes).toEqual(['HANDLER_TIMEOUT', '{"batchItemFailures":[]}']);
    expect(third).toEqual({ batchItemFailures: [] });
    // the timed-out process is gone; the other container's and the one started after the timeout run
    expect(pids).toHaveLength(2);
  }, 30_000);
});
