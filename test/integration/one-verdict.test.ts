import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ledgerKey } from '../../lambda/contract/ledger.js';
import { EXIT } from '../../lambda/exit-codes.js';
import { CORPUS_DIR } from '../support/corpus.js';
import { coldStartHandler, type Emulators, startEmulators } from '../support/emulators.js';
import { lambdaContext } from '../support/lambda-context.js';
import { s3Event } from '../support/s3-event.js';
import { sqsEvent, sqsRecord } from '../support/sqs-event.js';

/**
 * The same input gets the same verdict on every path: `sip-metrics scan`, `npm start -- --once` and the Lambda
 * handler. Exit codes come from lambda/exit-codes.ts; the handler's verdict is the ledger status and the metrics.
 */

type Run = { code: number; stdout: string; stderr: string };

/** A command from source (tsx) in a child process, without blocking this one (s3rver answers from here). */
const run = (script: string, args: readonly string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
const scanCli = (...args: string[]): Promise<Run> => run('lambda/cli/cli.ts', ['scan', ...args]);
const once = (...args: string[]): Promise<Run> => run('local/start.ts', ['--once', ...args]);

/** 10 kB without any SIP (bytes of an arithmetic sequence, so the test is the same in every run). */
const NOISE = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 131) % 256));
const SIPP = 'sipp-uac-cancel-tcp.messages.log';

const root = mkdtempSync(join(tmpdir(), 'sip-metrics-verdict-'));
const files = {
  counted: join(root, SIPP),
  empty: join(root, 'empty.log'),
  noise: join(root, 'noise.bin'),
  missing: join(root, 'no-such.log'),
  truncated: join(root, 'truncated-body.log'),
};
/** A 200 OK whose Content-Length announces 50 body bytes, of which the file holds 3: one truncated-body anomaly. */
const TRUNCATED = 'SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nCall-ID: a\r\nContent-Length: 50\r\n\r\nabc';

let emu: Emulators;
let handler: Awaited<ReturnType<typeof coldStartHandler>>['handler'];

beforeAll(async () => {
  writeFileSync(files.counted, readFileSync(`${CORPUS_DIR}${SIPP}`));
  writeFileSync(files.empty, '');
  writeFileSync(files.noise, NOISE);
  writeFileSync(files.truncated, TRUNCATED);
  emu = await startEmulators();
  ({ handler } = await coldStartHandler(emu.env, vi.resetModules));
});

afterAll(async () => {
  await emu.stop();
  rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  emu.cloudWatch.reset();
});

/** The handler's verdict on one object: ledger status (none for a skipped object) and the file metrics. */
const lambdaVerdict = async (key: string, body: Uint8Array | string): Promise<[string, number, number]> => {
  const obj = await emu.put(key, body);
  const out = await handler(sqsEvent(sqsRecord(s3Event(obj))), lambdaContext());
  expect(out).toEqual({ batchItemFailures: [] });
  const item = await emu.ledgerItem(ledgerKey(obj));
  const status = (item?.status as { S?: string } | undefined)?.S ?? 'no ledger item (skipped)';
  return [status, emu.cloudWatch.sum('FilesProcessed'), emu.cloudWatch.sum('FilesFailed')];
};

