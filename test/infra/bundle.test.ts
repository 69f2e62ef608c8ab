import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, synthesize } from './synth.js';

const run = promisify(execFile);

// The only infra test that bundles: local esbuild, no Docker, exactly what `cdk synth` ships.
let s: Synthesized;
let bundlePath: string;

beforeAll(() => {
  s = synthesize({}, { bundle: true });
  const functions = Object.values(s.template.findResources('AWS::Lambda::Function')).filter(
    (f) => f.Properties.Runtime === 'nodejs24.x',
  );
  if (functions.length !== 1) throw new Error(`expected one Node.js 24 function, found ${functions.length}`);
  const key = String(functions[0]?.Properties.Code.S3Key);
  bundlePath = join(s.app.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
}, 120_000);

afterAll(() => s.cleanup());

describe('function bundle', () => {
  it('is one ES module with a source map, built without Docker', () => {
    // Prepare, Act: bundled in beforeAll
    // Assess
    expect(existsSync(bundlePath)).toBe(true);
    expect(existsSync(`${bundlePath}.map`)).toBe(true);
  });

  it('imports nothing but Node.js built-ins: our pinned AWS SDK, Powertools and zod are inside', () => {
    // Prepare
    const code = readFileSync(bundlePath, 'utf8');
    // Act
    const specifiers = new Set([...code.matchAll(/\bfrom\s*["']([^"'\s,]+)["']/g)].map((m) => m[1]));
    // Assess
    expect([...specifiers].filter((spec) => !spec?.startsWith('node:'))).toEqual([]);
    expect(code.startsWith("import { createRequire as __sipCreateRequire } from 'node:module';")).toBe(true);
    expect(code).toContain('PutMetricData');
  });

  it('loads in Node.js and acknowledges an s3:TestEvent delivered through SQS without calling AWS', async () => {
    // Prepare
    const event = {
      Records: [
        {
          messageId: 'm-1',
          eventSource: 'aws:sqs',
          body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'logs-bucket' }),
        },
      ],
    };
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundlePath).href)});
      const out = await m.handler(${JSON.stringify(event)});
      process.stdout.write(JSON.stringify({ type: typeof m.handler, out }));`;
    // Act
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        LEDGER_TABLE: 'sip-ledger',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      },
    });
    // Assess
    expect(JSON.parse(stdout)).toEqual({ type: 'function', out: { batchItemFailures: [] } });
  });
});
