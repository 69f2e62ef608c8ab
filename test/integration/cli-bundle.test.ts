/**
 * The package's bin is the esbuild bundle of the CLI (scripts/cli-bundling.ts), not the tsc output the other CLI
 * tests run through tsx: built here with the very options `npm run build` uses, it must load nothing heavy on the way
 * to a local scan, print what the TypeScript CLI prints, and still reach the HTML report and S3 through the chunks it
 * loads on those paths only.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTrace, TRACE_SEED } from '../../bench/generate-trace.js';
import {
  createLocalS3Client,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalS3,
  startLocalS3,
} from '../../local/emulators.js';
import { CLI_BUNDLE_ENTRY, cliBundleOptions, scanWorkerBundleOptions } from '../../scripts/cli-bundling.js';
import { withoutSeconds } from '../support/cli-output.js';
import { CORPUS_DIR, expectedFor } from '../support/corpus.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const node = (args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> =>
  new Promise((resolve) => {
    execFile(process.execPath, [...args], { encoding: 'utf8', env, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

/** The outputs a module loads with static imports from `output` on (itself included): what start-up loads. */
const staticClosure = (meta: Metafile, output: string): Set<string> => {
  const seen = new Set<string>();
  const visit = (o: string): void => {
    if (seen.has(o)) return;
    seen.add(o);
    for (const i of meta.outputs[o]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(output);
  return seen;
};

let work: string;
let outdir: string;
let entry: string;
let meta: Metafile;

beforeAll(async () => {
  // inside the repository, so the dependencies left out of the bundle (zod, the AWS SDK) resolve as when installed
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  work = mkdtempSync(join(ROOT, 'test-artifacts', 'cli-bundle-'));
  outdir = join(work, 'bundle');
  const result = await build({ ...cliBundleOptions(ROOT), outdir });
  meta = result.metafile as Metafile;
  entry = join(outdir, CLI_BUNDLE_ENTRY);
  // the scan worker of `--threads 2`, beside the bin as `npm run build` writes it
  await build({ ...scanWorkerBundleOptions(ROOT), outdir });
}, 60_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the CLI bundle (the package bin)', () => {
  it('loads at start-up only Node built-ins and its own code: no zod, AWS SDK, HTML report or S3 source', () => {
    // Prepare
    const entryOut = relative(ROOT, entry);
    // Act
    const startup = staticClosure(meta, entryOut);
    const inputs = [...startup].flatMap((o) => Object.keys(meta.outputs[o]?.inputs ?? {}));
    const externals = [...startup].flatMap((o) =>
      (meta.outputs[o]?.imports ?? []).filter((i) => i.external).map((i) => i.path),
    );
    const lazy = [...startup].flatMap((o) =>
      (meta.outputs[o]?.imports ?? []).filter((i) => i.kind === 'dynamic-import').map((i) => i.path),
    );
    // Assess
    expect(inputs).toContain('lambda/cli/cli.ts');
    expect(inputs).toContain('lambda/engine/index.ts');
    expect(
      inputs.filter((i) => /zod|@aws-sdk|@smithy|render-html|s3-source|infra\/config|threads\/worker-scan/.test(i)),
    ).toEqual([]);
    expect(externals.filter((p) => !p.startsWith('node:'))).toEqual([]);
    // the paths that need more load it when they run
    const lazyInputs = lazy.map((o) => Object.keys(meta.outputs[o]?.inputs ?? {}));
    expect(lazyInputs.map((i) => i.includes('lambda/cli/report/write-html-report.ts'))).toContain(true);
    expect(lazyInputs.map((i) => i.includes('lambda/adapters/s3-source.ts'))).toContain(true);
    // and two threads load node:worker_threads and the event pipeline (~6 ms of a 100 KB scan's start-up otherwise)
    expect(lazyInputs.map((i) => i.includes('lambda/threads/worker-scan.ts'))).toContain(true);
  });

  it('counts corpus files exactly, and as the TypeScript CLI does, from a folder without node_modules, on one core and on two', async () => {
    // Prepare: the bundle alone, far from any node_modules, as proof that a local scan needs no package loaded
    const alone = mkdtempSync(join(tmpdir(), 'sip-metrics-cli-bundle-'));
    cpSync(outdir, alone, { recursive: true });
    const files = ['mixed.pcap', 'mixed.ngrep.txt.gz', 'sipp-uac-cancel-tcp.messages.log'].map((f) => CORPUS_DIR + f);
    try {
      // Act
      const bundled = await node([join(alone, CLI_BUNDLE_ENTRY), 'scan', '--json', '--by', 'peer', ...files]);
      const twoCores = await node([
        join(alone, CLI_BUNDLE_ENTRY),
        'scan',
        '--json',
        '--by',
        'peer',
        '--threads',
        '2',
        ...files,
      ]);
      const source = await node([
        '--import',
        'tsx',
        join(ROOT, 'lambda/cli/cli.ts'),
        'scan',
        '--json',
        '--by',
        'peer',
        ...files,
      ]);
      // Assess
      expect([bundled.code, bundled.stderr]).toEqual([0, '']);
      expect(withoutSeconds(bundled.stdout)).toEqual(withoutSeconds(source.stdout));
      expect([twoCores.code, twoCores.stderr]).toEqual([0, '']);
      expect(withoutSeconds(twoCores.stdout)).toEqual(withoutSeconds(bundled.stdout));
      const pcap = JSON.parse(bundled.stdout.split('\n')[0] ?? '{}') as Record<string, unknown>;
      expect([pcap.formats, pcap.messages, pcap.requests, pcap.responses]).toEqual([['pcap'], 3440, 1606, 1834]);
      expect(pcap.byClass).toEqual(expectedFor('mixed.pcap').responses_by_class);
      expect(pcap.byCode).toEqual(expectedFor('mixed.pcap').responses_by_code);
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });

  it('loads node:zlib only for a compressed input: the start-up of a plain log does without it', async () => {
    // Prepare: a preload that says, as the process exits, whether Node loaded its zlib module (the built-ins a
    // process loaded are in process.moduleLoadList)
    const probe = join(work, 'zlib-probe.cjs');
    writeFileSync(
      probe,
      "process.on('exit', () => require('node:fs').writeFileSync(process.env.ZLIB_PROBE_OUT, process.moduleLoadList.includes('NativeModule zlib') ? 'zlib' : 'no zlib'));\n",
    );
    const loadsZlib = async (file: string): Promise<{ run: Run; zlib: string }> => {
      const out = join(work, `zlib-probe-${basename(file)}.txt`);
      const run = await node(['--require', probe, entry, 'scan', '--json', file], {
        ...process.env,
        ZLIB_PROBE_OUT: out,
      });
      return { run, zlib: readFileSync(out, 'utf8') };
    };
    // Act
    const { run: plain, zlib: plainZlib } = await loadsZlib(`${CORPUS_DIR}mixed.ngrep.txt`);
    const { run: gzip, zlib: gzipZlib } = await loadsZlib(`${CORPUS_DIR}mixed.ngrep.txt.gz`);
    // Assess
    expect([plain.code, plainZlib]).toEqual([0, 'no zlib']);
    expect([gzip.code, gzipZlib]).toEqual([0, 'zlib']);
    const counts = (r: Run): unknown => {
      const o = JSON.parse(r.stdout) as Record<string, unknown>;
      return [o.messages, o.responses, o.byClass, o.byCode];
    };
    expect(counts(gzip)).toEqual(counts(plain));
    expect((JSON.parse(plain.stdout) as { byClass: unknown }).byClass).toEqual(
      expectedFor('mixed.ngrep.txt').responses_by_class,
    );
  });

  it('starts through its shebang under BusyBox env (Alpine), which has no -S: one interpreter argument only', async () => {
    // Prepare: the interpreter line as the kernel splits it: the interpreter, then the rest as ONE argument
    const line = readFileSync(entry, 'utf8').split('\n')[0] ?? '';
    const [interpreter = '', ...rest] = line.slice(2).trim().split(' ');
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };

    // Act: BusyBox's env where the kernel would start /usr/bin/env
    const run = await new Promise<Run>((resolve) => {
      const args = [basename(interpreter), ...(rest.length > 0 ? [rest.join(' ')] : [])];
      execFile(
        'busybox',
        [...args, entry, 'scan', '--json', `${CORPUS_DIR}mixed.pcap`],
        { encoding: 'utf8', env },
        (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr }),
      );
    });

    // Assess
    expect(interpreter).toBe('/usr/bin/env');
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect((JSON.parse(run.stdout) as { responses: number }).responses).toBe(1834);
  });

  it("keeps V8's young generation from growing through a large scan, unless Node was given a young-generation flag", async () => {
    // Prepare: 20 MiB of the bench's trace (V8 grows a scan's semi-spaces from 1 MiB to 4 MiB on it); V8 prints each
    // space after every collection with --trace-gc-verbose
    const log = join(work, 'trace-20MiB.txt');
    const truth = await generateTrace(log, { seed: TRACE_SEED, targetBytes: 20 * 1024 * 1024 });
    const newSpaceKiB = (trace: string): number[] =>
      [...trace.matchAll(/New space,.*committed:\s*(\d+) KB/g)].map((m) => Number(m[1]));
    // Act: the bin as a user runs it, and with V8's own growth factor given on the command line (left alone)
    const bin = await node(['--trace-gc-verbose', entry, 'scan', '--json', log]);
    const chosen = await node(['--trace-gc-verbose', '--semi-space-growth-factor=2', entry, 'scan', '--json', log]);
    // Assess: the same count; 2 x 1 MiB semi-spaces (2 x 2 MiB when the start-up grew them once before the scan)
    // against V8's doubling during the scan
    for (const run of [bin, chosen]) expect(run.stdout).toContain(`"responses":${truth.responses},`);
    expect(Math.max(...newSpaceKiB(bin.stdout))).toBeLessThanOrEqual(4096);
    expect(Math.max(...newSpaceKiB(chosen.stdout))).toBeGreaterThanOrEqual(8192);
  }, 60_000);

  it('exits 2 with the same usage error as the TypeScript CLI', async () => {
    // Act
    const bundled = await node([entry, 'scan', '--by', 'method', `${CORPUS_DIR}mixed.pcap`]);
    const noInputs = await node([entry, 'scan']);
    // Assess
    expect([bundled.code, bundled.stderr]).toEqual([2, 'sip-metrics: --by method: the only breakdown is "peer"\n']);
    expect([noInputs.code, noInputs.stderr.split('\n')[0]]).toEqual([2, "error: missing required argument 'inputs'"]);
  });

  it('writes the HTML report through the chunk it loads for --html', async () => {
    // Prepare
    const report = join(work, 'report.html');
    // Act
    const r = await node([entry, 'scan', '--html', report, `${CORPUS_DIR}mixed.ngrep.txt`]);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^sip-metrics: HTML report of 1 input\(s\) written to .*report\.html \(\d+ KiB\)\n$/);
    const html = readFileSync(report, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('alarm thresholds from cdk.json');
  });

  describe('with an s3:// input', () => {
    let s3: LocalS3;

    beforeAll(async () => {
      s3 = await startLocalS3({
        port: 0,
        directory: mkdtempSync(join(tmpdir(), 'sip-metrics-cli-bundle-s3-')),
        buckets: ['traces'],
      });
    });

    afterAll(async () => {
      await s3.stop();
    });

    it('streams the object through the AWS SDK it loads for that path, without the SDK Node-version warning', async () => {
      // Prepare: the variable unset, as in a new user's shell
      await createLocalS3Client(s3.url).send(
        new PutObjectCommand({ Bucket: 'traces', Key: 'a/mixed.pcap', Body: readFileSync(`${CORPUS_DIR}mixed.pcap`) }),
      );
      const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _unset, ...userEnv } = process.env;
      // Act
      const r = await node([entry, 'scan', '--json', 's3://traces/a/mixed.pcap'], {
        ...userEnv,
        AWS_ENDPOINT_URL_S3: s3.url,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_REGION: LOCAL_REGION,
      });
      // Assess
      expect([r.code, r.stderr]).toEqual([0, '']);
      const got = JSON.parse(r.stdout) as Record<string, unknown>;
      expect([got.file, got.formats, got.byClass]).toEqual([
        's3://traces/a/mixed.pcap',
        ['pcap'],
        expectedFor('mixed.pcap').responses_by_class,
      ]);
    });
  });
});
