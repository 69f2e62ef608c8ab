import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CacheUse } from '../../lambda/cli/compile-cache.js';

const COMPILE_CACHE_MODULE = fileURLToPath(new URL('../../lambda/cli/compile-cache.ts', import.meta.url));

/**
 * What V8 makes of the code cache in a CLI bundle folder, asked in a Node process of its own started as a user's
 * would be (no NODE_OPTIONS): V8 refuses a cache made under other flags, and a test runner may have been given some.
 */
export const cacheUseIn = (dir: string): CacheUse => {
  const { NODE_OPTIONS: _flags, ...env } = process.env;
  const script = `import(${JSON.stringify(COMPILE_CACHE_MODULE)}).then((m) => process.stdout.write(m.compileMain(${JSON.stringify(dir)}).cache))`;
  return execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', env }) as CacheUse;
};
