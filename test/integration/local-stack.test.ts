import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectRefsOf } from '../../lambda/adapters/s3-events.js';
import { createLocalS3Client } from '../../local/emulators.js';
import { LocalStackError } from '../../local/errors.js';
import type { LocalEvent } from '../../local/local-events.js';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import type { ClassTotals, RecordedDatum } from '../../local/loopback-cloudwatch.js';
import { type CreatedObject, createdObjectsOf, toS3Record } from '../../local/s3-notifications.js';
import { formatBytes } from '../../local/screen.js';
import { CORPUS_DIR, expectedFor } from '../support/corpus.js';
import { MIXED_PCAP_KPI_REPORT } from '../support/kpi-expectations.js';
import { cdkConfig, finished, waitFor } from '../support/local-stack-waits.js';
import { pjsipRecord, sippRecord } from '../support/log-formats.js';
import { response } from '../support/sip-samples.js';

const MS_PER_MINUTE = 60_000;
const FREE_PORTS = { s3: 0, dynamoDb: 0, cloudWatch: 0 } as const;
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'] as const;

const zeroTotals = (): ClassTotals => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 });

const addTotals = (into: ClassTotals, add: Readonly<Record<string, number>>): ClassTotals => {
  for (const c of CLASSES) into[c] += add[c] ?? 0;
  return into;
};

/** Whether a TCP port on 127.0.0.1 can be bound again (nothing of ours holds it). */
const canBind = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** One SIP response as SIPp's -trace_msg logs it, at `timeMs` (SIPp writes local time; the engine reads it as UTC). */
const sippResponse = (code: number, reason: string, n: number, timeMs: number): string => {
  const time = new Date(timeMs).toISOString().replace('T', ' ').replace('Z', '000');
  const msg = [
    `SIP/2.0 ${code} ${reason}`,
    `Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-${n}`,
    `From: <sip:alice@127.0.0.1>;tag=a${n}`,
    `To: <sip:bob@127.0.0.1>;tag=b${n}`,
    `Call-ID: spike-${n}@127.0.0.1`,
    'CSeq: 1 INVITE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return sippRecord('received', 'UDP', msg, time);
};

/**
 * A SIPp trace of `minutes` minutes from `startMs`, 120 responses a minute: 114 × 200 and 6 × 486, except in the
 * `spikeMinutes`, where 30 of the 200s are 503s (25 % 5xx, far above the 5 % threshold, with ≥ 100 responses).
 */
const sippTrace = (
  startMs: number,
  minutes: number,
  spikeMinutes: readonly number[],
): { text: string; byClass: ClassTotals } => {
  const parts: string[] = [];
  const byClass = zeroTotals();
  let n = 0;
  for (let m = 0; m < minutes; m++) {
    const spike = spikeMinutes.includes(m);
    for (let i = 0; i < 120; i++) {
      const [code, reason] = i < 6 ? [486, 'Busy Here'] : spike && i < 36 ? [503, 'Service Unavailable'] : [200, 'OK'];
      parts.push(sippResponse(code, reason, n++, startMs + m * MS_PER_MINUTE + i * 400));
      byClass[code === 486 ? '4xx' : code === 503 ? '5xx' : '2xx']++;
    }
  }
  return { text: parts.join(''), byClass };
};

/** Sum per Class of the `Responses` datums in the local CloudWatch's JSON Lines file, read back from disk. */
const persistedByClass = (file: string): ClassTotals => {
  const totals = zeroTotals();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const d = JSON.parse(line) as RecordedDatum;
    const cls = d.dimensions.Class;
    if (d.metricName !== 'Responses' || Object.keys(d.dimensions).length !== 1 || cls === undefined) continue;
    totals[cls as keyof ClassTotals] += d.values.reduce((s, v, i) => s + v * (d.counts[i] ?? 1), 0);
  }
  return totals;
};

/** The start of the minute 100 minutes ago: the test traces stay in the past and inside CloudWatch's window. */
const traceStartMs = (): number => Math.floor(Date.now() / MS_PER_MINUTE) * MS_PER_MINUTE - 100 * MS_PER_MINUTE;

const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

