import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readStackConfig, type StackConfig } from '../../infra/config.js';
import { createLocalS3Client } from '../../local/emulators.js';
import { FINAL_STATES } from '../../local/file-status.js';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { NO_PAINT, renderScreen } from '../../local/screen.js';
import { CORPUS_DIR } from '../support/corpus.js';

/** The deployed configuration, read from cdk.json as `npm start` reads it. */
const cdkConfig = (): StackConfig =>
  readStackConfig((JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> }).context);

const FREE_PORTS = { s3: 0, dynamoDb: 0, cloudWatch: 0 } as const;

/** Polls until every one of `count` files is in a final state; fails after `timeoutMs`. */
const waitForFinal = async (stack: LocalStack, count: number, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files = stack.snapshot().files;
    if (files.length >= count && files.every((f) => FINAL_STATES.has(f.state))) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${files.length} of ${count} files listed`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** key -> "state size" of every listed file. */
const rows = (stack: LocalStack): Record<string, string> =>
  Object.fromEntries(stack.snapshot().files.map((f) => [f.key, `${f.state} ${f.size}`]));

const root = mkdtempSync(join(tmpdir(), 'sip-metrics-rows-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('npm start: the file rows', () => {
  it("shows a file's anomalies on its row of the live screen", async () => {
    // Prepare: a 200 OK whose Content-Length announces 50 body bytes, of which the object holds 3
    const stack = await startLocalStack({ dataDir: join(root, 'anomalies'), ports: FREE_PORTS, config: cdkConfig() });
    const s3 = createLocalS3Client(stack.services.s3.url);
    const body = 'SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nCall-ID: a\r\nContent-Length: 50\r\n\r\nabc';
    await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: 'logs/truncated.log', Body: body }));
    s3.destroy();
    await waitForFinal(stack, 1, 30_000);
    const info = {
      s3Url: stack.services.s3.url,
      dynamoDbUrl: stack.services.dynamoDb.url,
      cloudWatchUrl: stack.services.cloudWatch.url,
      bucket: stack.bucket,
      keyPrefix: stack.keyPrefix,
      dataDir: '.local',
      dropDir: undefined,
      handlerLogFile: '.local/handler.log',
      startupMs: 1000,
    };

    // Act
    const screen = renderScreen(info, stack.snapshot(), [], NO_PAINT, 40);
    await stack.stop();

    // Assess
    const line = screen.split('\n').find((l) => l.includes('logs/truncated.log')) ?? '';
    expect(line).toMatch(
      // a bare message prints no time: untimed, said before the anomalies
      /^ {2}done +logs\/truncated\.log +69 B +1 responses {2}[\d.]+ s {2}1 untimed \(at the upload minute\) {2}anomalies: truncated-body 1$/,
    );
  });

  it('shows the same rows after a restart: a failed file with its size, an object outside the prefix still listed', async () => {
    // Prepare
    const dataDir = join(root, 'restart');
    const good = readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`);
    const noise = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 131) % 256));
    const first = await startLocalStack({ dataDir, ports: FREE_PORTS, config: cdkConfig() });
    const s3 = createLocalS3Client(first.services.s3.url);
    await s3.send(new PutObjectCommand({ Bucket: first.bucket, Key: 'logs/good.log', Body: good }));
    await s3.send(new PutObjectCommand({ Bucket: first.bucket, Key: 'logs/noise.bin', Body: noise }));
    await s3.send(new PutObjectCommand({ Bucket: first.bucket, Key: 'elsewhere/x.log', Body: good }));
    s3.destroy();
    await waitForFinal(first, 3, 30_000);
    const before = rows(first);
    await first.stop();

    // Act
    const second = await startLocalStack({ dataDir, ports: FREE_PORTS, config: cdkConfig() });
    const after = rows(second);
    await second.stop();

    // Assess
    expect(before).toEqual({
      'logs/good.log': `done ${good.length}`,
      'logs/noise.bin': 'failed 10000',
      'elsewhere/x.log': `not-notified ${good.length}`,
    });
    expect(after).toEqual(before);
  });

  it('shows the real size of each of 600 files dropped at once, and the SDK prints no socket warning', async () => {
    // Prepare: one response per file; more files than the old 500-row limit and than the 50 sockets
    const dropDir = join(root, 'drop');
    mkdirSync(dropDir);
    const warn = vi.spyOn(console, 'warn');
    const stack = await startLocalStack({
      dataDir: join(root, 'many'),
      dropDir,
      ports: FREE_PORTS,
      config: cdkConfig(),
    });
    const sizes: Record<string, string> = {};

    // Act
    for (let i = 0; i < 600; i++) {
      const text = `SIP/2.0 200 OK\r\nCall-ID: drop-${i}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`;
      writeFileSync(join(dropDir, `f${String(i).padStart(3, '0')}.log`), text);
      sizes[`logs/f${String(i).padStart(3, '0')}.log`] = `done ${Buffer.byteLength(text)}`;
    }
    try {
      await waitForFinal(stack, 600, 120_000);
      const got = rows(stack);

      // Assess
      expect(got).toEqual(sizes);
      expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('socket usage'))).toEqual([]);
    } finally {
      warn.mockRestore();
      await stack.stop();
    }
  }, 180_000);
});
