import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalS3Client,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalS3,
  startLocalS3,
} from '../../local/emulators.js';
import { CORPUS_DIR, expectedFor } from '../support/corpus.js';

// The real CLI in a child process (through tsx, so no build step is needed for the test).
const runCli = (args: string[], input?: Buffer): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lambda/cli/cli.ts', ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

describe('sip-metrics scan', () => {
  it('prints its version (the package.json one) with --version and exits 0', () => {
    // Act
    const r = runCli(['--version']);

    // Assess
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect([r.code, r.stdout.trim()]).toEqual([0, pkg.version]);
  });

  it('prints one JSON object per file with the expected counts', () => {
    // Prepare
    const files = ['mixed.ngrep.txt.gz', 'sipp-uac-cancel-tcp.messages.log'];

    // Act
    const r = runCli(['scan', '--json', ...files.map((f) => `${CORPUS_DIR}${f}`)]);

    // Assess
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const [i, file] of files.entries()) {
      const got = JSON.parse(lines[i] ?? '{}');
      const want = expectedFor(file);
      expect(got.file).toBe(`${CORPUS_DIR}${file}`);
      expect(got.byClass).toEqual(want.responses_by_class);
      expect(got.byCode).toEqual(want.responses_by_code);
      expect([got.messages, got.requests, got.responses]).toEqual([want.messages, want.requests, want.responses]);
      expect(Object.keys(got).sort()).toEqual(
        [
          'accountedResponses',
          'anomalies',
          'byClass',
          'byCode',
          'byMethod',
          'byPeer',
          'bytes',
          'file',
          'formats',
          'kpis',
          'messages',
          'requests',
          'responses',
          'retransmissions',
          'seconds',
          'timedResponses',
          'unrecognizedBytes',
        ].sort(),
      );
    }
  });

  it('adds a per-minute series from the log timestamps with --per-minute', () => {
    // Act
    const r = runCli(['scan', '--json', '--per-minute', `${CORPUS_DIR}mixed.kamailio-sipdump.data`]);

    // Assess
    const got = JSON.parse(r.stdout);
    const total = got.series.reduce(
      (n: number, s: { byClass: Record<string, number> }) => n + Object.values(s.byClass).reduce((a, b) => a + b, 0),
      0,
    );
    expect([r.code, total, got.timedResponses, got.series[0].minute]).toEqual([
      0,
      1834,
      1834,
      '2026-11-24T13:39:00.000Z',
    ]);
  });

  it('prints the per-minute series as a table with --per-minute and no --json', () => {
    // Act
    const r = runCli(['scan', '--per-minute', `${CORPUS_DIR}mixed.kamailio-sipdump.data`]);

    // Assess
    expect(r.code).toBe(0);
    const table = r.stdout.slice(r.stdout.indexOf('  per minute'));
    expect(table).toBe(
      [
        '  per minute (log time, UTC)      1xx      2xx      3xx      4xx      5xx      6xx    total',
        '  2026-11-24 13:39                648      784       22      279       55       46    1,834',
        '',
        '',
      ].join('\n'),
    );
  });

  it('says so in the per-minute table when no response carries a time', () => {
    // Prepare
    const input = Buffer.from('SIP/2.0 503 Service Unavailable\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n');

    // Act
    const r = runCli(['scan', '--per-minute', '-'], input);

    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout.slice(r.stdout.indexOf('  per minute'))).toBe(
      '  per minute (log time, UTC)      1xx      2xx      3xx      4xx      5xx      6xx    total\n' +
        '  none: no response in this log carries a time\n\n',
    );
  });

  it('reads standard input and prints a table', () => {
    // Prepare
    const input = Buffer.from('SIP/2.0 503 Service Unavailable\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n');

    // Act
    const r = runCli(['scan', '-'], input);

    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  5xx             1  100.0%  server error');
    expect(r.stdout).toContain('  top codes  503 ×1');
  });

  it('exits 1 with a one-line error for a missing file, after scanning the others', () => {
    // Act
    const r = runCli(['scan', '--json', '/nonexistent/trace.pcap', `${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`]);

    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('sip-metrics: /nonexistent/trace.pcap: cannot read: no such file [UNREADABLE_FILE]\n');
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).responses ?? 'error'),
    ).toEqual(['error', 160]);
  });

  it('reports a truncated gzip after printing what it could read', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sip-metrics-cli-'));
    const path = join(dir, 'cut.txt.gz');
    const gz = gzipSync(readFileSync(`${CORPUS_DIR}mixed.ngrep.txt`));
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length / 2)));

    // Act
    const r = runCli(['scan', '--json', path]);

    // Assess
    const got = JSON.parse(r.stdout);
    expect(r.code).toBe(1);
    expect(got.error.code).toBe('TRUNCATED_GZIP');
    expect(got.responses).toBeGreaterThan(500);
    expect(got.responses).toBeLessThan(1834);
    expect(r.stderr).toMatch(
      /^sip-metrics: .*cut\.txt\.gz: gzip stream is truncated after \d+ decompressed bytes \[TRUNCATED_GZIP\]\n$/,
    );
  });

  it('refuses binary input with no SIP and reads a .gz that holds plain text as text', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sip-metrics-cli-'));
    const bin = join(dir, 'noise.bin');
    const fakeGz = join(dir, 'plain.log.gz');
    writeFileSync(bin, Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 131) % 256)));
    writeFileSync(fakeGz, 'SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\n\r\n');

    // Act
    const a = runCli(['scan', bin]);
    const b = runCli(['scan', fakeGz, '--json']);

    // Assess
    expect([a.code, a.stdout]).toEqual([1, '']);
    expect(a.stderr).toMatch(
      /no SIP found in any known format \(first bytes 00 83 06 89 0c 8f 12 95\).*\[UNKNOWN_FORMAT\]\n$/,
    );
    // the bytes decide, not the name
    expect([b.code, b.stderr]).toEqual([0, '']);
    expect(JSON.parse(b.stdout)).toMatchObject({ formats: ['sip'], responses: 1, byCode: { '200': 1 } });
  });

  it('stops quietly with exit 0 when the reader closes the pipe early (scan ... | head -n 1)', () => {
    // Prepare: many files, so the CLI still has lines to write after head has gone
    const file = `${CORPUS_DIR}mixed.ngrep.txt`;
    const script = `set -o pipefail; "${process.execPath}" --import tsx lambda/cli/cli.ts scan --json ${Array(30).fill(`'${file}'`).join(' ')} | head -n 1 >/dev/null`;

    // Act
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });

    // Assess
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  it('prints help', () => {
    const r = runCli(['scan', '--help']);
    expect([r.code, r.stdout.includes('--per-minute')]).toEqual([0, true]);
  });
});

