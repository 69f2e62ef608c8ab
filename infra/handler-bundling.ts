/**
 * How the Lambda handler is bundled, in one place for both ways of building it: CDK's NodejsFunction (this
 * repository's own app bundles from TypeScript at synth time) and scripts/bundle-handler.ts (the prebuilt asset the
 * npm package ships, so a consumer's `cdk synth` needs neither esbuild nor our sources). Pure: no aws-cdk-lib.
 */

/** The runtime's own version: esbuild then leaves every syntax that runtime has untouched. */
export const HANDLER_TARGET = 'node24';

/** ESM: our code is ESM (import.meta, top-level await are legal), and the SDK's ESM builds tree-shake better. */
export const HANDLER_MAIN_FIELDS: readonly string[] = ['module', 'main'];

/** A few bundled dependencies are CommonJS and call require(); ESM has none, so give them one. */
export const HANDLER_BANNER =
  "import { createRequire as __sipCreateRequire } from 'node:module'; const require = __sipCreateRequire(import.meta.url);";

/** The file inside the asset folder, and the Lambda `handler` setting that names its export. */
export const PREBUILT_HANDLER_FILE = 'index.mjs';
export const PREBUILT_HANDLER_NAME = 'index.handler';

/**
 * Where the package keeps the prebuilt asset, relative to the package root (`npm run prepare` writes it): beside
 * dist/infra/, where processor-function.ts looks for it.
 */
export const PREBUILT_HANDLER_DIR = 'dist/handler-asset';