describe('npm start: the local stack', () => {
  const root = mkdtempSync(join(tmpdir(), 'sip-metrics-local-'));
  const dataDir = join(root, 'data');
  const dropDir = join(root, 'drop');
  const examples = ['mixed.kamailio-proxy.log', 'mixed.ngrep.txt.gz', 'sipp-uac-cancel-tcp.messages.log'];
  const dropped = ['mixed.pjsip-style.log', 'sipp-uac-invite.messages.log', 'mixed.kamailio-sipdump.data'];
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({
      dataDir,
      dropDir,
      ports: FREE_PORTS,
      config: cdkConfig(),
      examplesDir: 'examples',
    });
  });

  afterAll(async () => {
    await stack.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('processes the sample logs on first start, with the counts tshark gives for them', async () => {
    // Prepare
    const keys = examples.map((f) => `logs/examples/${f}`);

    // Act
    await waitFor('the sample logs', finished(stack, keys));

    // Assess
    expect(stack.firstStart).toBe(true);
    const files = stack.snapshot().files;
    for (const [i, file] of examples.entries()) {
      const status = files.find((f) => f.key === keys[i]);
      expect(status?.state).toBe('done');
      expect(status?.summary?.responsesByClass).toEqual(expectedFor(file).responses_by_class);
    }
  });

  it('counts corpus files dropped into the watched folder exactly, on screen and in the CloudWatch store', async () => {
    // Prepare
    await waitFor(
      'the sample logs',
      finished(
        stack,
        examples.map((f) => `logs/examples/${f}`),
      ),
    );
    const keys = dropped.map((f) => `logs/${f}`);
    const expected = zeroTotals();
    for (const f of [...examples, ...dropped]) addTotals(expected, expectedFor(f).responses_by_class);

    // Act
    for (const f of dropped) copyFileSync(`${CORPUS_DIR}${f}`, join(dropDir, f));
    await waitFor('the dropped files', finished(stack, keys));
    await stack.settled();

    // Assess
    const snap = stack.snapshot();
    for (const [i, file] of dropped.entries()) {
      const status = snap.files.find((f) => f.key === keys[i]);
      expect([status?.state, status?.receiveCount, status?.size]).toEqual([
        'done',
        1,
        readFileSync(`${CORPUS_DIR}${file}`).length,
      ]);
      expect(status?.summary?.responsesByClass).toEqual(expectedFor(file).responses_by_class);
    }
    expect(snap.totals).toEqual(expected);
    expect(stack.services.cloudWatch.responsesByClass('SIP')).toEqual(expected);
    expect(persistedByClass(join(dataDir, 'cloudwatch', 'datums.jsonl'))).toEqual(expected);
    expect(stack.services.cloudWatch.sum('FilesProcessed')).toBe(6);
    expect(snap.queue).toEqual({ visible: 0, inFlight: 0, delayed: 0, deadLetters: 0 });
  });

  it('stops cleanly: ports free, handler process gone, no watcher left; a restart finds every count again', async () => {
    // Prepare
    const ports = [stack.services.s3.port, stack.services.dynamoDb.port, stack.services.cloudWatch.port];
    const pid = stack.handlerPid() ?? -1;
    // one handler process per invocation that ran at once (the examples came two at a time)
    const pids = stack.handlerPids();
    const totals = stack.snapshot().totals;
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'TTYWrap');

    // Act
    await stack.stop();
    const after = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'TTYWrap');
    const bindable = await Promise.all(ports.map(canBind));
    stack = await startLocalStack({
      dataDir,
      dropDir,
      ports: FREE_PORTS,
      config: cdkConfig(),
      examplesDir: 'examples',
    });
    await stack.settled();

    // Assess
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(bindable).toEqual([true, true, true]);
    expect(after.filter((r) => r === 'TCPServerWrap' || r === 'ProcessWrap' || r === 'FSEventWrap')).toEqual([]);
    expect(before.filter((r) => r === 'ProcessWrap').length).toBe(pids.length);
    expect(before.filter((r) => r === 'FSEventWrap')).toEqual(['FSEventWrap']);
    expect(existsSync(join(dataDir, 'lock'))).toBe(true);
    expect(stack.firstStart).toBe(false);
    expect(stack.snapshot().totals).toEqual(totals);
    expect(stack.snapshot().files.filter((f) => f.state === 'done')).toHaveLength(6);
    expect(stack.services.cloudWatch.sum('FilesProcessed')).toBe(6);
  });
});

