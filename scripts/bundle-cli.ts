/**
 * Writes the CLI bundle the package's bin runs (dist/lambda/cli/bundle/: the bin sip-metrics.cjs, the bundle
 * cli-main.cjs with its code cache, and scan-worker.js, the worker thread of a two-core scan); the options and why:
 * scripts/cli-bundling.ts. Run by `npm run build` and `npm run prepare` (hence `npm pack`).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli, CLI_BUNDLE_DIR, CLI_BUNDLE_ENTRY } from './cli-bundling.js';

const root = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');
const outdir = join(root, CLI_BUNDLE_DIR);
await buildCli(root, outdir);
const files = readdirSync(outdir);
const bytes = files.reduce((sum, f) => sum + statSync(join(outdir, f)).size, 0);
// stderr: `npm pack --json` prints its JSON on stdout, which the lifecycle scripts share
process.stderr.write(`CLI bundle: ${CLI_BUNDLE_DIR}/${CLI_BUNDLE_ENTRY} (${files.length} files, ${bytes} bytes)\n`);
