/**
 * How the CLI (the package's bin) is bundled, in one place for scripts/bundle-cli.ts and its test
 * (test/integration/cli-bundle.test.ts). One file instead of ~70 ES modules: Node 20 resolves, reads and compiles each
 * module of an import graph one by one, which cost more than scanning a 100 KB log. The bundle is CommonJS, run by a
 * small bin with V8's code cache of it (lambda/cli/compile-cache.ts), which the build makes by running the bundle
 * once on a small log: a start-up then compiles none of the code that log's scan ran. What only some paths need (the
 * HTML report with zod, the S3 source with the AWS SDK, the two-thread scan) is in the bundle but runs, and requires
 * its packages, only on those paths.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { generateTrace } from '../bench/generate-trace.js';
import { CLI_MAIN_FILE, compileCacheFile, WRITE_COMPILE_CACHE_ENV } from '../lambda/cli/compile-cache.js';

/** Where the bundle goes, relative to the package root: under dist/lambda/, which the package ships. */
export const CLI_BUNDLE_DIR = 'dist/lambda/cli/bundle';

/** The bin's file inside CLI_BUNDLE_DIR (package.json "bin" names it). */
export const CLI_BUNDLE_ENTRY = 'sip-metrics.cjs';

/**
 * Dependencies left to node_modules, each loaded only on a path that needs it: the AWS SDK (an s3:// input; pinned
 * by the function, large) and zod (the HTML report). Bundling them would only grow the package. cli-progress is
 * loaded with createRequire when a bar is drawn (lambda/cli/report/progress.ts), which esbuild leaves alone.
 */
export const CLI_EXTERNAL: readonly string[] = ['@aws-sdk/*', '@smithy/*', 'zod'];

/** What the CLI's modules ask of `import.meta`, as a CommonJS script has it (the banner defines __sipMetaUrl). */
const COMMONJS_IMPORT_META = { 'import.meta.url': '__sipMetaUrl', 'import.meta.dirname': '__dirname' };

/** Options every file of the CLI bundle shares. */
const commonBundleOptions = (root: string): BuildOptions => ({
  bundle: true,
  platform: 'node',
  // the oldest Node the package supports (package.json "engines")
  target: 'node20',
  // smaller to read and parse; identifiers stay, so a stack trace still names our functions
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  metafile: true,
  absWorkingDir: root,
});

/** Options of a CommonJS file of the bundle folder: `file` (a .cjs name) built from `source`. */
const commonJsFileOptions = (root: string, file: string, source: string): BuildOptions & { outdir: string } => ({
  ...commonBundleOptions(root),
  entryPoints: { [file.replace(/\.cjs$/, '')]: `${root}/${source}` },
  outdir: `${root}/${CLI_BUNDLE_DIR}`,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  define: COMMONJS_IMPORT_META,
});

/** commander's `node:child_process` (spawn, for executable subcommands) loaded when used: lambda/cli/lazy-child-process.ts. */
const commanderChildProcessLazily = (root: string): Plugin => ({
  name: 'commander-child-process-lazily',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: `${root}/lambda/cli/lazy-child-process.ts` }
        : undefined,
    );
  },
});

/** The esbuild options of the CLI's bundle (CLI_MAIN_FILE); `root` is the repository root. */
export const cliBundleOptions = (root: string): BuildOptions & { outdir: string } => ({
  ...commonJsFileOptions(root, CLI_MAIN_FILE, 'lambda/cli/cli.ts'),
  // "use strict" first: esbuild's own directive would follow the banner, where it does nothing (the ES module bundle
  // it replaces was strict throughout)
  banner: { js: "'use strict'; const __sipMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  // every other character escaped, as esbuild does by default: the bin reads the bundle as latin1, the fastest decode
  charset: 'ascii',
  // import() of a module of the bundle or of a package becomes require(): a script compiled with vm.Script has no
  // dynamic import() without a loader of its own
  supported: { 'dynamic-import': false },
  external: [...CLI_EXTERNAL],
  plugins: [commanderChildProcessLazily(root)],
});

/** The esbuild options of the bin (CLI_BUNDLE_ENTRY, lambda/cli/bin.ts): the few lines that run CLI_MAIN_FILE. */
export const binBundleOptions = (root: string): BuildOptions & { outdir: string } =>
  commonJsFileOptions(root, CLI_BUNDLE_ENTRY, 'lambda/cli/bin.ts');

/**
 * The scan worker's file inside CLI_BUNDLE_DIR: scanInWorker (lambda/threads/worker-scan.ts) starts
 * `./scan-worker.js` beside the module that calls it, which in the bundle is CLI_MAIN_FILE.
 */
export const SCAN_WORKER_ENTRY = 'scan-worker.js';

/** The esbuild options of the scan worker: an ES module of its own, started by a worker thread (no code cache). */
export const scanWorkerBundleOptions = (root: string): BuildOptions & { outdir: string } => ({
  ...commonBundleOptions(root),
  entryPoints: { [SCAN_WORKER_ENTRY.replace(/\.js$/, '')]: `${root}/lambda/threads/scan-worker.ts` },
  outdir: `${root}/${CLI_BUNDLE_DIR}`,
  format: 'esm',
  // a CommonJS dependency calls require('node:...'); ESM has no require, so give it one
  banner: {
    js: "import { createRequire as __sipCreateRequire } from 'node:module'; const require = __sipCreateRequire(import.meta.url);",
  },
  external: [...CLI_EXTERNAL],
});

/** The log the build scans to make the code cache: every text format of the bench's generator, well below 1 MiB. */
const TRAINING_LOG_BYTES = 320 * 1024;

/**
 * Runs the bin once on a small generated log with WRITE_COMPILE_CACHE_ENV naming where the code cache of that run
 * goes (compileCacheFile() beside the bundle). The log is not the bench's (another seed, every format): the cache is
 * of the common path, not of one file. Under 1 MiB, so the scan leaves V8's flags alone (young-generation.ts): V8
 * refuses a cache made under other flags. Node's V8 flags from NODE_OPTIONS are left out for the same reason.
 */
export const writeCompileCache = async (outdir: string): Promise<void> => {
  const work = mkdtempSync(join(tmpdir(), 'sip-metrics-compile-cache-'));
  try {
    const log = join(work, 'training.log');
    await generateTrace(log, {
      seed: 1,
      targetBytes: TRAINING_LOG_BYTES,
      formats: ['bare', 'ngrep', 'sipdump', 'pjsip', 'sipp'],
    });
    const { NODE_OPTIONS: _flags, ...env } = process.env;
    execFileSync(process.execPath, [join(outdir, CLI_BUNDLE_ENTRY), 'scan', '--json', log], {
      env: { ...env, [WRITE_COMPILE_CACHE_ENV]: join(outdir, compileCacheFile()) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (!existsSync(join(outdir, compileCacheFile()))) throw new Error(`no code cache written in ${outdir}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

/** Builds the bin, the CLI's bundle and its code cache, and the scan worker into `outdir`; returns the bundle's metafile. */
export const buildCli = async (root: string, outdir: string): Promise<Metafile> => {
  // chunk-free names: a fresh folder, so no file of an older build ships beside the new ones (nor its code cache)
  rmSync(outdir, { recursive: true, force: true });
  const cli = await build({ ...cliBundleOptions(root), outdir });
  await build({ ...binBundleOptions(root), outdir });
  await build({ ...scanWorkerBundleOptions(root), outdir });
  chmodSync(join(outdir, CLI_BUNDLE_ENTRY), 0o755);
  await writeCompileCache(outdir);
  return cli.metafile as Metafile;
};
