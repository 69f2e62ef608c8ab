/**
 * The package's bin runs the esbuild bundle of the CLI with its code cache (scripts/cli-bundling.ts,
 * lambda/cli/compile-cache.ts), not the tsc output the other CLI tests run through tsx: built here as `npm run build`
 * builds it, it must load nothing heavy on the way to a local scan, compile none of what its build's run compiled,
 * print what the TypeScript CLI prints, and still reach the HTML report and S3, whose packages it loads on those paths
 * only.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTrace, TRACE_SEED } from '../../bench/generate-trace.js';
import { CLI_MAIN_FILE, compileCacheFile } from '../../lambda/cli/compile-cache.js';
import {
  createLocalS3Client,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalS3,
  startLocalS3,
} from '../../local/emulators.js';
import { buildCli, CLI_BUNDLE_ENTRY, CLI_EXTERNAL } from '../../scripts/cli-bundling.js';
import { withoutSeconds } from '../support/cli-output.js';
import { cacheUseIn } from '../support/compile-cache-use.js';
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

let work: string;
let outdir: string;
let entry: string;
let meta: Metafile;

beforeAll(async () => {
  // inside the repository, so the dependencies left out of the bundle (zod, the AWS SDK) resolve as when installed
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  work = mkdtempSync(join(ROOT, 'test-artifacts', 'cli-bundle-'));
  outdir = join(work, 'bundle');
  // the bin, the bundle and its code cache, and the scan worker of `--threads 2`, as `npm run build` writes them
  meta = await buildCli(ROOT, outdir);
  entry = join(outdir, CLI_BUNDLE_ENTRY);
}, 60_000);

/**
 * The source files `from` reaches by static imports (itself included): what the bundle runs at start-up. A module
 * reached by `await import()` only is in the bundle too, but its top level runs when that path runs.
 */
const staticallyImported = (meta: Metafile, from: string): Set<string> => {
  const seen = new Set<string>();
  const visit = (input: string): void => {
    if (seen.has(input)) return;
    seen.add(input);
    for (const i of meta.inputs[input]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(from);
  return seen;
};

/** What a run of the bin loaded: the files Node's require() read, and Node's built-in modules. */
interface Loaded extends Run {
  readonly required: readonly string[];
  readonly builtins: readonly string[];
}

/** Runs the bin with a preload that writes, as the process exits, what it loaded (require.cache, moduleLoadList). */
const runLoading = async (
  args: readonly string[],
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  bin: string = entry,
): Promise<Loaded> => {
  const probe = join(work, 'load-probe.cjs');
  writeFileSync(
    probe,
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.LOAD_PROBE_OUT, JSON.stringify({ required: Object.keys(require.cache), builtins: process.moduleLoadList })));\n",
  );
  const out = join(work, `load-probe-${name}.json`);
  const run = await node(['--require', probe, bin, ...args], { ...env, LOAD_PROBE_OUT: out });
  const loaded = JSON.parse(readFileSync(out, 'utf8')) as { required: string[]; builtins: string[] };
  return { ...run, ...loaded };
};