describe('one verdict for the same input on scan, --once and the Lambda', () => {
  it('a SIP log: counted, exit 0 everywhere', async () => {
    // Act
    const [s, o] = await Promise.all([scanCli(files.counted), once(files.counted)]);
    const l = await lambdaVerdict('verdict/sipp.log', readFileSync(files.counted));

    // Assess
    expect([s.code, o.code]).toEqual([EXIT.OK, EXIT.OK]);
    expect(s.stdout).toContain('responses 160');
    expect(o.stdout).toMatch(/ done +logs\/sipp-uac-cancel-tcp\.messages\.log +135 kB +160 responses/);
    expect(l).toEqual(['done', 1, 0]);
  });

  it('an empty file: skipped, nothing to count, exit 0 everywhere (not a failure)', async () => {
    // Act
    const [s, o] = await Promise.all([scanCli(files.empty), once(files.empty)]);
    const l = await lambdaVerdict('verdict/empty.log', '');

    // Assess
    expect([s.code, s.stdout, s.stderr]).toEqual([
      EXIT.OK,
      `${files.empty}\n  skipped  empty (0 bytes): nothing to count\n\n`,
      '',
    ]);
    expect([o.code, o.stderr]).toEqual([EXIT.OK, '']);
    expect(o.stdout).toMatch(/ skipped +logs\/empty\.log +0 B +empty object or folder key/);
    expect(l).toEqual(['no ledger item (skipped)', 0, 0]);
  });

  it('a folder without files is skipped like an empty file, not passed over in silence', async () => {
    // Prepare
    const folder = mkdtempSync(join(root, 'no-files-'));

    // Act
    const [table, json] = await Promise.all([scanCli(folder), scanCli('--json', folder)]);

    // Assess: before, nothing was printed at all, exit 0
    expect([table.code, table.stdout, table.stderr]).toEqual([
      EXIT.OK,
      `${folder}\n  skipped  empty (no files): nothing to count\n\n`,
      '',
    ]);
    expect([json.code, json.stdout]).toEqual([EXIT.OK, `${JSON.stringify({ file: folder, skipped: 'empty' })}\n`]);
  });

  it('an empty standard input is skipped like an empty file', async () => {
    // Act
    const r = await new Promise<Run>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'lambda/cli/cli.ts', 'scan', '--json', '-'],
        { encoding: 'utf8' },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });

    // Assess
    expect([r.code, r.stdout, r.stderr]).toEqual([EXIT.OK, '{"file":"-","skipped":"empty"}\n', '']);
  });

  it('a named pipe is read to its end, not skipped as empty (its stat size is 0)', async () => {
    // Prepare: what `sip-metrics scan <(zcat log.gz)` and `... | sip-metrics scan /dev/stdin` hand the command; before,
    // it trusted the size stat gives a pipe and printed "skipped empty", exit 0, the 160 responses lost
    const fifo = join(root, 'pipe.log');
    execFileSync('mkfifo', [fifo]);
    // `exec`: the writer is the process that opens the pipe, so it can be stopped should nothing read it
    const writer = spawn('sh', ['-c', 'exec cat "$1" > "$2"', 'sh', files.counted, fifo], { stdio: 'ignore' });
    const written = new Promise((resolve) => writer.on('close', (code) => resolve(code)));

    // Act
    const s = await scanCli('--json', fifo);
    const unread = writer.exitCode === null && writer.kill();

    // Assess
    expect([s.code, s.stderr, unread, await written]).toEqual([EXIT.OK, '', false, 0]);
    const got = JSON.parse(s.stdout) as { file: string; responses: number; skipped?: string };
    expect([got.file, got.responses, got.skipped]).toEqual([fifo, 160, undefined]);
  });

  it('bytes without SIP: UNKNOWN_FORMAT, exit 1, FilesFailed in the Lambda', async () => {
    // Act
    const [s, o] = await Promise.all([scanCli(files.noise), once(files.noise)]);
    const l = await lambdaVerdict('verdict/noise.bin', NOISE);

    // Assess
    expect([s.code, o.code]).toEqual([EXIT.INPUT_FAILED, EXIT.INPUT_FAILED]);
    expect(s.stderr).toMatch(/\[UNKNOWN_FORMAT\]\n$/);
    expect(o.stdout).toMatch(/ failed +logs\/noise\.bin .*UNKNOWN_FORMAT/);
    expect(o.stdout).toContain('1 of 1 file(s) not counted: logs/noise.bin');
    expect(l).toEqual(['failed', 0, 1]);
  });

  it('a missing file among others: the others are processed, the missing one reported, exit 1', async () => {
    // Act
    const [s, o] = await Promise.all([
      scanCli('--json', files.missing, files.counted),
      once(files.missing, files.counted),
    ]);

    // Assess
    expect(s.code).toBe(EXIT.INPUT_FAILED);
    expect(
      s.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).responses ?? 'error'),
    ).toEqual(['error', 160]);
    expect(s.stderr).toBe(`sip-metrics: ${files.missing}: cannot read: no such file [UNREADABLE_FILE]\n`);
    expect(o.code).toBe(EXIT.INPUT_FAILED);
    expect(o.stdout).toMatch(/ done +logs\/sipp-uac-cancel-tcp\.messages\.log +135 kB +160 responses/);
    expect(o.stdout).toContain('1 file(s) (of 2: 1 not found, listed at the end) through s3rver');
    expect(o.stdout).toContain(`1 of 2 file(s) not found: ${files.missing}`);
    expect(o.stderr).toBe(`npm start: no such file: ${files.missing} [INPUT_NOT_FOUND]\n`);
  });

  it('anomalies are on the table of scan and on the file line of --once (the line the live view shows too)', async () => {
    // Act
    const [s, o] = await Promise.all([scanCli(files.truncated), once(files.truncated)]);

    // Assess
    expect([s.code, o.code]).toEqual([EXIT.OK, EXIT.OK]);
    expect(s.stdout).toContain('\n  anomalies  truncated-body 1\n');
    expect(o.stdout).toMatch(
      // a bare message prints no time: it is untimed, and the line says so before the anomalies
      / done +logs\/truncated-body\.log +69 B +1 responses {2}[\d.]+ s {2}1 untimed \(at the upload minute\) {2}anomalies: truncated-body 1\n/,
    );
  });

  it('a wrong command line: exit 2 on both commands, not the exit code of a failed input', async () => {
    // Act
    const [s, o] = await Promise.all([scanCli('--no-such-option', files.counted), run('local/start.ts', ['--bogus'])]);

    // Assess
    expect([s.code, o.code]).toEqual([EXIT.USAGE, EXIT.USAGE]);
    expect(s.stderr).toMatch(/^error: unknown option '--no-such-option'\n/);
    expect(o.stderr).toMatch(/^error: unknown option '--bogus'\n/);
  });
});