describe("npm start: the 5xx spike alarm, judged on the log's own minutes", () => {
  const root = mkdtempSync(join(tmpdir(), 'sip-metrics-spike-'));
  const dropDir = join(root, 'drop');
  const events: LocalEvent[] = [];
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ dataDir: join(root, 'data'), dropDir, ports: FREE_PORTS, config: cdkConfig() });
    stack.onEvent((e) => events.push(e));
  });

  afterAll(async () => {
    await stack.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('goes to ALARM on a file with a 503 spike and back to OK when a later, calm file moves the data clock on', async () => {
    // Prepare
    const start = traceStartMs();
    const spike = sippTrace(start, 10, [6, 7, 8]);
    const calm = sippTrace(start + 80 * MS_PER_MINUTE, 3, []);
    const alarmLines = (): string[] =>
      events.flatMap((e) => (e.kind === 'alarm' ? [`${e.rule.id} ${e.from} → ${e.to} at ${hhmm(e.dataNowMs)}`] : []));

    // Act
    writeFileSync(join(dropDir, 'spike.sipp.log'), spike.text);
    await waitFor('the spike file', finished(stack, ['logs/spike.sipp.log']));
    const duringSpike = stack.snapshot().judgement;
    writeFileSync(join(dropDir, 'calm.sipp.log'), calm.text);
    await waitFor('the calm file', finished(stack, ['logs/calm.sipp.log']));
    const afterCalm = stack.snapshot().judgement;

    // Assess
    expect(spike.byClass).toEqual({ '1xx': 0, '2xx': 1050, '3xx': 0, '4xx': 60, '5xx': 90, '6xx': 0 });
    expect(stack.snapshot().files.find((f) => f.key === 'logs/spike.sipp.log')?.summary?.responsesByClass).toEqual(
      spike.byClass,
    );
    expect(duringSpike.clock?.nowMs).toBe(start + 10 * MS_PER_MINUTE);
    expect(duringSpike.alarms.map((a) => [a.rule.id, a.evaluation.state, a.evaluation.breachingPeriods])).toEqual([
      ['ServerErrorSpike', 'ALARM', 3],
      ['GlobalFailureSpike', 'OK', 0],
      // 120 responses a minute is below the burst rules' 200
      ['ServerErrorBurst', 'OK', 0],
      ['GlobalFailureBurst', 'OK', 0],
    ]);
    expect(afterCalm.clock?.nowMs).toBe(start + 83 * MS_PER_MINUTE);
    expect(afterCalm.alarms.map((a) => [a.rule.id, a.evaluation.state, a.evaluation.breachingPeriods])).toEqual([
      ['ServerErrorSpike', 'OK', 0],
      ['GlobalFailureSpike', 'OK', 0],
      ['ServerErrorBurst', 'OK', 0],
      ['GlobalFailureBurst', 'OK', 0],
    ]);
    expect(alarmLines()).toEqual([
      `ServerErrorSpike INSUFFICIENT_DATA → ALARM at ${hhmm(start + 10 * MS_PER_MINUTE)}`,
      `GlobalFailureSpike INSUFFICIENT_DATA → OK at ${hhmm(start + 10 * MS_PER_MINUTE)}`,
      `ServerErrorBurst INSUFFICIENT_DATA → OK at ${hhmm(start + 10 * MS_PER_MINUTE)}`,
      `GlobalFailureBurst INSUFFICIENT_DATA → OK at ${hhmm(start + 10 * MS_PER_MINUTE)}`,
      `ServerErrorSpike ALARM → OK at ${hhmm(start + 83 * MS_PER_MINUTE)}`,
    ]);
    // the replay, as if the data had arrived on time: ALARM at the end of the third 503 minute, OK once the first
    // of them leaves the 68-minute evaluation range
    expect(afterCalm.alarms[0]?.transitions.map((t) => [t.from, t.to, (t.atMs - start) / MS_PER_MINUTE])).toEqual([
      ['INSUFFICIENT_DATA', 'OK', 0],
      ['OK', 'ALARM', 9],
      ['ALARM', 'OK', 75],
    ]);
  });
});

