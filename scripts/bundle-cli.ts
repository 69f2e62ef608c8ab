/**
 * Writes the CLI bundle the package's bin runs (dist/lambda/cli/bundle/sip-metrics.js, its lazily loaded chunks and
 * scan-worker.js, the worker thread of a two-core scan);
 * the options and why: scripts/cli-bundling.ts. Run by `npm run build` and `npm run prepare` (hence `npm pack`).
 */
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CLI_BUNDLE_DIR, CLI_BUNDLE_ENTRY, cliBundleOptions, scanWorkerBundleOptions } from './cli-bundling.js';

const root = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');
const options = cliBundleOptions(root);
// chunk names carry a hash: the chunks of an older build would otherwise ship beside the new ones
rmSync(options.outdir, { recursive: true, force: true });
const result = await build(options);
const worker = await build(scanWorkerBundleOptions(root));
const entry = join(options.outdir, CLI_BUNDLE_ENTRY);
chmodSync(entry, 0o755);
const outputs = [result, worker].flatMap((r) => Object.entries(r.metafile?.outputs ?? {}));
const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
// stderr: `npm pack --json` prints its JSON on stdout, which the lifecycle scripts share
process.stderr.write(`CLI bundle: ${CLI_BUNDLE_DIR}/${CLI_BUNDLE_ENTRY} (${outputs.length} files, ${bytes} bytes)\n`);
