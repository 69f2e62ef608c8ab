/**
 * The npm package as a user gets it: `npm pack`, the tarball installed into a fresh folder outside the repository,
 * the CLI run from there without aws-cdk-lib, then a CDK app of "someone else's" (test/package/consumer/app.ts) with
 * its own bucket and topic, type-checked against the package's declarations and synthesized with cdk-nag.
 * aws-cdk-lib, constructs and cdk-nag are linked from this repository's node_modules (the registry would cost
 * minutes); the package itself and its dependencies come from the tarball and the npm cache.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCacheFile } from '../../lambda/cli/compile-cache.js';
import { cacheUseIn } from '../support/compile-cache-use.js';
import { CORPUS_DIR, expectedFor } from '../support/corpus.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CONSUMER_APP_DIR = fileURLToPath(new URL('./consumer/', import.meta.url));
/** The packed size the README states (about 1,750,000 bytes), with room for growth; a jump past it means something unwanted got in. */
const MAX_TARBALL_BYTES = 1_900_000;

/** What `npm pack --json` reports about one tarball. */
interface PackReport {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string; readonly size: number }[];
}

// npm run from `npm test` passes npm_* settings down; a clean environment keeps the child npm's behaviour the user's
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

let work: string;
let consumer: string;
let pack: PackReport;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sip-metrics-pack-'));
  // runs `prepare` (tsc and the prebuilt handler bundle) exactly as a release would
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: REPO,
    env: cleanEnv(),
    maxBuffer: 16 << 20,
  });
  pack = (JSON.parse(packed.stdout) as PackReport[])[0] as PackReport;
  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', join(work, pack.filename)],
    { cwd: consumer, env: cleanEnv() },
  );
}, 240_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the CLI, the library with its declarations and the prebuilt handler, and no tests, fixtures or benches', () => {
    // Prepare, Act: packed in beforeAll
    const paths = pack.files.map((f) => f.path);
    // Assess
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'CHANGELOG.md',
        'dist/lambda/cli/cli.js',
        'dist/lambda/cli/bundle/sip-metrics.cjs',
        'dist/lambda/cli/bundle/cli-main.cjs',
        `dist/lambda/cli/bundle/${compileCacheFile()}`,
        'dist/infra/index.js',
        'dist/infra/index.d.ts',
        'dist/infra/constructs/sip-metrics.d.ts',
        'dist/handler-asset/index.mjs',
        'dist/handler-asset/index.mjs.map',
      ]),
    );
    const allowed =
      /^(package\.json|README\.md|CHANGELOG\.md|dist\/(lambda|infra|local|handler-asset)\/.+|schema\/.+)$/;
    expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
    expect(paths.filter((p) => /(^|\/)(test|tests|fixtures|bench)(\/|$)|\.test\.|\.bench\./.test(p))).toEqual([]);
    // source maps of tsc output point at TypeScript the package does not ship; only the handler's map is useful
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual(['dist/handler-asset/index.mjs.map']);
    expect(pack.size).toBeLessThan(MAX_TARBALL_BYTES);
  });
});