/** The CLI without blocking this process: s3rver runs in it and must answer the child. */
const runCliAsync = (
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'lambda/cli/cli.ts', ...args],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('sip-metrics scan s3://bucket/key', () => {
  let s3: LocalS3;
  let env: Record<string, string>;

  beforeAll(async () => {
    s3 = await startLocalS3({
      port: 0,
      directory: mkdtempSync(join(tmpdir(), 'sip-metrics-cli-s3-')),
      buckets: ['traces'],
    });
    env = {
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_REGION: LOCAL_REGION,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  });

  afterAll(async () => {
    await s3.stop();
  });

  it('streams an object from S3 (path-style at a local endpoint) and counts it like a file', async () => {
    // Prepare
    const key = 'sbc 1/café.pcap';
    await createLocalS3Client(s3.url).send(
      new PutObjectCommand({ Bucket: 'traces', Key: key, Body: readFileSync(`${CORPUS_DIR}mixed.pcap`) }),
    );

    // Act
    const r = await runCliAsync(['scan', '--json', `s3://traces/${key}`], env);

    // Assess
    const got = JSON.parse(r.stdout);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect([got.file, got.formats, got.byClass]).toEqual([
      `s3://traces/${key}`,
      ['pcap'],
      expectedFor('mixed.pcap').responses_by_class,
    ]);
  });

  it('says that a mistyped key does not exist, naming the bucket and the key', async () => {
    // Act
    const r = await runCliAsync(['scan', 's3://traces/no/such.log'], env);

    // Assess
    expect([r.code, r.stderr]).toEqual([
      1,
      'sip-metrics: s3://traces/no/such.log: key "no/such.log" does not exist in bucket "traces" (NoSuchKey) [OBJECT_NOT_FOUND]\n',
    ]);
  });

  it('says that a mistyped bucket does not exist', async () => {
    // Act
    const r = await runCliAsync(['scan', 's3://no-such-bucket/a.log'], env);

    // Assess
    expect([r.code, r.stderr]).toEqual([
      1,
      'sip-metrics: s3://no-such-bucket/a.log: bucket "no-such-bucket" does not exist (NoSuchBucket) [OBJECT_NOT_FOUND]\n',
    ]);
  });

  it('says which setting is missing when the machine has no AWS region', async () => {
    // Prepare: no region anywhere (no AWS_REGION, no config file), as on a machine never set up for AWS
    const { AWS_REGION: _a, AWS_DEFAULT_REGION: _b, ...userEnv } = process.env;
    const { AWS_REGION: _c, ...s3Env } = env;
    const noRegion = { ...userEnv, ...s3Env, NO_COLOR: '1', AWS_CONFIG_FILE: join(tmpdir(), 'sip-metrics-no-config') };

    // Act
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'lambda/cli/cli.ts', 'scan', 's3://traces/any.log'],
        { encoding: 'utf8', env: noRegion },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

    // Assess: before, "cannot read: Error: Region is missing" and nothing about what to do
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(
      'sip-metrics: s3://traces/any.log: cannot read: Error: Region is missing (set AWS_REGION, or a region in the ' +
        'profile of AWS_PROFILE) [UNREADABLE_FILE]\n',
    );
  });

  it('prints no SDK Node-version warning under Node 20 (the README supports Node 20)', async () => {
    // Prepare: the variable unset, as in a new user's shell
    const key = 'warn/one.log';
    await createLocalS3Client(s3.url).send(
      new PutObjectCommand({
        Bucket: 'traces',
        Key: key,
        Body: readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`),
      }),
    );
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _unset, ...userEnv } = process.env;
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _unsetToo, ...s3Env } = env;

    // Act
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'lambda/cli/cli.ts', 'scan', '--json', `s3://traces/${key}`],
        { encoding: 'utf8', env: { ...userEnv, ...s3Env } },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });

    // Assess
    expect([r.code, r.stderr]).toEqual([0, '']);
  });
});