describe('npm start -- --once FILE...', () => {
  const root = mkdtempSync(join(tmpdir(), 'sip-metrics-once-test-'));

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** `npm start -- ARGS` from source (tsx), as a child process. */
  const runStart = (args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
        env: { ...process.env, NO_COLOR: '1' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString('utf8');
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('prints the counts and the alarm states with their replayed changes, and exits 0', async () => {
    // Prepare
    const start = traceStartMs();
    const calm = sippTrace(start - 20 * MS_PER_MINUTE, 3, []);
    const spike = sippTrace(start, 10, [6, 7, 8]);
    const files = { calm: join(root, 'calm.sipp.log'), spike: join(root, 'spike.sipp.log') };
    writeFileSync(files.calm, calm.text);
    writeFileSync(files.spike, spike.text);
    const total = addTotals(addTotals(zeroTotals(), calm.byClass), spike.byClass);
    const oneSpace = (l: string): string => l.replace(/ +/g, ' ');

    // Act
    const r = await runStart(['--once', files.calm, files.spike]);

    // Assess
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.split('\n');
    expect(total).toEqual({ '1xx': 0, '2xx': 1392, '3xx': 0, '4xx': 78, '5xx': 90, '6xx': 0 });
    // "HH:MM:SS  done  key  size  N responses  D s": the clock and the duration vary, and the two
    // files are processed concurrently, so they may finish in either order
    expect(
      lines
        .filter((l) => /^\d\d:\d\d:\d\d {2}done /.test(l))
        .map((l) => oneSpace(l.slice(10)).replace(/ [\d.]+ s$/, ''))
        .sort(),
    ).toEqual([
      `done logs/calm.sipp.log ${formatBytes(Buffer.byteLength(calm.text))} 360 responses`,
      `done logs/spike.sipp.log ${formatBytes(Buffer.byteLength(spike.text))} 1,200 responses`,
    ]);
    expect(oneSpace(lines.find((l) => l.startsWith('  total')) ?? '')).toBe(
      ' total 0 1,392 0 78 90 0 1,560 5.8 % 0.0 %',
    );
    expect(oneSpace(lines.find((l) => l.startsWith('  ServerErrorSpike')) ?? '')).toBe(
      ` ServerErrorSpike ALARM 3 of 68 periods breaching (ALARM at 3), since ${hhmm(start + 9 * MS_PER_MINUTE)}`,
    );
    expect(lines).toContain(
      `  judged at ${new Date(start + 10 * MS_PER_MINUTE).toISOString().slice(0, 16).replace('T', ' ')} UTC = ` +
        'the end of the newest minute in the data (log time), not the wall clock',
    );
    expect(lines).toContain(
      `                      replayed: ${hhmm(start - 20 * MS_PER_MINUTE)} INSUFFICIENT_DATA → OK · ` +
        `${hhmm(start + 9 * MS_PER_MINUTE)} OK → ALARM · ${hhmm(start + 75 * MS_PER_MINUTE)} ALARM → OK (after the data ends)`,
    );
    expect(oneSpace(lines.find((l) => l.startsWith('  GlobalFailureSpike')) ?? '')).toBe(
      ` GlobalFailureSpike OK 0 of 68 periods breaching (ALARM at 3), since ${hhmm(start - 20 * MS_PER_MINUTE)}`,
    );
  });

  it('raises the 5xx burst alarm on one untimed file of 15 % 503, and no alarm on the bundled examples', async () => {
    // Prepare: a pjsip log without logger timestamps: every response lands on the upload minute
    const untimed = join(root, 'untimed.pjsip.log');
    const parts: string[] = [];
    for (let i = 0; i < 400; i++) {
      const [code, reason] = i % 20 < 3 ? [503, 'Service Unavailable'] : [200, 'OK'];
      parts.push(pjsipRecord('in', 'UDP:203.0.113.9:5060', response(code, reason, '1 INVITE', `untimed-${i}@pbx`)));
    }
    writeFileSync(untimed, parts.join(''));
    const states = (stdout: string): string[] =>
      stdout
        .split('\n')
        .filter((l) => /^ {2}(ServerError|GlobalFailure)(Spike|Burst) /.test(l))
        .map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '));

    // Act
    const bad = await runStart(['--once', untimed]);
    const examples = await runStart(['--once', 'examples']);

    // Assess
    expect([bad.code, bad.stderr]).toEqual([0, '']);
    expect(states(bad.stdout)).toEqual([
      'ServerErrorSpike OK',
      'GlobalFailureSpike OK',
      'ServerErrorBurst ALARM',
      'GlobalFailureBurst OK',
    ]);
    expect([examples.code, examples.stderr]).toEqual([0, '']);
    expect(states(examples.stdout)).toEqual([
      'ServerErrorSpike OK',
      'GlobalFailureSpike OK',
      'ServerErrorBurst OK',
      'GlobalFailureBurst OK',
    ]);
  });

  it("shows each file's KPIs and judges the ISA and SER alarms set with -c", async () => {
    // Prepare: mixed.pcap's 406 INVITE transactions share one minute: ISA 11.08 %, SER 37.82 %
    const file = join(root, 'mixed.pcap');
    copyFileSync(`${CORPUS_DIR}mixed.pcap`, file);
    const k = MIXED_PCAP_KPI_REPORT;
    const kpis = `406 INVITEs: SER ${k.ser} % · SEER ${k.seer} % · ISA ${k.isa} % · SCR ${k.scr} %`;

    // Act
    const r = await runStart([
      '--once',
      file,
      '-c',
      'isaAlarmThresholdPercent=10',
      '-c',
      'serAlarmThresholdPercent=40',
      '-c',
      'alarmDatapointsToAlarm=1',
    ]);

    // Assess
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.split('\n');
    expect(lines.some((l) => l.endsWith(`6xx 46  ·  ${kpis}`))).toBe(true);
    expect(lines.find((l) => l.startsWith('  call KPIs'))?.replace(/ +/g, ' ')).toBe(` call KPIs ${kpis}`);
    expect(
      lines
        .filter((l) => /^ {2}(IneffectiveSessionAttempts|LowSessionEstablishment) /.test(l))
        .map((l) => l.trim().split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual(['IneffectiveSessionAttempts ALARM', 'LowSessionEstablishment ALARM']);
  });

  it('prints the counts kept in the data folder at a restart with line output, before any file comes', async () => {
    // Prepare: a data folder that --once filled and kept
    const dataDir = join(root, 'kept');
    const once = await runStart(['--once', `${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`, '--data-dir', dataDir]);
    const ports = ['--s3-port', '0', '--dynamodb-port', '0', '--cloudwatch-port', '0'];

    // Act: the stack started again on that folder, stopped once it printed its alarms (or after 30 s)
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'local/start.ts', '--data-dir', dataDir, '--plain', '--no-web', ...ports],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    const stopped = new Promise<number | null>((resolve) => child.on('close', resolve));
    // one SIGINT: a second one while stopping means "now" (exit 130)
    let asked = false;
    const stop = (): void => {
      if (!asked) child.kill('SIGINT');
      asked = true;
    };
    const guard = setTimeout(stop, 30_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      if (stdout.includes('GlobalFailureBurst')) stop();
    });
    const code = await stopped;
    clearTimeout(guard);

    // Assess: before, a restart printed the banner and nothing of what the folder held
    const total = (out: string): string | undefined =>
      out
        .split('\n')
        .find((l) => l.trimStart().startsWith('total '))
        ?.trim()
        .replace(/ +/g, ' ');
    expect(once.code).toBe(0);
    expect(code).toBe(0);
    expect(total(stdout)).toBe('total 80 40 0 40 0 0 160 0.0 % 0.0 %');
    expect(total(stdout)).toBe(total(once.stdout));
  }, 60_000);

  it('exits 1 with a one-line error when a file does not exist', async () => {
    // Prepare
    const missing = join(root, 'no-such.log');

    // Act
    const r = await runStart(['--once', missing]);

    // Assess
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', `npm start: no such file: ${missing} [INPUT_NOT_FOUND]\n`]);
  });
});

describe('npm start: objects from any S3 client, busy ports, a stop in the middle of a file', () => {
  const root = mkdtempSync(join(tmpdir(), 'sip-metrics-clients-'));
  const dataDir = join(root, 'data');
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ dataDir, ports: FREE_PORTS, config: cdkConfig() });
  });

  afterAll(async () => {
    await stack.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("normalises s3rver's event to S3's shape: the key URL-encoded as S3 encodes it, which the handler decodes back", async () => {
    // Prepare
    const key = 'logs/a folder/red flower+ü%.log';
    const payloads: unknown[] = [];
    const listener = (p: unknown): void => {
      payloads.push(p);
    };
    stack.services.s3.emulator.on('event', listener);
    const s3 = createLocalS3Client(stack.services.s3.url);

    // Act
    await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: 'x' }));
    stack.services.s3.emulator.off('event', listener);
    s3.destroy();
    const created = createdObjectsOf(payloads[0]);
    const record = toS3Record({ ...(created[0] as CreatedObject), eTag: created[0]?.eTag ?? '' }, 'test');

    // Assess
    expect(created.map((c) => [c.key, c.eventName, c.size, c.eTag])).toEqual([
      [key, 'ObjectCreated:Put', 1, '9dd4e461268c8034f5c8564e155c67a6'],
    ]);
    expect([record.eventVersion, record.s3.object.key, record.s3.bucket.arn]).toEqual([
      '2.1',
      'logs/a+folder/red+flower%2B%C3%BC%25.log',
      'arn:aws:s3:::sip-logs',
    ]);
    expect(objectRefsOf({ Records: [record] }).map((r) => [r.key, r.eTag, r.size])).toEqual([
      [key, '9dd4e461268c8034f5c8564e155c67a6', 1],
    ]);
  });

  it('processes objects put and copied by an S3 client under odd keys, and leaves keys outside the prefix alone', async () => {
    // Prepare
    const s3 = createLocalS3Client(stack.services.s3.url);
    const body = readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`);
    const keys = {
      put: 'logs/odd key+ü.log',
      source: 'logs/plain.log',
      copy: 'logs/copied é.log',
      outside: 'elsewhere/trace.log',
    };

    // Act
    await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: keys.put, Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: keys.source, Body: body }));
    // s3rver 3.7 mis-decodes an encoded CopySource (S3 does not), so the copy reads from a plain key
    await s3.send(
      new CopyObjectCommand({ Bucket: stack.bucket, Key: keys.copy, CopySource: `${stack.bucket}/${keys.source}` }),
    );
    await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: keys.outside, Body: body }));
    s3.destroy();
    await waitFor('the uploaded objects', finished(stack, Object.values(keys)));
    await stack.settled();

    // Assess
    const files = stack.snapshot().files;
    const want = expectedFor('sipp-uac-cancel-tcp.messages.log').responses_by_class;
    for (const key of [keys.put, keys.source, keys.copy]) {
      const f = files.find((x) => x.key === key);
      expect([f?.key, f?.state, f?.size, f?.summary?.responsesByClass]).toEqual([key, 'done', body.length, want]);
    }
    expect(files.find((x) => x.key === keys.outside)?.state).toBe('not-notified');
  });

  it('says which port is busy and which option changes it, and leaves nothing running', async () => {
    // Prepare
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as AddressInfo).port;
    const other = join(root, 'other');
    const servers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const serversBefore = servers();

    // Act
    const error = await startLocalStack({
      dataDir: other,
      ports: { s3: 0, dynamoDb: 0, cloudWatch: busy },
      config: cdkConfig(),
    }).catch((e: unknown) => e);
    const serversAfter = servers();
    await new Promise<void>((r) => blocker.close(() => r()));

    // Assess
    expect(error).toBeInstanceOf(LocalStackError);
    expect([(error as LocalStackError).code, (error as Error).message]).toEqual([
      'PORT_IN_USE',
      `CloudWatch (local): port ${busy} on 127.0.0.1 is already in use (is another \`npm start\` running?); ` +
        'choose another with --cloudwatch-port <port>',
    ]);
    expect(existsSync(join(other, 'lock'))).toBe(false);
    // S3 and DynamoDB had started before CloudWatch failed: both are closed again
    expect(serversAfter).toBe(serversBefore);
  });

  it('counts a file exactly once when the stack is stopped in the middle of publishing it and started again', async () => {
    // Prepare: CloudWatch holds every PutMetricData without an answer, so the stop lands in the middle of the file
    const key = 'logs/large.ngrep.txt.gz';
    const want = expectedFor('large.ngrep.txt.gz').responses_by_class;
    await stack.settled();
    const before = stack.services.cloudWatch.responsesByClass('SIP');
    const filesBefore = stack.services.cloudWatch.sum('FilesProcessed');
    const requestsBefore = stack.services.cloudWatch.requests.length;
    stack.services.cloudWatch.setFaults(() => ({ kind: 'hang' }));

    // Act
    await stack.uploadFile(`${CORPUS_DIR}large.ngrep.txt.gz`, key);
    await waitFor('its first PutMetricData call', () => stack.services.cloudWatch.requests.length > requestsBefore);
    const stateAtStop = stack.snapshot().files.find((f) => f.key === key)?.state;
    await stack.stop();
    stack = await startLocalStack({ dataDir, ports: FREE_PORTS, config: cdkConfig() });
    await waitFor('the interrupted file', finished(stack, [key]), 30_000);
    await stack.settled();

    // Assess
    const f = stack.snapshot().files.find((x) => x.key === key);
    expect(stateAtStop).toBe('processing');
    expect([f?.state, f?.summary?.attempt, f?.summary?.responsesByClass]).toEqual(['done', 2, want]);
    expect(stack.services.cloudWatch.responsesByClass('SIP')).toEqual(addTotals({ ...before }, want));
    expect(stack.services.cloudWatch.sum('FilesProcessed')).toBe(filesBefore + 1);
  });
});

