/**
 * How the CLI (the package's bin) is bundled, in one place for scripts/bundle-cli.ts and its test
 * (test/unit/cli/bundle.test.ts). One file instead of ~70 ES modules: Node 20 resolves, reads and compiles each module
 * of an import graph one by one, which cost more than scanning a 100 KB log. Code splitting keeps what only some
 * paths need in chunks of their own that load on those paths: the HTML report (with zod, through infra/config.ts) and
 * the S3 source (with the AWS SDK).
 */
import type { BuildOptions } from 'esbuild';

/** Where the bundle goes, relative to the package root: under dist/lambda/, which the package ships. */
export const CLI_BUNDLE_DIR = 'dist/lambda/cli/bundle';

/** The bin's file inside CLI_BUNDLE_DIR (package.json "bin" names it). */
export const CLI_BUNDLE_ENTRY = 'sip-metrics.js';

/**
 * Dependencies left to node_modules, each loaded only on a path that needs it: the AWS SDK (an s3:// input; pinned
 * by the function, large) and zod (the HTML report). Bundling them would only grow the package. cli-progress is
 * loaded with createRequire when a bar is drawn (lambda/cli/report/progress.ts), which esbuild leaves alone.
 */
export const CLI_EXTERNAL: readonly string[] = ['@aws-sdk/*', '@smithy/*', 'zod'];

/** The esbuild options of the CLI bundle; `root` is the repository root. */
export const cliBundleOptions = (root: string): BuildOptions & { outdir: string } => ({
  entryPoints: { [CLI_BUNDLE_ENTRY.replace(/\.js$/, '')]: `${root}/lambda/cli/cli.ts` },
  outdir: `${root}/${CLI_BUNDLE_DIR}`,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  // the oldest Node the package supports (package.json "engines")
  target: 'node20',
  // commander is CommonJS and calls require('node:events') and the like; ESM has no require, so give it one
  banner: {
    js: "import { createRequire as __sipCreateRequire } from 'node:module'; const require = __sipCreateRequire(import.meta.url);",
  },
  external: [...CLI_EXTERNAL],
  // smaller to read and parse; identifiers stay, so a stack trace still names our functions
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  metafile: true,
});

/**
 * The scan worker's file inside CLI_BUNDLE_DIR: scanInWorker (lambda/threads/worker-scan.ts) starts
 * `./scan-worker.js` beside the module that calls it, which in the bundle is the bin or one of its chunks.
 */
export const SCAN_WORKER_ENTRY = 'scan-worker.js';

/**
 * The esbuild options of the scan worker: a build of its own, one file without chunks, so the bin's start-up
 * graph stays as it is (the engine is in both files; a worker loads only its own).
 */
export const scanWorkerBundleOptions = (root: string): BuildOptions & { outdir: string } => ({
  ...cliBundleOptions(root),
  entryPoints: { [SCAN_WORKER_ENTRY.replace(/\.js$/, '')]: `${root}/lambda/threads/scan-worker.ts` },
  splitting: false,
});
