#!/usr/bin/env node
/**
 * The package's bin (bundled to dist/lambda/cli/bundle/sip-metrics.cjs): runs the CLI's bundle beside it with its
 * code cache (compile-cache.ts). CommonJS, so that Node loads no ES module machinery for it.
 */
import { runMain } from './compile-cache.js';

runMain(import.meta.dirname);