describe('npm start: a file that grows in the drop folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'sip-metrics-growing-'));
  const dataDir = join(root, 'data');
  const dropDir = join(root, 'drop');
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ dataDir, dropDir, ports: FREE_PORTS, config: cdkConfig() });
  });

  afterAll(async () => {
    await stack.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('uploads the grown file again and counts only what was added to it', async () => {
    // Prepare: the first 70 % of a pjsip log (whole blocks), as a cron copy of a live log leaves it
    const file = readFileSync(`${CORPUS_DIR}mixed.pjsip-style.log`);
    const cut = file.indexOf('\n[', Math.floor(file.length * 0.7)) + 1;
    const key = 'logs/pbx-full.log';
    const status = () => stack.snapshot().files.find((f) => f.key === key);
    await stack.settled();
    writeFileSync(join(dropDir, 'pbx-full.log'), file.subarray(0, cut));
    await waitFor('the first part', () => status()?.state === 'done' && status()?.size === cut, 30_000);
    const firstPart = status()?.summary?.responses ?? 0;

    // Act
    writeFileSync(join(dropDir, 'pbx-full.log'), file);
    await waitFor('the grown file', () => status()?.state === 'done' && status()?.size === file.length, 30_000);
    await stack.settled();

    // Assess: 1,834 responses in all, not the first part twice
    const expected = expectedFor('mixed.pjsip-style.log');
    expect(firstPart).toBe(1292);
    expect([status()?.summary?.responses, status()?.summary?.growth?.mode]).toEqual([1834 - firstPart, 'resumed']);
    expect(stack.services.cloudWatch.responsesByClass('SIP')).toEqual(expected.responses_by_class);
    expect(stack.services.cloudWatch.sum('Responses')).toBe(expected.responses);
    expect(stack.services.cloudWatch.sum('FilesProcessed')).toBe(2);
    expect(stack.snapshot().queue).toEqual({ visible: 0, inFlight: 0, delayed: 0, deadLetters: 0 });
  }, 60_000);
});