/** The packages of node_modules among the files a run required. */
const packagesOf = (required: readonly string[]): string[] => [
  ...new Set(required.flatMap((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1] ?? [])),
];

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the CLI bundle (the package bin)', () => {
  it('bundles only its own code and Node built-ins: zod and the AWS SDK stay packages, and a local scan loads neither', async () => {
    // Prepare
    const main = meta.outputs[relative(ROOT, join(outdir, CLI_MAIN_FILE))];
    // Act
    const local = await runLoading(['scan', '--json', `${CORPUS_DIR}mixed.ngrep.txt`], 'local');
    // Assess: what the bundle holds
    const inputs = Object.keys(main?.inputs ?? {});
    expect(inputs).toContain('lambda/cli/cli.ts');
    expect(inputs).toContain('lambda/engine/index.ts');
    expect(inputs.filter((i) => /zod|@aws-sdk|@smithy/.test(i))).toEqual([]);
    const packages = (main?.imports ?? []).filter((i) => i.external && !i.path.startsWith('node:')).map((i) => i.path);
    expect(packages).toContain('zod');
    expect(packages).toContain('@aws-sdk/client-s3');
    const externalPattern = new RegExp(`^(${CLI_EXTERNAL.map((e) => e.replace('*', '.*')).join('|')})$`);
    expect(packages.filter((p) => !externalPattern.test(p))).toEqual([]);
    // what its start-up runs: not the HTML report (and infra/config's zod schemas), the S3 source or the two-thread
    // scan, which only their paths import
    const startup = [...staticallyImported(meta, 'lambda/cli/cli.ts')];
    expect(startup).toContain('lambda/engine/index.ts');
    expect(
      startup.filter((i) => /render-html|write-html-report|infra\/config|s3-source|threads\/worker-scan/.test(i)),
    ).toEqual([]);
    expect(inputs).toContain('lambda/cli/report/render-html.ts');
    // and what a local scan loads: no package, and no worker thread (~6 ms of a 100 KB scan's start-up otherwise)
    expect([local.code, local.stderr]).toEqual([0, '']);
    expect(packagesOf(local.required)).toEqual([]);
    expect(local.builtins).not.toContain('NativeModule worker_threads');
    // nor what only another path needs: commander's child_process (executable subcommands), node:fs/promises (with
    // node:readline), node:os (the cores, asked of a file of 64 MiB or more): ~1.4 ms of the start-up together
    expect(['child_process', 'fs/promises', 'os'].filter((m) => local.builtins.includes(`NativeModule ${m}`))).toEqual(
      [],
    );
    expect((JSON.parse(local.stdout) as { byClass: unknown }).byClass).toEqual(
      expectedFor('mixed.ngrep.txt').responses_by_class,
    );
  });

  it("starts with V8's code cache of its bundle, made by the build for this Node, and as before without it", async () => {
    // Prepare: the build's folder; copies with the cache cut short, with the bundle changed, and with no cache
    const copy = (name: string, change: (dir: string) => void): string => {
      const dir = join(work, name);
      cpSync(outdir, dir, { recursive: true });
      change(dir);
      return dir;
    };
    const cache = (dir: string): string => join(dir, compileCacheFile());
    const cut = copy('cut-cache', (d) => writeFileSync(cache(d), readFileSync(cache(d)).subarray(0, 4096)));
    const changed = copy('changed-bundle', (d) => appendFileSync(join(d, CLI_MAIN_FILE), '// changed\n'));
    const none = copy('no-cache', (d) => rmSync(cache(d)));
    const dirs = [outdir, cut, changed, none];
    // Act
    const uses = dirs.map((d) => cacheUseIn(d));
    const runs = await Promise.all(
      dirs.map((d, i) =>
        runLoading(['scan', '--json', `${CORPUS_DIR}mixed.pcap`], `cache-${i}`, process.env, join(d, CLI_BUNDLE_ENTRY)),
      ),
    );
    // Assess: V8 took the build's cache (its version, flags and source length match) and refused the others whole
    expect(uses).toEqual(['accepted', 'rejected', 'rejected', 'none']);
    // the bin compiled the bundle itself where there is a cache (vm.Script: not in require.cache) and required it
    // where there is none (Node's loader, which Node 22.1+ caches itself)
    const required = runs.map((r) => r.required.some((f) => f.endsWith(CLI_MAIN_FILE)));
    expect(required).toEqual([false, false, false, true]);
    // the cache holds more than the top level: the functions the build's scan compiled (~410 KB for ~390 KB of bundle)
    expect(statSync(cache(outdir)).size).toBeGreaterThan(statSync(join(outdir, CLI_MAIN_FILE)).size);
    const [cached, ...others] = runs.map((r) => withoutSeconds(r.stdout));
    expect(others).toEqual([cached, cached, cached]);
    expect(cached?.map((line) => (line as { responses: number }).responses)).toEqual([1834]);
  });

  it('runs its bundle in strict mode, as the ES modules it was before', () => {
    // Prepare
    const lines = readFileSync(join(outdir, CLI_MAIN_FILE), 'latin1').split('\n', 2);
    // Act: the statement after the hashbang opens the directive prologue (esbuild's own "use strict" follows the
    // banner, where it does nothing)
    const first = lines[1] ?? '';
    // Assess
    expect(lines[0]?.startsWith('#!')).toBe(true);
    expect(first.startsWith("'use strict';")).toBe(true);
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
    // Act
    const plain = await runLoading(['scan', '--json', `${CORPUS_DIR}mixed.ngrep.txt`], 'plain');
    const gzip = await runLoading(['scan', '--json', `${CORPUS_DIR}mixed.ngrep.txt.gz`], 'gzip');
    // Assess
    expect([plain.code, plain.builtins.includes('NativeModule zlib')]).toEqual([0, false]);
    expect([gzip.code, gzip.builtins.includes('NativeModule zlib')]).toEqual([0, true]);
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

  it('writes the HTML report with zod, which it loads for --html', async () => {
    // Prepare
    const report = join(work, 'report.html');
    // Act
    const r = await runLoading(['scan', '--html', report, `${CORPUS_DIR}mixed.ngrep.txt`], 'html');
    // Assess
    expect(r.code).toBe(0);
    expect(packagesOf(r.required)).toContain('zod');
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
      const r = await runLoading(['scan', '--json', 's3://traces/a/mixed.pcap'], 's3', {
        ...userEnv,
        AWS_ENDPOINT_URL_S3: s3.url,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_REGION: LOCAL_REGION,
      });
      // Assess
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(packagesOf(r.required)).toContain('@aws-sdk/client-s3');
      const got = JSON.parse(r.stdout) as Record<string, unknown>;
      expect([got.file, got.formats, got.byClass]).toEqual([
        's3://traces/a/mixed.pcap',
        ['pcap'],
        expectedFor('mixed.pcap').responses_by_class,
      ]);
    });
  });
});
