/**
 * Writes the prebuilt handler asset the npm package ships (dist/handler-asset/index.mjs and its source map): the same
 * esbuild settings as the NodejsFunction bundling of infra/constructs/processor-function.ts, so a consumer's
 * `cdk synth` deploys what this repository's tests bundled, without esbuild, TypeScript sources or Docker.
 * Run by `npm run prepare` (hence by `npm ci` and `npm pack`).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  HANDLER_BANNER,
  HANDLER_MAIN_FIELDS,
  HANDLER_TARGET,
  PREBUILT_HANDLER_DIR,
  PREBUILT_HANDLER_FILE,
} from '../infra/handler-bundling.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const outdir = join(root, PREBUILT_HANDLER_DIR);
// a stale file from an older build would otherwise ship beside the new one
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(root, 'lambda/handler.ts')],
  outfile: join(outdir, PREBUILT_HANDLER_FILE),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: HANDLER_TARGET,
  mainFields: [...HANDLER_MAIN_FIELDS],
  banner: { js: HANDLER_BANNER },
  // our pinned AWS SDK v3 goes inside, as with bundleAwsSDK: the integration tests verified this exact version
  external: [],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
// stderr: `npm pack --json` prints its JSON on stdout, which the lifecycle scripts share
process.stderr.write(`handler asset: ${PREBUILT_HANDLER_DIR}/${PREBUILT_HANDLER_FILE} (${bytes} bytes with its map)\n`);