describe('the CLI, installed from the tarball without the CDK', () => {
  it('counts a shared corpus capture exactly with `npx sip-metrics scan --json`', async () => {
    // Prepare: the optional peers were not installed
    expect(existsSync(join(consumer, 'node_modules/aws-cdk-lib'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules/constructs'))).toBe(false);
    const expected = expectedFor('mixed.pcap');
    // Act
    const { stdout } = await run('npx', ['sip-metrics', 'scan', '--json', join(CORPUS_DIR, 'mixed.pcap')], {
      cwd: consumer,
      env: cleanEnv(),
      maxBuffer: 16 << 20,
    });
    // Assess
    const report = JSON.parse(stdout) as {
      formats: string[];
      messages: number;
      requests: number;
      responses: number;
      byClass: Record<string, number>;
      byCode: Record<string, number>;
    };
    expect(report.formats).toEqual(['pcap']);
    expect(report.messages).toBe(3440);
    expect(report.requests).toBe(1606);
    expect(report.responses).toBe(1834);
    expect(report.byClass).toEqual({ '1xx': 648, '2xx': 784, '3xx': 22, '4xx': 279, '5xx': 55, '6xx': 46 });
    expect(report.byClass).toEqual(expected.responses_by_class);
    expect(report.byCode).toEqual(expected.responses_by_code);
    // with the code cache `npm pack` made: this Node's V8 takes it as installed
    expect(cacheUseIn(join(consumer, 'node_modules/sip-metrics/dist/lambda/cli/bundle'))).toBe('accepted');
  });

  it('writes the HTML report, judged by the default alarm settings since no cdk.json comes with the package', async () => {
    // Prepare
    const report = join(work, 'report.html');
    // Act
    await run('npx', ['sip-metrics', 'scan', '--html', report, join(CORPUS_DIR, 'mixed.ngrep.txt')], {
      cwd: consumer,
      env: cleanEnv(),
    });
    // Assess
    const html = readFileSync(report, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('alarm thresholds from the default settings');
  });

  it('ships a handler bundle that loads in Node.js and acknowledges an s3:TestEvent without calling AWS', async () => {
    // Prepare
    const bundle = join(consumer, 'node_modules/sip-metrics/dist/handler-asset/index.mjs');
    const event = {
      Records: [
        {
          messageId: 'm-1',
          eventSource: 'aws:sqs',
          body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'logs-bucket' }),
        },
      ],
    };
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      process.stdout.write(JSON.stringify(await m.handler(${JSON.stringify(event)})));`;
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
    expect(JSON.parse(stdout)).toEqual({ batchItemFailures: [] });
  });
});

describe('a CDK app that imports SipMetrics from the package, with its own bucket and topic', () => {
  type Resource = { Type: string; Properties: Record<string, unknown> };
  let resources: Record<string, Resource>;
  let nagReports: unknown;
  let outdir: string;

  const ofType = (type: string): [string, Resource][] => Object.entries(resources).filter(([, r]) => r.Type === type);
  const idOf = (type: string, fragment: string): string => {
    const ids = ofType(type)
      .map(([id]) => id)
      .filter((id) => id.includes(fragment));
    if (ids.length !== 1) throw new Error(`expected one ${type} with "${fragment}" in its id, found ${ids.join(', ')}`);
    return ids[0] as string;
  };

  beforeAll(async () => {
    for (const peer of ['aws-cdk-lib', 'constructs', 'cdk-nag']) {
      symlinkSync(join(REPO, 'node_modules', peer), join(consumer, 'node_modules', peer), 'dir');
    }
    copyFileSync(join(CONSUMER_APP_DIR, 'app.ts'), join(consumer, 'app.ts'));
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['app.ts'],
      }),
    );
    // type-checks the app against dist/infra/index.d.ts through the package's `exports`, and emits app.js
    await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: consumer,
    });
    outdir = join(consumer, 'cdk.out');
    const { stdout } = await run(process.execPath, ['app.js'], {
      cwd: consumer,
      // what `cdk synth` passes to the app; no esbuild, no Docker, no credentials
      env: { PATH: process.env.PATH, CDK_OUTDIR: outdir },
      maxBuffer: 16 << 20,
    });
    nagReports = (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { nagReports: unknown }).nagReports;
    const template = JSON.parse(readFileSync(join(outdir, 'Telephony.template.json'), 'utf8')) as {
      Resources: Record<string, Resource>;
    };
    resources = template.Resources;
  }, 120_000);

  it('has the function, running the prebuilt bundle the package ships', () => {
    // Prepare
    const fn = resources[idOf('AWS::Lambda::Function', 'SipMetricsProcessorFunction')] as Resource;
    // Act
    const key = String((fn.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    const deployed = readFileSync(join(outdir, `asset.${key}`, 'index.mjs'));
    const shipped = readFileSync(join(consumer, 'node_modules/sip-metrics/dist/handler-asset/index.mjs'));
    // Assess
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(deployed.equals(shipped)).toBe(true);
    expect(existsSync(join(consumer, 'node_modules/esbuild'))).toBe(false);
  });

  it('has the queue and its dead-letter queue, the queue feeding the function', () => {
    // Prepare, Act: synthesized in beforeAll
    const queue = idOf('AWS::SQS::Queue', 'SipMetricsIngestQueue');
    // Assess
    expect(ofType('AWS::SQS::Queue').map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'SipMetricsIngestDeadLetterQueue',
      'SipMetricsIngestQueue',
    ]);
    const [[, mapping] = []] = ofType('AWS::Lambda::EventSourceMapping');
    expect(mapping?.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': [queue, 'Arn'] });
  });

  it("wires every alarm's ALARM and OK actions to the app's own topic and creates no topic of its own", () => {
    // Prepare
    const onCall = { Ref: idOf('AWS::SNS::Topic', 'OnCall') };
    // Act
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    // Assess
    expect(alarms.length).toBe(9);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([onCall]);
      expect(alarm.OKActions).toEqual([onCall]);
    }
    expect(ofType('AWS::SNS::Topic').length).toBe(1);
    expect(ofType('AWS::KMS::Key').length).toBe(1);
  });

  it("adds the prefix and suffix notifications to the app's own bucket and creates no bucket of its own", () => {
    // Prepare
    const bucket = idOf('AWS::S3::Bucket', 'SbcLogs');
    const queueArn = { 'Fn::GetAtt': [idOf('AWS::SQS::Queue', 'SipMetricsIngestQueue'), 'Arn'] };
    // Act
    const [[, notifications] = []] = ofType('Custom::S3BucketNotifications');
    // Assess
    expect(notifications?.Properties.BucketName).toEqual({ Ref: bucket });
    expect(notifications?.Properties.NotificationConfiguration).toEqual({
      QueueConfigurations: ['.pcap', '.log.gz'].map((suffix) => ({
        Events: ['s3:ObjectCreated:*'],
        Filter: {
          Key: {
            FilterRules: [
              { Name: 'suffix', Value: suffix },
              { Name: 'prefix', Value: 'sbc/' },
            ],
          },
        },
        QueueArn: queueArn,
      })),
    });
    expect(
      ofType('AWS::S3::Bucket')
        .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(['AccessLogs', 'SbcLogs']);
  });

  it('passes cdk-nag AwsSolutionsChecks with no finding left', () => {
    // Prepare, Act: synthesized in beforeAll (app.synth() would have thrown on a violation)
    // Assess
    expect(nagReports).toEqual([{ success: true, violations: [] }]);
  });
});
